import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { agentRoutes } from './agents/rest.js';
import { artifactIgnored, artifactRoutes } from './artifacts/rest.js';
import { bindingIgnored, bindingRoutes } from './bindings/rest.js';
import { catalogIgnored, catalogRoutes } from './catalog/rest.js';
import { containerIgnored, containerRoutes } from './containers/rest.js';
import { guardrailIgnored, guardrailRoutes } from './guardrails/rest.js';

/** The REST face of agents: each module's rows (see rest-bridge/routes/types.ts). */
export const agentsRest: RestSurface = {
  routes: [
    ...agentRoutes,
    ...artifactRoutes,
    ...bindingRoutes,
    ...catalogRoutes,
    ...containerRoutes,
    ...guardrailRoutes,
  ],
  aliases: {},
  ignored: [
    ...artifactIgnored,
    ...bindingIgnored,
    ...catalogIgnored,
    ...containerIgnored,
    ...guardrailIgnored,
  ],
};

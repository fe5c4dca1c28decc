import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { agentRoutes } from './agents/rest.js';
import { catalogIgnored, catalogRoutes } from './catalog/rest.js';
import { containerIgnored, containerRoutes } from './containers/rest.js';

/** The REST face of agents: each module's rows (see rest-bridge/routes/types.ts). */
export const agentsRest: RestSurface = {
  routes: [...agentRoutes, ...catalogRoutes, ...containerRoutes],
  aliases: {},
  ignored: [...catalogIgnored, ...containerIgnored],
};

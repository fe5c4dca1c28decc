import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { agentRoutes } from './agents/rest.js';
import { artifactIgnored, artifactRoutes } from './artifacts/rest.js';

/** The REST face of agents: each module's rows (see rest-bridge/routes/types.ts). */
export const agentsRest: RestSurface = {
  routes: [...agentRoutes, ...artifactRoutes],
  aliases: {},
  ignored: [...artifactIgnored],
};

import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { agentRoutes } from './agents/rest.js';
import { guardrailIgnored, guardrailRoutes } from './guardrails/rest.js';

/** The REST face of agents: each module's rows (see rest-bridge/routes/types.ts). */
export const agentsRest: RestSurface = {
  routes: [...agentRoutes, ...guardrailRoutes],
  aliases: {},
  ignored: [...guardrailIgnored],
};

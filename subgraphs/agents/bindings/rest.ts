import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const BASE = '/api/tenants/{tenant_id}/agents/{agent_id}/bindings';

/** Bindings of an agent (`/api/tenants/{tenant_id}/agents/{agent_id}/bindings`). */
export const bindingRoutes: RestRoute[] = [
  {
    field: 'Mutation.createAgentBinding',
    method: 'POST',
    path: BASE,
    status: 201,
    tags: ['agents'],
    summary: 'Create a binding of an agent (pins versions; not live until activated)',
  },
  {
    field: 'Query.agentBindings',
    method: 'GET',
    path: BASE,
    tags: ['agents'],
    summary: "List an agent's bindings",
  },
  {
    field: 'Query.agentBinding',
    method: 'GET',
    path: `${BASE}/{binding_id}`,
    tags: ['agents'],
    summary: 'Get a binding',
  },
  {
    field: 'Mutation.activateAgentBinding',
    method: 'POST',
    path: `${BASE}/{binding_id}/activate`,
    tags: ['agents'],
    summary: "Make a binding the agent's live binding",
  },
  {
    field: 'Mutation.deleteAgentBinding',
    method: 'DELETE',
    path: `${BASE}/{binding_id}`,
    status: 204,
    tags: ['agents'],
    summary: 'Delete an inactive binding',
  },
];

/** The Agent fields this module adds stay GraphQL-only (the REST agent keeps `active_binding_id`). */
export const bindingIgnored = [
  'Agent.activeBinding',
  'Agent.bindings',
  'Agent.activations',
  'AgentBinding.promptVersion',
  'AgentBinding.toolVersions',
  'AgentBinding.runtimeConfigVersion',
];

import type { RestRoute } from '../../../rest-bridge/routes/types.js';

/** Agents of a tenant (`/api/tenants/{tenant_id}/agents`). */
export const agentRoutes: RestRoute[] = [
  {
    field: 'Mutation.createAgent',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/agents',
    status: 201,
    tags: ['agents'],
    summary: 'Create an agent',
  },
  {
    field: 'Query.agents',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/agents',
    tags: ['agents'],
    summary: 'List a tenant’s agents',
  },
  {
    field: 'Query.agent',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}',
    tags: ['agents'],
    summary: 'Get an agent',
  },
  {
    field: 'Mutation.updateAgent',
    method: 'PATCH',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}',
    tags: ['agents'],
    summary: 'Change an agent’s display name, description or status (the key is immutable)',
  },
  {
    field: 'Mutation.deleteAgent',
    method: 'DELETE',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}',
    status: 204,
    tags: ['agents'],
    summary: 'Delete an agent with its bindings and activations',
  },
];

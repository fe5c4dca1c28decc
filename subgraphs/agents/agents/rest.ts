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
    field: 'Query.agent',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}',
    tags: ['agents'],
    summary: 'Get an agent',
  },
];

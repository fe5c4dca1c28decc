import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const BASE = '/api/tenants/{tenant_id}/inbound-mappings';

/** Inbound number routing (`/api/tenants/{tenant_id}/inbound-mappings`). */
export const inboundRoutes: RestRoute[] = [
  {
    field: 'Mutation.createInboundMapping',
    method: 'POST',
    path: BASE,
    status: 201,
    tags: ['voice'],
    summary: 'Route a phone number to an agent (a LiveKit SIP dispatch rule)',
  },
  {
    field: 'Query.inboundMappings',
    method: 'GET',
    path: BASE,
    tags: ['voice'],
    summary: 'List inbound mappings, newest first',
  },
  {
    field: 'Query.inboundMapping',
    method: 'GET',
    path: `${BASE}/{mapping_id}`,
    tags: ['voice'],
    summary: 'Get an inbound mapping',
  },
  {
    field: 'Mutation.updateInboundMapping',
    method: 'PATCH',
    path: `${BASE}/{mapping_id}`,
    tags: ['voice'],
    summary: 'Change an inbound mapping (agent, PIN, number, trunk)',
  },
  {
    field: 'Mutation.deleteInboundMapping',
    method: 'DELETE',
    path: `${BASE}/{mapping_id}`,
    status: 204,
    tags: ['voice'],
    summary: 'Delete an inbound mapping',
  },
];

import type { RestRoute } from '../../../rest-bridge/routes/types.js';

/** Participant tokens (`POST /api/tenants/{tenant_id}/tokens`): signed, not stored, so 200. */
export const tokenRoutes: RestRoute[] = [
  {
    field: 'Mutation.createVoiceToken',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/tokens',
    tags: ['voice'],
    summary: 'Sign a LiveKit participant token for one of the tenant’s rooms',
  },
];

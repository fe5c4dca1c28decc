import type { RestSurface } from '../../rest-bridge/routes/types.js';

/** The REST face of tenants: one row per route (see rest-bridge/routes/types.ts). */
export const tenantsRest: RestSurface = {
  routes: [
    {
      field: 'Query.tenantSettings',
      method: 'GET',
      path: '/api/v1/tenants/settings',
      tags: ['tenants'],
      summary: 'Get tenant settings',
    },
    {
      field: 'Mutation.updateTenantSettings',
      method: 'PUT',
      path: '/api/v1/tenants/settings',
      tags: ['tenants'],
      summary: 'Replace tenant settings',
    },
    {
      field: 'Mutation.createTenant',
      method: 'POST',
      path: '/api/tenants',
      status: 201,
      tags: ['tenants'],
      summary: 'Create a tenant (platform operators)',
    },
    {
      field: 'Query.tenant',
      method: 'GET',
      path: '/api/tenants/{tenant_id}',
      tags: ['tenants'],
      summary: 'Get a tenant',
    },
    {
      field: 'Mutation.updateTenant',
      method: 'PATCH',
      path: '/api/tenants/{tenant_id}',
      tags: ['tenants'],
      summary: 'Rename a tenant or change its status',
    },
    {
      field: 'Mutation.createApiKey',
      method: 'POST',
      path: '/api/tenants/{tenant_id}/keys',
      status: 201,
      tags: ['tenants'],
      summary: 'Create an API key (the key is returned once)',
    },
    {
      field: 'Query.apiKeys',
      method: 'GET',
      path: '/api/tenants/{tenant_id}/keys',
      tags: ['tenants'],
      summary: 'List API keys',
    },
    {
      field: 'Mutation.revokeApiKey',
      method: 'DELETE',
      path: '/api/tenants/{tenant_id}/keys/{key_id}',
      status: 204,
      tags: ['tenants'],
      summary: 'Revoke an API key',
    },
  ],
};

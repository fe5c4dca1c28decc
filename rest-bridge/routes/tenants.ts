import type { FieldAliases, RestRoute } from './types.js';

export const tenantRoutes: RestRoute[] = [
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
];

export const tenantAliases: FieldAliases = {};

export const tenantIgnored: string[] = [];

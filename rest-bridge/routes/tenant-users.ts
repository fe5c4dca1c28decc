import type { FieldAliases, RestRoute } from './types.js';

export const tenantUsersRoutes: RestRoute[] = [
  {
    field: 'Mutation.addTenantUser',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/users',
    status: 201,
    tags: ['tenant-users'],
    summary: 'Add a user to a tenant (existing by email, or new with a password)',
  },
  {
    field: 'Query.tenantUsers',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/users',
    tags: ['tenant-users'],
    summary: 'List tenant members',
  },
  {
    field: 'Query.tenantUser',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/users/{user_id}',
    tags: ['tenant-users'],
    summary: 'Get a tenant member',
  },
  {
    field: 'Mutation.updateTenantUser',
    method: 'PATCH',
    path: '/api/tenants/{tenant_id}/users/{user_id}',
    tags: ['tenant-users'],
    summary: 'Change a member’s role',
  },
  {
    field: 'Mutation.removeTenantUser',
    method: 'DELETE',
    path: '/api/tenants/{tenant_id}/users/{user_id}',
    status: 204,
    tags: ['tenant-users'],
    summary: 'Remove a member from a tenant',
  },
];

export const tenantUsersAliases: FieldAliases = {};

export const tenantUsersIgnored: string[] = [];

import type { FieldAliases, RestRoute } from './types.js';

export const identityRoutes: RestRoute[] = [
  {
    field: 'Mutation.register',
    method: 'POST',
    path: '/api/v1/auth/register',
    status: 201,
    tags: ['auth'],
    summary: 'Register a tenant and its owner',
  },
  {
    field: 'Mutation.login',
    method: 'POST',
    path: '/api/v1/auth/token',
    tags: ['auth'],
    summary: 'Log in for access and refresh tokens',
  },
  {
    field: 'Mutation.refreshSession',
    method: 'POST',
    path: '/api/v1/auth/refresh',
    tags: ['auth'],
    summary: 'Rotate a refresh token',
  },
  {
    field: 'Query.me',
    method: 'GET',
    path: '/api/v1/auth/me',
    envelope: { message: 'User information retrieved successfully' },
    tags: ['auth'],
    summary: 'The current user and token claims',
  },
];

export const identityAliases: FieldAliases = {};

/** Fields the REST face leaves out (they would cost an extra fetch and are not in the contract). */
export const identityIgnored = ['CurrentUser.user'];

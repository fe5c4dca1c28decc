import type { FieldAliases, RestRoute } from './types.js';

export const identityServiceAccountsRoutes: RestRoute[] = [
  {
    field: 'Mutation.issueServiceAccountToken',
    method: 'POST',
    path: '/api/v1/auth/service-accounts/issue',
    status: 201,
    tags: ['auth'],
    summary: 'Issue a service-account refresh token (machine credential)',
  },
  {
    field: 'Mutation.browserIssueServiceAccountToken',
    method: 'POST',
    path: '/api/v1/auth/service-accounts/browser-issue',
    status: 201,
    tags: ['auth'],
    summary: 'Issue a service-account refresh token (tenant admin or operator)',
  },
  {
    field: 'Query.serviceAccountTokens',
    method: 'GET',
    path: '/api/v1/auth/service-accounts/tokens',
    tags: ['auth'],
    summary: 'List service-account tokens',
  },
  {
    field: 'Mutation.revokeServiceAccountToken',
    method: 'POST',
    path: '/api/v1/auth/service-accounts/tokens/{jti}/revoke',
    envelope: { message: 'Service account token revoked.' },
    tags: ['auth'],
    summary: 'Revoke a service-account token',
  },
];

export const identityServiceAccountsAliases: FieldAliases = {};

export const identityServiceAccountsIgnored: string[] = [];

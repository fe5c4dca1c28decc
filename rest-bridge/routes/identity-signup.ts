import type { FieldAliases, RestRoute } from './types.js';

// `POST /api/v1/auth/register` (Mutation.register) is served from ./identity.ts.
export const identitySignupRoutes: RestRoute[] = [
  {
    field: 'Query.signupPolicy',
    method: 'GET',
    path: '/api/v1/auth/signup-policy',
    tags: ['auth'],
    summary: 'The deployment’s signup policy',
  },
  {
    field: 'Mutation.requestSignupAccess',
    method: 'POST',
    path: '/api/v1/auth/request-access',
    status: 202,
    tags: ['auth'],
    summary: 'Request access (reviewed by operators)',
  },
  {
    field: 'Query.signupRequests',
    method: 'GET',
    path: '/api/v1/auth/signup-requests',
    tags: ['auth'],
    summary: 'List signup requests (operators)',
  },
  {
    field: 'Mutation.approveSignupRequest',
    method: 'POST',
    path: '/api/v1/auth/signup-requests/{request_id}/approve',
    tags: ['auth'],
    summary: 'Approve a signup request and issue its invite',
  },
  {
    field: 'Mutation.rejectSignupRequest',
    method: 'POST',
    path: '/api/v1/auth/signup-requests/{request_id}/reject',
    tags: ['auth'],
    summary: 'Reject a signup request',
  },
  {
    field: 'Query.signupInvites',
    method: 'GET',
    path: '/api/v1/auth/invites',
    tags: ['auth'],
    summary: 'List signup invites (operators)',
  },
  {
    field: 'Mutation.createSignupInvite',
    method: 'POST',
    path: '/api/v1/auth/invites',
    status: 201,
    tags: ['auth'],
    summary: 'Issue a signup invite',
  },
  {
    field: 'Mutation.revokeSignupInvite',
    method: 'POST',
    path: '/api/v1/auth/invites/{invite_id}/revoke',
    tags: ['auth'],
    summary: 'Revoke a signup invite',
  },
];

export const identitySignupAliases: FieldAliases = {};

export const identitySignupIgnored: string[] = [];

import type { FieldAliases, RestRoute } from './types.js';

export const identityMfaRoutes: RestRoute[] = [
  {
    field: 'Query.mfaMethods',
    method: 'GET',
    path: '/api/v1/auth/mfa',
    tags: ['auth'],
    summary: 'List MFA methods',
  },
  {
    field: 'Mutation.enrollTotp',
    method: 'POST',
    path: '/api/v1/auth/mfa/totp/enroll',
    status: 201,
    tags: ['auth'],
    summary: 'Start a TOTP enrolment',
  },
  {
    field: 'Mutation.verifyTotp',
    method: 'POST',
    path: '/api/v1/auth/mfa/totp/verify',
    envelope: { message: 'MFA verified.', data: 'none' },
    tags: ['auth'],
    summary: 'Verify a TOTP code',
  },
  {
    field: 'Mutation.revokeMfaMethod',
    method: 'DELETE',
    path: '/api/v1/auth/mfa/{method_id}',
    envelope: { message: 'MFA method revoked.', data: 'none' },
    tags: ['auth'],
    summary: 'Revoke an MFA method',
  },
  {
    field: 'Mutation.regenerateRecoveryCodes',
    method: 'POST',
    path: '/api/v1/auth/mfa/recovery/regenerate',
    tags: ['auth'],
    summary: 'Regenerate recovery codes',
  },
  {
    field: 'Mutation.completeMfaLogin',
    method: 'POST',
    path: '/api/v1/auth/mfa/complete',
    tags: ['auth'],
    summary: 'Complete an MFA login challenge',
  },
];

export const identityMfaAliases: FieldAliases = {};

export const identityMfaIgnored: string[] = [];

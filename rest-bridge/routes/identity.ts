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
    // An account with a second factor gets an MFA challenge, with 202 as the legacy API answered.
    statusFor: (data) => ((data as { mfa_required?: boolean } | null)?.mfa_required ? 202 : undefined),
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
  {
    field: 'Mutation.logoutSession',
    method: 'POST',
    path: '/api/v1/auth/logout',
    envelope: { message: 'Session revoked successfully.', messageField: 'message' },
    tags: ['auth'],
    summary: 'Revoke one refresh token (and its session) of the current user',
  },
  {
    field: 'Mutation.logoutAllSessions',
    method: 'POST',
    path: '/api/v1/auth/logout/all',
    envelope: { message: 'All sessions revoked successfully.', messageField: 'message' },
    tags: ['auth'],
    summary: 'Revoke every session of the current user',
  },
  {
    field: 'Query.userSessions',
    method: 'GET',
    path: '/api/v1/auth/sessions',
    tags: ['auth'],
    summary: 'List the current user’s sessions',
  },
  {
    field: 'Mutation.revokeUserSession',
    method: 'DELETE',
    path: '/api/v1/auth/sessions/{session_id}',
    envelope: { message: 'Session revoked successfully.', messageField: 'message' },
    tags: ['auth'],
    summary: 'Revoke one of the current user’s sessions',
  },
  {
    field: 'Mutation.sendEmailVerification',
    method: 'POST',
    path: '/api/v1/auth/email/send',
    status: 202,
    envelope: { message: 'Verification email sent.', messageField: 'message' },
    tags: ['auth'],
    summary: 'Mail a verification link to the current user',
  },
  {
    field: 'Mutation.verifyEmail',
    method: 'POST',
    path: '/api/v1/auth/email/verify',
    envelope: { message: 'Email verified successfully.', messageField: 'message', data: 'none' },
    tags: ['auth'],
    summary: 'Verify an email address with the emailed token',
  },
  {
    field: 'Mutation.requestPasswordReset',
    method: 'POST',
    path: '/api/v1/auth/password/forgot',
    status: 202,
    envelope: {
      message: 'If the account exists, password reset instructions have been sent.',
      messageField: 'message',
      data: 'none',
    },
    tags: ['auth'],
    summary: 'Email password reset instructions',
  },
  {
    field: 'Mutation.confirmPasswordReset',
    method: 'POST',
    path: '/api/v1/auth/password/confirm',
    envelope: { message: 'Password has been reset successfully.', messageField: 'message', data: 'none' },
    tags: ['auth'],
    summary: 'Set a new password with a reset token',
  },
  {
    field: 'Mutation.changePassword',
    method: 'POST',
    path: '/api/v1/auth/password/change',
    envelope: { message: 'Password updated successfully', messageField: 'message', data: 'none' },
    tags: ['auth'],
    summary: 'Change the current user’s password',
  },
  {
    field: 'Mutation.adminResetPassword',
    method: 'POST',
    path: '/api/v1/auth/password/reset',
    envelope: { message: 'Password reset successfully', messageField: 'message', data: 'none' },
    tags: ['auth'],
    summary: 'Reset a tenant member’s password (support:read)',
  },
];

export const identityAliases: FieldAliases = {};

/** Fields the REST face leaves out (they would cost an extra fetch and are not in the contract). */
export const identityIgnored = ['CurrentUser.user'];

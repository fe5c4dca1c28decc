import { legacyEnum } from '../kernel/builder.js';
import { TENANT_ROLES } from '../kernel/viewer.js';
import { builder } from './builder.js';

/** Identity's closed sets: GraphQL names (`OWNER`), legacy strings as values (`"owner"` in REST). */
export const TenantRoleEnum = legacyEnum(builder, 'TenantRole', TENANT_ROLES, 'Role of a user in a tenant.');

export const SIGNUP_INVITE_STATUSES = ['active', 'revoked', 'expired', 'exhausted'] as const;
export const SignupInviteStatus = legacyEnum(
  builder,
  'SignupInviteStatus',
  SIGNUP_INVITE_STATUSES,
  'State of a signup invite.',
);

export const SIGNUP_REQUEST_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const SignupRequestStatus = legacyEnum(
  builder,
  'SignupRequestStatus',
  SIGNUP_REQUEST_STATUSES,
  'State of a request for access.',
);

export const ServiceAccountTokenStatus = legacyEnum(
  builder,
  'ServiceAccountTokenStatus',
  ['active', 'revoked', 'all'],
  'Which service-account tokens to list.',
);

export const MfaMethodType = legacyEnum(builder, 'MfaMethodType', ['totp'], 'Kind of second factor.');

export const SignupAccessPolicy = legacyEnum(
  builder,
  'SignupAccessPolicy',
  ['public', 'invite_only', 'approval'],
  'How a deployment admits new tenants.',
);

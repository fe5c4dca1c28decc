import { conversationAliases, conversationIgnored, conversationRoutes } from './conversations.js';
import { identityAliases, identityIgnored, identityRoutes } from './identity.js';
import { identityMfaAliases, identityMfaIgnored, identityMfaRoutes } from './identity-mfa.js';
import {
  identityServiceAccountsAliases,
  identityServiceAccountsIgnored,
  identityServiceAccountsRoutes,
} from './identity-service-accounts.js';
import { identitySignupAliases, identitySignupIgnored, identitySignupRoutes } from './identity-signup.js';
import { tenantUsersAliases, tenantUsersIgnored, tenantUsersRoutes } from './tenant-users.js';
import { tenantAliases, tenantIgnored, tenantRoutes } from './tenants.js';
import type { FieldAliases, RestRoute } from './types.js';
import { usersAliases, usersIgnored, usersRoutes } from './users.js';

/** The REST surface: exactly these routes exist (plus the streams in ../streams). */
export const routes: readonly RestRoute[] = [
  ...identityRoutes,
  ...identityMfaRoutes,
  ...identitySignupRoutes,
  ...identityServiceAccountsRoutes,
  ...usersRoutes,
  ...tenantRoutes,
  ...tenantUsersRoutes,
  ...conversationRoutes,
];

export const fieldAliases: FieldAliases = {
  ...identityAliases,
  ...identityMfaAliases,
  ...identitySignupAliases,
  ...identityServiceAccountsAliases,
  ...usersAliases,
  ...tenantAliases,
  ...tenantUsersAliases,
  ...conversationAliases,
};

export const ignoredFields: readonly string[] = [
  ...identityIgnored,
  ...identityMfaIgnored,
  ...identitySignupIgnored,
  ...identityServiceAccountsIgnored,
  ...usersIgnored,
  ...tenantIgnored,
  ...tenantUsersIgnored,
  ...conversationIgnored,
];

export type { FieldAliases, RestRoute } from './types.js';

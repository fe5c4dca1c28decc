import { conversationAliases, conversationIgnored, conversationRoutes } from './conversations.js';
import { identityAliases, identityIgnored, identityRoutes } from './identity.js';
import { tenantAliases, tenantIgnored, tenantRoutes } from './tenants.js';
import type { FieldAliases, RestRoute } from './types.js';

/** The REST surface: exactly these routes exist (plus the streams in ../streams). */
export const routes: readonly RestRoute[] = [...identityRoutes, ...tenantRoutes, ...conversationRoutes];

export const fieldAliases: FieldAliases = { ...identityAliases, ...tenantAliases, ...conversationAliases };

export const ignoredFields: readonly string[] = [
  ...identityIgnored,
  ...tenantIgnored,
  ...conversationIgnored,
];

export type { FieldAliases, RestRoute } from './types.js';

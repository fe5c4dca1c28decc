import { defineScopes } from '../kernel/scopes.js';

/** Identity scopes: platform operators get them at login, on top of their tenant role's. */
export const identityScopes = defineScopes({
  'platform:operator': ['operator'],
  'auth:invites': ['operator'],
  'auth:signup_requests': ['operator'],
});

import { defineScopes } from '../kernel/scopes.js';

/** Platform scopes and the roles granted each at login. */
export const platformScopes = defineScopes({
  'usage:read': ['owner', 'admin', 'member', 'viewer'],
});

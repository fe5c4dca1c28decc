import { defineScopes } from '../kernel/scopes.js';

/** Storage scopes and the roles granted each at login. */
export const storageScopes = defineScopes({
  'storage:read': ['owner', 'admin', 'member', 'viewer'],
  'storage:write': ['owner', 'admin'],
});

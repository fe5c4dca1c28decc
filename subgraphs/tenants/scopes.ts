import { defineScopes } from '../kernel/scopes.js';

/** Tenant scopes and the roles granted each at login. */
export const tenantScopes = defineScopes({
  'tenant:settings': ['owner', 'admin'],
});

import { defineScopes } from '../kernel/scopes.js';

/** Activity scopes and the roles granted each at login (as the legacy API granted them). */
export const activityScopes = defineScopes({
  'activity:read': ['owner', 'admin'],
});

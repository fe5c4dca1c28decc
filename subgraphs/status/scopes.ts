import { defineScopes } from '../kernel/scopes.js';

/** Status scopes and who is granted each at login: platform operators run the status page. */
export const statusScopes = defineScopes({
  'status:manage': ['operator'],
});

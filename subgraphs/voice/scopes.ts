import { defineScopes } from '../kernel/scopes.js';

/**
 * Voice scopes and the roles granted each at login. Members talk to agents (sessions, tokens);
 * placing phone calls and routing numbers costs money and reaches outside, so it is for admins.
 */
export const voiceScopes = defineScopes({
  'voice:read': ['owner', 'admin', 'member', 'viewer'],
  'voice:write': ['owner', 'admin', 'member'],
  'calls:write': ['owner', 'admin'],
});

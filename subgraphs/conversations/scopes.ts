import { defineScopes } from '../kernel/scopes.js';

/** Conversation scopes and the roles granted each at login. */
export const conversationScopes = defineScopes({
  'conversations:read': ['owner', 'admin', 'member', 'viewer'],
  'conversations:write': ['owner', 'admin', 'member'],
  'conversations:delete': ['owner', 'admin'],
});

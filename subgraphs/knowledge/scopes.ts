import { defineScopes } from '../kernel/scopes.js';

/** Knowledge scopes (files, ingest, search, vector stores) and the roles granted each at login. */
export const knowledgeScopes = defineScopes({
  'knowledge:read': ['owner', 'admin', 'member', 'viewer'],
  'knowledge:write': ['owner', 'admin'],
});

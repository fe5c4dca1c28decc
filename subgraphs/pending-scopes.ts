import { defineScopes } from './kernel/scopes.js';

/**
 * Scopes of domains not ported yet (workflows, billing, support), granted
 * as the legacy API granted them so tokens and API keys keep carrying them. Each entry moves into its
 * domain's `scopes.ts` when that domain joins subgraphs/registry.ts.
 */
export const pendingScopes = defineScopes({
  'workflows:delete': ['owner', 'admin'],
  'billing:read': ['owner', 'admin'],
  'billing:manage': ['owner', 'admin'],
  'support:read': ['owner', 'admin'],
});

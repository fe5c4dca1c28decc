import { activitySubgraph } from './activity/index.js';
import { agentsSubgraph } from './agents/index.js';
import { conversationsSubgraph } from './conversations/index.js';
import { identitySubgraph } from './identity/index.js';
import type { DomainModule, ScopeOf } from './kernel/domain.js';
import { installScopes } from './kernel/scopes.js';
import { knowledgeSubgraph } from './knowledge/index.js';
import { pendingScopes } from './pending-scopes.js';
import { platformSubgraph } from './platform/index.js';
import { statusSubgraph } from './status/index.js';
import { storageSubgraph } from './storage/index.js';
import { tenantsSubgraph } from './tenants/index.js';
import { voiceSubgraph } from './voice/index.js';

/**
 * Every domain of the platform, in composition order: the only list. Routes, streams, scopes,
 * launchers, health and the schema build derive from it.
 */
export const subgraphs = [
  identitySubgraph,
  tenantsSubgraph,
  conversationsSubgraph,
  agentsSubgraph,
  knowledgeSubgraph,
  storageSubgraph,
  voiceSubgraph,
  activitySubgraph,
  platformSubgraph,
  statusSubgraph,
] as const satisfies readonly DomainModule[];

/** Every scope of the platform: what fields declare in `authScopes: { scope }` and services check. */
export type Scope = ScopeOf<(typeof subgraphs)[number]> | keyof typeof pendingScopes;

/** Every domain's scope declaration, plus the not-yet-ported domains' (in registry order). */
export const scopeDeclarations = [...subgraphs.map((s) => s.scopes), pendingScopes];

installScopes(scopeDeclarations);

export function findSubgraph(name: string): DomainModule {
  const found = subgraphs.find((s) => s.name === name);
  if (!found) {
    throw new Error(`Unknown subgraph "${name}". Known: ${subgraphs.map((s) => s.name).join(', ')}`);
  }
  return found;
}

import { conversationsSubgraph } from './conversations/index.js';
import { identitySubgraph } from './identity/index.js';
import type { SubgraphModule } from './kernel/serve-subgraph.js';
import { tenantsSubgraph } from './tenants/index.js';

/** Every subgraph of the platform, in composition order. */
export const subgraphs: readonly SubgraphModule[] = [
  identitySubgraph,
  tenantsSubgraph,
  conversationsSubgraph,
];

export function findSubgraph(name: string): SubgraphModule {
  const found = subgraphs.find((s) => s.name === name);
  if (!found) {
    throw new Error(`Unknown subgraph "${name}". Known: ${subgraphs.map((s) => s.name).join(', ')}`);
  }
  return found;
}

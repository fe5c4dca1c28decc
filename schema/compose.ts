import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { SubgraphModule } from '../subgraphs/kernel/serve-subgraph.js';

/** The URL recorded in the committed supergraph; the gateway replaces it from configuration. */
export const defaultSubgraphUrl = (name: string) => `http://${name}:4000/graphql`;

export function printSubgraph(subgraph: SubgraphModule): string {
  return printSubgraphSchema(subgraph.schema);
}

/** Composes the subgraphs into a supergraph SDL; throws with every composition error. */
export function composeSupergraph(subgraphs: readonly SubgraphModule[]): string {
  const result = composeServices(
    subgraphs.map((s) => ({
      name: s.name,
      url: defaultSubgraphUrl(s.name),
      typeDefs: parse(printSubgraph(s)),
    })),
  );
  if (result.errors?.length || !result.supergraphSdl) {
    throw new Error(`Composition failed:\n${(result.errors ?? []).map((e) => `  ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

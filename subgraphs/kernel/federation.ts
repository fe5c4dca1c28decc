import type { GraphQLSchema } from 'graphql';
import type { Builder } from './builder.js';

/** Every subgraph speaks the same Federation 2 version. */
export function toSubgraphSchema(builder: Builder): GraphQLSchema {
  return builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.6',
    federationDirectives: ['@key', '@shareable', '@external', '@extends'],
  });
}

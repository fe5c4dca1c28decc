import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './vector-stores/vector-store.graphql.js';

export const schema = toSubgraphSchema(builder);

import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './feed/feed.graphql.js';

export const schema = toSubgraphSchema(builder);

import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './files/file.graphql.js';
import './agent-files/agent-file.graphql.js';
import './search/search.graphql.js';
import './vector-stores/vector-store.graphql.js';

export const schema = toSubgraphSchema(builder);

import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './objects/object.graphql.js';

export const schema = toSubgraphSchema(builder);

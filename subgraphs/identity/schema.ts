import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './user.graphql.js';
import './session.graphql.js';

export const schema = toSubgraphSchema(builder);

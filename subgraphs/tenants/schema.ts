import { builder } from './builder.js';
import './tenant.graphql.js';
import './settings.graphql.js';
import './api-key.graphql.js';
import { toSubgraphSchema } from '../kernel/federation.js';

export const schema = toSubgraphSchema(builder);

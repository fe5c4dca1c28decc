import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './page/page.graphql.js';
import './subscriptions/subscription.graphql.js';

export const schema = toSubgraphSchema(builder);

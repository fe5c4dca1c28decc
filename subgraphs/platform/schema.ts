import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './usage/usage.graphql.js';
import './contact/contact.graphql.js';
import './logs/log.graphql.js';

export const schema = toSubgraphSchema(builder);

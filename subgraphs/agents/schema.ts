import { builder } from './builder.js';
import './agents/agent.graphql.js';
import './artifacts/schema.js';
import { toSubgraphSchema } from '../kernel/federation.js';

export const schema = toSubgraphSchema(builder);

import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './calls/call.graphql.js';
import './events/event.graphql.js';
import './sessions/session.graphql.js';
import './tokens/token.graphql.js';
import './inbound/mapping.graphql.js';
import './voice-status.graphql.js';
import './webhooks/webhook.graphql.js';
import './worker-api/worker.graphql.js';

export const schema = toSubgraphSchema(builder);

import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './conversation.graphql.js';
import './chat/chat.graphql.js';
import './history/history.graphql.js';
import './transcripts/append.graphql.js';

export const schema = toSubgraphSchema(builder);

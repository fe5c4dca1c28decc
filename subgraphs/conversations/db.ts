import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/** The tables conversations owns (prisma/models/conversations.prisma); its services see only these on `ctx.db`. */
export const CONVERSATIONS_MODELS = [
  'conversation',
  'conversationMessage',
  'chatTurn',
  'conversationItem',
  'conversationSummary',
] as const;

type Own = (typeof CONVERSATIONS_MODELS)[number];

/** The request context of conversations' services. */
export type ConversationsCtx = DomainCtx<Own>;
/** A transaction of conversations' services. */
export type ConversationsTx = DomainTx<Own>;

import type { ConversationItem, ConversationMessage } from '../../../generated/prisma/client.js';
import { BadRequestError, NotFoundError } from '../../kernel/errors.js';
import { pageSize } from '../../kernel/pagination.js';
import { actingTenant } from '../../kernel/viewer.js';
import { conversationUuid } from '../conversation-id.js';
import type { ConversationsCtx } from '../db.js';

/** The caller's tenant's conversation, or NOT_FOUND (unknown, malformed or foreign id). */
export async function findConversation(ctx: ConversationsCtx, id: string) {
  const { tenantId } = actingTenant(ctx);
  // A client's own (non-UUID) conversation id maps to its stored id, as chat stored it.
  const found = await ctx.db.conversation.findFirst({
    where: { id: conversationUuid(tenantId, id), tenantId },
  });
  if (!found) {
    throw new NotFoundError('Conversation', id);
  }
  return found;
}

/** The full history of a conversation; one without messages is NOT_FOUND, as the legacy API answered. */
export async function conversationHistory(ctx: ConversationsCtx, id: string) {
  const conversation = await findConversation(ctx, id);
  const messages = await ctx.db.conversationMessage.findMany({
    where: { conversationId: conversation.id, tenantId: conversation.tenantId },
    orderBy: { position: 'asc' },
  });
  if (messages.length === 0) {
    throw new NotFoundError('Conversation', id);
  }
  return { conversation, messages };
}

export interface MessagePage {
  items: ConversationMessage[];
  nextCursor: string | null;
  prevCursor: null;
}

function decodePositionCursor(cursor: string): number {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p?: unknown };
    if (value && typeof value.p === 'number' && Number.isInteger(value.p) && value.p >= 0) {
      return value.p;
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('Invalid pagination cursor.');
}

/** A page of messages, keyset on position (`desc`: newest first, the default). */
export async function conversationMessages(
  ctx: ConversationsCtx,
  args: {
    conversationId: string;
    limit?: number | null | undefined;
    cursor?: string | null | undefined;
    direction?: 'asc' | 'desc' | null | undefined;
  },
): Promise<MessagePage> {
  const limit = pageSize(args.limit, 50, 100);
  const direction = args.direction ?? 'desc';
  const after = args.cursor ? decodePositionCursor(args.cursor) : null;
  const conversation = await findConversation(ctx, args.conversationId);
  const rows = await ctx.db.conversationMessage.findMany({
    where: {
      conversationId: conversation.id,
      tenantId: conversation.tenantId,
      ...(after == null ? {} : { position: direction === 'asc' ? { gt: after } : { lt: after } }),
    },
    orderBy: { position: direction },
    take: limit + 1,
  });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify({ p: last.position })).toString('base64url')
        : null,
    prevCursor: null,
  };
}

/** The run-item ledger of a conversation in sequence order, optionally one workflow run's. */
export async function conversationItems(
  ctx: ConversationsCtx,
  conversationId: string,
  workflowRunId: string | null | undefined,
): Promise<{ conversationId: string; items: ConversationItem[] }> {
  const conversation = await findConversation(ctx, conversationId);
  const items = await ctx.db.conversationItem.findMany({
    where: {
      conversationId: conversation.id,
      tenantId: conversation.tenantId,
      ...(workflowRunId ? { workflowRunId } : {}),
    },
    orderBy: { sequenceNo: 'asc' },
  });
  return { conversationId: conversation.id, items };
}

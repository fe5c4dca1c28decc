import { z } from 'zod';
import type { Conversation } from '../../generated/prisma/client.js';
import { recordAudit } from '../kernel/audit.js';
import type { Ctx } from '../kernel/context.js';
import type { DbTx } from '../kernel/db.js';
import { BadRequestError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { mapEvents, publishEvent } from '../kernel/event-bus.js';
import { loaderFor } from '../kernel/loaders.js';
import { decodeCursor, type Page, pageSize, toPage } from '../kernel/pagination.js';
import { isUuid, requireTenant, requireUser } from '../kernel/viewer.js';
import {
  type ConversationEventKind,
  type ConversationEventPayload,
  conversationStream,
} from './conversation.events.js';

async function publish(tx: DbTx, conversation: Conversation, kind: ConversationEventKind) {
  const payload: ConversationEventPayload = {
    kind,
    conversationId: conversation.id,
    displayName: conversation.displayName,
    timestamp: new Date().toISOString(),
  };
  await publishEvent(tx, {
    stream: conversationStream(conversation.id),
    type: kind,
    tenantId: conversation.tenantId,
    payload: { ...payload },
  });
}

export interface ListConversationsInput {
  limit?: number | null | undefined;
  cursor?: string | null | undefined;
  agent?: string | null | undefined;
}

/** The tenant's conversations, most recently updated first (keyset on updatedAt, id). */
export async function listConversations(
  ctx: Ctx,
  input: ListConversationsInput,
): Promise<Page<Conversation>> {
  const tenantId = requireTenant(ctx.viewer);
  const limit = pageSize(input.limit, 50, 100);
  const after = input.cursor ? decodeCursor(input.cursor, ['ts', 'id']) : null;
  const afterTs = after ? new Date(after.ts) : null;
  if (after && (Number.isNaN(afterTs?.getTime()) || !isUuid(after.id))) {
    throw new BadRequestError('Invalid pagination cursor.');
  }
  const rows = await ctx.db.conversation.findMany({
    where: {
      tenantId,
      ...(input.agent ? { agentEntrypoint: input.agent } : {}),
      ...(after && afterTs
        ? { OR: [{ updatedAt: { lt: afterTs } }, { updatedAt: afterTs, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  return toPage(rows, limit, (c) => ({ ts: c.updatedAt.toISOString(), id: c.id }));
}

/** Conversations a user started, within the caller's tenant. */
export async function listUserConversations(ctx: Ctx, userId: string, limit: number | null | undefined) {
  const tenantId = requireTenant(ctx.viewer);
  return ctx.db.conversation.findMany({
    where: { tenantId, userId },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    take: pageSize(limit, 20, 100),
  });
}

/** One conversation of the caller's tenant; another tenant's id is NOT_FOUND. */
export async function getConversation(ctx: Ctx, id: string): Promise<Conversation> {
  const tenantId = requireTenant(ctx.viewer);
  const found = isUuid(id) ? await ctx.db.conversation.findFirst({ where: { id, tenantId } }) : null;
  if (!found) {
    throw new NotFoundError('Conversation', id);
  }
  return found;
}

/** Entity lookup for the gateway: null for missing or foreign rows. */
export async function getConversationRef(ctx: Ctx, id: string): Promise<Conversation | null> {
  const tenantId = ctx.viewer?.tenantId;
  if (!tenantId || !isUuid(id)) {
    return null;
  }
  return loaderFor(ctx, 'conversation', (ids) =>
    ctx.db.conversation.findMany({ where: { id: { in: [...ids] }, tenantId } }),
  ).load(id);
}

export const CreateConversationInput = z.strictObject({
  displayName: z.string().trim().min(1).max(200).nullish(),
  agentEntrypoint: z.string().trim().min(1).max(128).nullish(),
});
export type CreateConversationInput = z.input<typeof CreateConversationInput>;

function invalid(error: z.ZodError) {
  return new ValidationError(
    'Request validation failed.',
    error.issues.map((i) => ({ loc: ['body', ...i.path.map(String)], msg: i.message, type: i.code })),
  );
}

/** Starts an empty conversation owned by the caller; publishes `conversation.created`. */
export async function createConversation(ctx: Ctx, input: CreateConversationInput): Promise<Conversation> {
  const tenantId = requireTenant(ctx.viewer);
  const parsed = CreateConversationInput.safeParse(input);
  if (!parsed.success) {
    throw invalid(parsed.error);
  }
  const viewer = ctx.viewer;
  return ctx.db.$transaction(async (tx) => {
    const conversation = await tx.conversation.create({
      data: {
        tenantId,
        userId: requireUser(viewer).userId,
        displayName: parsed.data.displayName ?? null,
        agentEntrypoint: parsed.data.agentEntrypoint ?? 'default',
        lastMessagePreview: '',
      },
    });
    await publish(tx, conversation, 'conversation.created');
    await recordAudit(tx, viewer, {
      action: 'conversation.created',
      targetType: 'conversation',
      targetId: conversation.id,
    });
    return conversation;
  });
}

/** Renames a conversation; publishes `conversation.title.updated`. */
export async function renameConversation(ctx: Ctx, id: string, displayName: string): Promise<Conversation> {
  const parsed = CreateConversationInput.pick({ displayName: true }).required().safeParse({ displayName });
  if (!parsed.success) {
    throw invalid(parsed.error);
  }
  const existing = await getConversation(ctx, id);
  return ctx.db.$transaction(async (tx) => {
    const conversation = await tx.conversation.update({
      where: { id: existing.id },
      data: { displayName: parsed.data.displayName },
    });
    await publish(tx, conversation, 'conversation.title.updated');
    return conversation;
  });
}

/** Hard-deletes a conversation of the caller's tenant; publishes `conversation.deleted`. */
export async function deleteConversation(ctx: Ctx, id: string): Promise<boolean> {
  const existing = await getConversation(ctx, id);
  await ctx.db.$transaction(async (tx) => {
    await tx.conversation.delete({ where: { id: existing.id } });
    await publish(tx, existing, 'conversation.deleted');
    await recordAudit(tx, ctx.viewer, {
      action: 'conversation.deleted',
      targetType: 'conversation',
      targetId: id,
    });
  });
  return true;
}

export interface ConversationEventView extends ConversationEventPayload {
  cursor: string;
}

/**
 * Events of one conversation of the caller's tenant, live; with `after`, the stored events after
 * that cursor are replayed first.
 */
export async function subscribeConversationEvents(
  ctx: Ctx,
  conversationId: string,
  after: string | null | undefined,
): Promise<AsyncIterableIterator<ConversationEventView>> {
  await getConversation(ctx, conversationId);
  if (after != null && !/^\d{1,18}$/.test(after)) {
    throw new BadRequestError('Invalid event cursor.');
  }
  const source = ctx.bus.subscribe<ConversationEventPayload>(
    conversationStream(conversationId),
    after == null ? null : BigInt(after),
  );
  return mapEvents(source, (e) => ({ ...e.payload, cursor: e.seq.toString() }));
}

import { z } from 'zod';
import type { Conversation } from '../../generated/prisma/client.js';
import { recordActivity } from '../kernel/activity.js';
import { recordAudit } from '../kernel/audit.js';
import { BadRequestError, NotFoundError } from '../kernel/errors.js';
import { mapEvents, publishEvent } from '../kernel/event-bus.js';
import { loaderFor } from '../kernel/loaders.js';
import { keyset, type Page, type PageArgs, pageSize } from '../kernel/pagination.js';
import { isUuid, parseArgs } from '../kernel/validation.js';
import { actingTenant, requireUser } from '../kernel/viewer.js';
import {
  type ConversationEventKind,
  type ConversationEventPayload,
  conversationStream,
} from './conversation.events.js';
import type { ConversationsCtx, ConversationsTx } from './db.js';

async function publish(tx: ConversationsTx, conversation: Conversation, kind: ConversationEventKind) {
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

export interface ListConversationsInput extends PageArgs {
  agent?: string | null | undefined;
}

/** The tenant's conversations, most recently updated first (keyset on updatedAt, id). */
export async function listConversations(
  ctx: ConversationsCtx,
  input: ListConversationsInput,
): Promise<Page<Conversation>> {
  const { tenantId } = actingTenant(ctx);
  const page = keyset(input, 'updatedAt', 'desc');
  const rows = await ctx.db.conversation.findMany({
    where: { tenantId, ...(input.agent ? { agentEntrypoint: input.agent } : {}), ...page.where },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

/** Conversations a user started, within the caller's tenant. */
export async function listUserConversations(
  ctx: ConversationsCtx,
  userId: string,
  limit: number | null | undefined,
) {
  const { tenantId } = actingTenant(ctx);
  return ctx.db.conversation.findMany({
    where: { tenantId, userId },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    take: pageSize(limit, 20, 100),
  });
}

/** One conversation of the caller's tenant; another tenant's id is NOT_FOUND. */
export async function getConversation(ctx: ConversationsCtx, id: string): Promise<Conversation> {
  const { tenantId } = actingTenant(ctx);
  const found = isUuid(id) ? await ctx.db.conversation.findFirst({ where: { id, tenantId } }) : null;
  if (!found) {
    throw new NotFoundError('Conversation', id);
  }
  return found;
}

/** Entity lookup for the gateway: null for missing or foreign rows. */
export async function getConversationRef(ctx: ConversationsCtx, id: string): Promise<Conversation | null> {
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

/** Starts an empty conversation owned by the caller; publishes `conversation.created`. */
export async function createConversation(
  ctx: ConversationsCtx,
  input: CreateConversationInput,
): Promise<Conversation> {
  const { tenantId } = actingTenant(ctx);
  const data = parseArgs(CreateConversationInput, input, ['input']);
  const viewer = ctx.viewer;
  return ctx.db.$transaction(async (tx) => {
    const conversation = await tx.conversation.create({
      data: {
        tenantId,
        userId: requireUser(viewer).userId,
        displayName: data.displayName ?? null,
        agentEntrypoint: data.agentEntrypoint ?? 'default',
        lastMessagePreview: '',
      },
    });
    await publish(tx, conversation, 'conversation.created');
    await recordAudit(tx, viewer, {
      action: 'conversation.created',
      targetType: 'conversation',
      targetId: conversation.id,
    });
    await recordActivity(tx, ctx, {
      tenantId,
      action: 'conversation.created',
      objectType: 'conversation',
      objectId: conversation.id,
      objectName: conversation.displayName,
    });
    return conversation;
  });
}

/** Renames a conversation; publishes `conversation.title.updated`. */
export async function renameConversation(
  ctx: ConversationsCtx,
  id: string,
  displayName: string,
): Promise<Conversation> {
  const parsed = parseArgs(
    CreateConversationInput.pick({ displayName: true }).required(),
    { displayName },
    [],
  );
  const existing = await getConversation(ctx, id);
  return ctx.db.$transaction(async (tx) => {
    const conversation = await tx.conversation.update({
      where: { id: existing.id },
      data: { displayName: parsed.displayName },
    });
    await publish(tx, conversation, 'conversation.title.updated');
    return conversation;
  });
}

/** Hard-deletes a conversation of the caller's tenant; publishes `conversation.deleted`. */
export async function deleteConversation(ctx: ConversationsCtx, id: string): Promise<boolean> {
  const existing = await getConversation(ctx, id);
  await ctx.db.$transaction(async (tx) => {
    await tx.conversation.delete({ where: { id: existing.id } });
    await publish(tx, existing, 'conversation.deleted');
    await recordAudit(tx, ctx.viewer, {
      action: 'conversation.deleted',
      targetType: 'conversation',
      targetId: id,
    });
    await recordActivity(tx, ctx, {
      tenantId: existing.tenantId,
      action: 'conversation.deleted',
      objectType: 'conversation',
      objectId: id,
      objectName: existing.displayName,
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
  ctx: ConversationsCtx,
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

import { z } from 'zod';
import type { Conversation } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { isUniqueViolation, NotFoundError } from '../../kernel/errors.js';
import { publishEvent } from '../../kernel/event-bus.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { ConversationEventPayload } from '../conversation.events.js';
import { conversationStream } from '../conversation.events.js';
import type { ConversationsCtx, ConversationsTx } from '../db.js';

/** Most messages one call appends, and the longest message. */
export const MAX_APPEND_MESSAGES = 50;
export const MAX_APPEND_CONTENT = 8000;

const AppendInput = z.strictObject({
  messages: z
    .array(
      z.strictObject({
        role: z.enum(['user', 'assistant']),
        content: z.string().min(1).max(MAX_APPEND_CONTENT),
        agent: z.string().trim().min(1).max(128).nullish(),
        at: z.date().nullish(),
      }),
    )
    .min(1)
    .max(MAX_APPEND_MESSAGES),
  displayName: z.string().trim().min(1).max(200).nullish(),
  agentEntrypoint: z.string().trim().min(1).max(128).nullish(),
});
export type AppendConversationMessagesInput = z.input<typeof AppendInput>;

export interface AppendOutcome {
  conversationId: string;
  /** The conversation was made by this call. */
  created: boolean;
  /** Messages in the conversation after the append. */
  messageCount: number;
  /** Positions the messages got, in order. */
  positions: number[];
}

/**
 * Who may append to which conversation. An agent run (the voice worker's token) only to its own
 * conversation, which it may create (owned by the user or API key that started the session or
 * call); any other id is NOT_FOUND. Everyone else only to an existing conversation of the tenant.
 */
function allowed(ctx: ConversationsCtx, id: string): { tenantId: string; mayCreate: boolean } {
  const { tenantId, viewer } = actingTenant(ctx);
  if (viewer.kind === 'agent') {
    if (viewer.conversationId?.toLowerCase() !== id) {
      throw new NotFoundError('Conversation', id);
    }
    return { tenantId, mayCreate: true };
  }
  return { tenantId, mayCreate: false };
}

/**
 * Appends messages at the next positions of a conversation (the row is locked by the count update
 * until commit, as a chat turn's append is), keeping its count, preview and last-message time; an
 * agent run's first append creates the conversation (`conversation.created`).
 */
export async function appendConversationMessages(
  ctx: ConversationsCtx,
  conversationId: string,
  /** Checked here (`AppendConversationMessagesInput`): GraphQL gives roles as strings. */
  input: unknown,
): Promise<AppendOutcome> {
  const id = requireUuid(conversationId, 'conversationId');
  const { tenantId, mayCreate } = allowed(ctx, id);
  const data = parseArgs(AppendInput, input, ['input']);
  const viewer = ctx.viewer;
  const append = () =>
    ctx.db.$transaction(async (tx) => {
      const existing = await tx.conversation.findUnique({ where: { id } });
      if (existing && existing.tenantId !== tenantId) {
        throw new NotFoundError('Conversation', id);
      }
      let created = false;
      if (!existing) {
        if (!mayCreate || viewer?.kind !== 'agent') {
          throw new NotFoundError('Conversation', id);
        }
        const conversation = await tx.conversation.create({
          data: {
            id,
            tenantId,
            userId: viewer.ownerUserId,
            apiKeyId: viewer.ownerApiKeyId,
            displayName: data.displayName ?? null,
            agentEntrypoint: data.agentEntrypoint ?? viewer.agentKey ?? 'default',
            lastMessagePreview: '',
          },
        });
        await publishCreated(tx, conversation);
        await recordAudit(tx, viewer, {
          action: 'conversation.created',
          targetType: 'conversation',
          targetId: id,
        });
        created = true;
      }
      const last = data.messages.at(-1) as (typeof data.messages)[number];
      const lastAssistant = data.messages.findLast((m) => m.role === 'assistant' && m.agent);
      const conversation = await tx.conversation.update({
        where: { id },
        data: {
          messageCount: { increment: data.messages.length },
          lastMessagePreview: last.content.slice(0, 160),
          lastMessageAt: last.at ?? new Date(),
          ...(lastAssistant?.agent ? { activeAgent: lastAssistant.agent } : {}),
        },
      });
      const first = conversation.messageCount - data.messages.length + 1;
      const positions = data.messages.map((_, i) => first + i);
      await tx.conversationMessage.createMany({
        data: data.messages.map((m, i) => ({
          tenantId,
          conversationId: id,
          position: first + i,
          role: m.role,
          agent: m.role === 'assistant' ? (m.agent ?? null) : null,
          content: m.content,
          ...(m.at ? { createdAt: m.at } : {}),
        })),
      });
      return { conversationId: id, created, messageCount: conversation.messageCount, positions };
    });
  try {
    return await append();
  } catch (error) {
    // Two first appends racing to create the conversation: the loser appends to the winner's.
    if (!isUniqueViolation(error)) {
      throw error;
    }
    return append();
  }
}

async function publishCreated(tx: ConversationsTx, conversation: Conversation): Promise<void> {
  const payload: ConversationEventPayload = {
    kind: 'conversation.created',
    conversationId: conversation.id,
    displayName: conversation.displayName,
    timestamp: new Date().toISOString(),
  };
  await publishEvent(tx, {
    stream: conversationStream(conversation.id),
    type: 'conversation.created',
    tenantId: conversation.tenantId,
    payload: { ...payload },
  });
}

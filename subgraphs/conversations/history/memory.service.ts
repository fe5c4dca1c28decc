import { z } from 'zod';
import type { Conversation } from '../../../generated/prisma/client.js';
import { parseArgs } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { ConversationsCtx } from '../db.js';
import { findConversation } from './history.service.js';

export const MEMORY_MODES = ['none', 'trim', 'summarize', 'compact'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

const turns = z.number().int().min(1).max(1000).nullish();

const MemoryConfigInput = z.strictObject({
  mode: z.enum(MEMORY_MODES).nullish(),
  maxUserTurns: turns,
  keepLastTurns: turns,
  compactTriggerTurns: turns,
  compactKeep: turns,
  clearToolInputs: z.boolean().nullish(),
  memoryInjection: z.boolean().nullish(),
});
export type MemoryConfigInput = z.input<typeof MemoryConfigInput>;

export interface MemoryConfig {
  mode: MemoryMode | null;
  maxUserTurns: number | null;
  keepLastTurns: number | null;
  compactTriggerTurns: number | null;
  compactKeep: number | null;
  clearToolInputs: boolean | null;
  memoryInjection: boolean | null;
}

/** The stored memory config of a conversation (null fields fall back to the agent's). */
export function memoryConfigOf(c: Conversation): MemoryConfig {
  return {
    mode: (c.memoryStrategy as MemoryMode | null) ?? null,
    maxUserTurns: c.memoryMaxTurns,
    keepLastTurns: c.memoryKeepLastTurns,
    compactTriggerTurns: c.memoryCompactTriggerTurns,
    compactKeep: c.memoryCompactKeep,
    clearToolInputs: c.memoryClearToolInputs,
    memoryInjection: c.memoryInjection,
  };
}

const COLUMNS = {
  mode: 'memoryStrategy',
  maxUserTurns: 'memoryMaxTurns',
  keepLastTurns: 'memoryKeepLastTurns',
  compactTriggerTurns: 'memoryCompactTriggerTurns',
  compactKeep: 'memoryCompactKeep',
  clearToolInputs: 'memoryClearToolInputs',
  memoryInjection: 'memoryInjection',
} as const;

/**
 * Updates only the fields present in `input` (an explicit null clears one); owners and admins only.
 */
export async function updateConversationMemory(
  ctx: ConversationsCtx,
  conversationId: string,
  input: MemoryConfigInput,
): Promise<MemoryConfig> {
  actingTenant(ctx, { manage: true, deniedMessage: 'Only owners and admins may change memory settings.' });
  const data = parseArgs(MemoryConfigInput, input, ['input']);
  const existing = await findConversation(ctx, conversationId);
  const update: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    const value = data[key as keyof typeof COLUMNS];
    if (value !== undefined) {
      update[column] = value;
    }
  }
  if (Object.keys(update).length === 0) {
    return memoryConfigOf(existing);
  }
  const updated = await ctx.db.conversation.update({ where: { id: existing.id }, data: update });
  return memoryConfigOf(updated);
}

import { z } from 'zod';
import { MEMORY_MODES } from '../history/memory.service.js';

const count = z.number().int().min(1).max(1000).nullish();
const tokens = z.number().int().min(1).max(10_000_000).nullish();

/** A request's memory strategy (the legacy MemoryStrategyRequest); unset fields fall back. */
export const MemoryStrategyInput = z.object({
  mode: z.enum(MEMORY_MODES).nullish(),
  maxUserTurns: count,
  keepLastUserTurns: count,
  tokenBudget: tokens,
  tokenSoftBudget: tokens,
  tokenRemainingPct: z.number().min(0).max(100).nullish(),
  tokenSoftRemainingPct: z.number().min(0).max(100).nullish(),
  contextWindowTokens: tokens,
  compactTriggerTurns: count,
  compactKeep: count,
  compactClearToolInputs: z.boolean().nullish(),
  compactExcludeTools: z.array(z.string().max(128)).max(64).nullish(),
  compactIncludeTools: z.array(z.string().max(128)).max(64).nullish(),
  summarizerModel: z.string().min(1).max(128).nullish(),
  summaryMaxTokens: z.number().int().min(16).max(32_000).nullish(),
  summaryMaxChars: z.number().int().min(16).max(200_000).nullish(),
});
export type MemoryStrategyInput = z.infer<typeof MemoryStrategyInput>;

/** The largest user message a turn takes (characters). */
export const MAX_MESSAGE_CHARACTERS = 100_000;

/** A chat request (the legacy AgentChatRequest), camelCase as GraphQL passes it. */
export const ChatRequest = z.object({
  message: z.string().trim().min(1, 'Message must not be empty').max(MAX_MESSAGE_CHARACTERS),
  conversationId: z.string().trim().min(1).max(255).nullish(),
  agentType: z.string().trim().max(128).nullish(),
  shareLocation: z.boolean().nullish(),
  location: z
    .object({
      city: z.string().max(200).nullish(),
      region: z.string().max(200).nullish(),
      country: z.string().max(200).nullish(),
      timezone: z.string().max(64).nullish(),
    })
    .nullish(),
  context: z.record(z.string(), z.unknown()).nullish(),
  runOptions: z
    .object({
      maxTurns: z.number().int().min(1).max(50).nullish(),
      previousResponseId: z.string().max(255).nullish(),
      handoffInputFilter: z.string().max(128).nullish(),
      handoffContextPolicy: z.enum(['full', 'fresh', 'last_turn']).nullish(),
      runConfig: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  memoryStrategy: MemoryStrategyInput.nullish(),
  memoryInjection: z.boolean().nullish(),
  attachments: z
    .array(z.object({ objectId: z.string(), kind: z.string().nullish() }))
    .max(0, {
      message: 'Attachments need the storage service, which this deployment does not have yet.',
    })
    .nullish(),
  containerOverrides: z.record(z.string(), z.string()).nullish(),
  vectorStoreOverrides: z.record(z.string(), z.unknown()).nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;
export type ChatRequestInput = z.input<typeof ChatRequest>;

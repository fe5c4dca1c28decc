import type { Conversation, ConversationMessage } from '../../../generated/prisma/client.js';
import { MEMORY_MODES, type MemoryMode } from '../history/memory.service.js';
import type { MemoryStrategyInput } from './chat-input.js';

/** The memory settings a turn runs with, after the legacy precedence. */
export interface MemoryPlan {
  mode: MemoryMode;
  /** trim / summarize: user turns kept in full (older ones dropped or summarized). */
  maxUserTurns: number;
  /** summarize / compact: user turns kept verbatim after a summary or compaction. */
  keepLastUserTurns: number;
  /** compact: user turns past which older assistant answers are compacted. */
  compactTriggerTurns: number;
  summarizerModel: string | null;
  summaryMaxTokens: number;
  summaryMaxChars: number;
}

/** Stored agent memory keys may be snake_case (runtime config JSON) or camelCase. */
function pick(memory: Record<string, unknown>, snake: string): unknown {
  const camel = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return memory[snake] ?? memory[camel];
}

function int(...values: unknown[]): number | undefined {
  for (const v of values) {
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) {
      return v;
    }
  }
  return undefined;
}

/**
 * The legacy precedence, field by field: the request's memory strategy, then the conversation's
 * stored memory config, then the agent's runtime config; the mode defaults to `none`.
 */
export function memoryPlan(
  request: MemoryStrategyInput | null | undefined,
  conversation: Pick<
    Conversation,
    | 'memoryStrategy'
    | 'memoryMaxTurns'
    | 'memoryKeepLastTurns'
    | 'memoryCompactTriggerTurns'
    | 'memoryCompactKeep'
  >,
  agentMemory: Record<string, unknown>,
): MemoryPlan {
  const agentMode = pick(agentMemory, 'mode') ?? pick(agentMemory, 'strategy');
  const mode =
    request?.mode ??
    ((MEMORY_MODES as readonly string[]).includes(conversation.memoryStrategy as MemoryMode)
      ? (conversation.memoryStrategy as MemoryMode)
      : null) ??
    ((MEMORY_MODES as readonly string[]).includes(agentMode as MemoryMode)
      ? (agentMode as MemoryMode)
      : 'none');
  return {
    mode,
    maxUserTurns:
      int(request?.maxUserTurns, conversation.memoryMaxTurns, pick(agentMemory, 'max_user_turns')) ?? 10,
    keepLastUserTurns:
      int(
        request?.keepLastUserTurns ?? request?.compactKeep,
        conversation.memoryKeepLastTurns ?? conversation.memoryCompactKeep,
        pick(agentMemory, 'keep_last_user_turns') ?? pick(agentMemory, 'keep_last_turns'),
      ) ?? 4,
    compactTriggerTurns:
      int(
        request?.compactTriggerTurns,
        conversation.memoryCompactTriggerTurns,
        pick(agentMemory, 'compact_trigger_turns'),
      ) ?? 10,
    summarizerModel:
      request?.summarizerModel ??
      (typeof pick(agentMemory, 'summarizer_model') === 'string'
        ? (pick(agentMemory, 'summarizer_model') as string)
        : null),
    summaryMaxTokens: int(request?.summaryMaxTokens, pick(agentMemory, 'summary_max_tokens')) ?? 400,
    summaryMaxChars: int(request?.summaryMaxChars, pick(agentMemory, 'summary_max_chars')) ?? 4000,
  };
}

/** Index of the first message of the turn `n` user turns from the end (0 when there are fewer). */
function startOfLastTurns(history: readonly ConversationMessage[], n: number): number {
  let seen = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]?.role === 'user') {
      seen++;
      if (seen === n) {
        return i;
      }
    }
  }
  return 0;
}

export function userTurns(history: readonly ConversationMessage[]): number {
  return history.filter((m) => m.role === 'user').length;
}

/** What the model sees of the history: messages kept, and the older ones to summarize. */
export interface HistoryWindow {
  kept: ConversationMessage[];
  /** Older messages a summary replaces (summarize), empty otherwise. */
  toSummarize: ConversationMessage[];
  /** Assistant answers shortened (compact). */
  compacted: number;
  dropped: number;
}

/** The longest an older assistant answer stays under `compact`. */
const COMPACTED_CHARS = 200;

/** Applies a memory plan to the history before this turn's message (oldest first). */
export function historyWindow(history: readonly ConversationMessage[], plan: MemoryPlan): HistoryWindow {
  const turns = userTurns(history);
  if (plan.mode === 'trim' && turns > plan.maxUserTurns) {
    const from = startOfLastTurns(history, plan.maxUserTurns);
    return { kept: history.slice(from), toSummarize: [], compacted: 0, dropped: from };
  }
  if (plan.mode === 'summarize' && turns > plan.maxUserTurns) {
    const from = startOfLastTurns(history, plan.keepLastUserTurns);
    return { kept: history.slice(from), toSummarize: history.slice(0, from), compacted: 0, dropped: 0 };
  }
  if (plan.mode === 'compact' && turns > plan.compactTriggerTurns) {
    const from = startOfLastTurns(history, plan.keepLastUserTurns);
    let compacted = 0;
    const kept = history.map((m, i) => {
      if (i >= from || m.role !== 'assistant' || m.content.length <= COMPACTED_CHARS) {
        return m;
      }
      compacted++;
      return { ...m, content: `${m.content.slice(0, COMPACTED_CHARS)} […]` };
    });
    return { kept, toSummarize: [], compacted, dropped: 0 };
  }
  return { kept: [...history], toSummarize: [], compacted: 0, dropped: 0 };
}

import type { Config } from '../../kernel/config.js';
import type { AgentRunSpec } from './agents-client.js';

// What a turn's run produced, without the agents SDK: run-turn.ts (which loads the SDK) is imported
// only when a turn runs, so a server that never chats never loads it.

/** One run item of a turn, as the ledger keeps it. */
export interface LedgerItem {
  runItemType: string;
  runItemName: string | null;
  role: string | null;
  agent: string | null;
  toolCallId?: string | null;
  toolName?: string | null;
  model?: string | null;
  contentText?: string | null;
  callArguments?: unknown;
  callOutput?: unknown;
  responseId?: string | null;
}

export interface RunOutcome {
  status: 'completed' | 'incomplete' | 'cancelled' | 'failed';
  text: string;
  structuredOutput: unknown;
  agent: string;
  handoffs: number;
  items: LedgerItem[];
  usage: {
    requests: number;
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
    cachedInputTokens: number;
    reasoningTokens: number;
  };
  model: string;
  error: ProviderFailure | null;
}

export interface ProviderFailure {
  message: string;
  retryable: boolean;
  /** HTTP status of the provider's answer, when it answered. */
  status: number | null;
}

/** Usage of a run that reported none (failed or cancelled before the provider's usage arrived). */
export const noUsage = (requests = 0): RunOutcome['usage'] => ({
  requests,
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  cachedInputTokens: 0,
  reasoningTokens: 0,
});

export const modelOf = (config: Config, spec: AgentRunSpec) => config.CHAT_MODEL ?? spec.model;

/** Where a guardrail runs in a turn (the legacy stages). */
export const GUARDRAIL_STAGES = ['pre_flight', 'input', 'output', 'tool_input', 'tool_output'] as const;
export type GuardrailStage = (typeof GUARDRAIL_STAGES)[number];

/** What a guardrail runs on: `regex` checks run here; `llm`, `api` and `hybrid` need a model. */
export const GUARDRAIL_ENGINES = ['regex', 'llm', 'api', 'hybrid'] as const;
export type GuardrailEngine = (typeof GUARDRAIL_ENGINES)[number];

/** What one check says about one text (the runner adds the key and stage). */
export interface CheckOutcome {
  /** The text must not pass (block the turn). */
  tripwire_triggered: boolean;
  /** Something was found (masked or blocked). */
  flagged: boolean;
  /** 0–1: how sure the check is (1 for exact pattern findings; the score for heuristics). */
  confidence: number;
  /** The text with findings masked, when the check masked something. */
  masked_content?: string;
  details: Record<string, unknown>;
}

/** The common result of a guardrail on one text, as the chat stream's `guardrail_result` carries it. */
export interface GuardrailResult extends CheckOutcome {
  guardrail_key: string;
  stage: GuardrailStage;
}

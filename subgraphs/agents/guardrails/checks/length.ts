import { z } from 'zod';
import type { CheckOutcome } from './types.js';

export const LengthConfig = z
  .object({
    max_characters: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .nullable()
      .default(20_000)
      .describe('Most characters (Unicode code points) a text may have; null: no limit.'),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .nullable()
      .default(null)
      .describe(
        'Most tokens a text may have, estimated without a tokenizer (see estimateTokens); null: no limit.',
      ),
  })
  .strict();
export type LengthConfig = z.output<typeof LengthConfig>;

/**
 * A model-independent token estimate: each run of letters or digits counts one token per 6
 * characters (rounded up), each other non-space character one token. Near BPE tokenizers on
 * English prose, high on code and punctuation (a limit errs on the safe side).
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)) {
    tokens += /[\p{L}\p{N}]/u.test(m[0]) ? Math.ceil([...m[0]].length / 6) : 1;
  }
  return tokens;
}

/** The length check: a text over either limit trips the wire. */
export function checkLength(text: string, config: LengthConfig): CheckOutcome {
  const characters = [...text].length;
  const tokens = config.max_tokens === null ? null : estimateTokens(text);
  const overCharacters = config.max_characters !== null && characters > config.max_characters;
  const overTokens = tokens !== null && config.max_tokens !== null && tokens > config.max_tokens;
  const flagged = overCharacters || overTokens;
  return {
    tripwire_triggered: flagged,
    flagged,
    confidence: flagged ? 1 : 0,
    details: {
      characters,
      max_characters: config.max_characters,
      estimated_tokens: tokens,
      max_tokens: config.max_tokens,
    },
  };
}

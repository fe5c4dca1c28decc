/**
 * OpenAI's `chunking_strategy` and the chunk sizes it means: what requests validate and responses
 * show, apart from the tokenizer (chunk.ts), which loads only when a file is chunked.
 */
import { z } from 'zod';

/** How big chunks are: at most `maxTokens` tokens, consecutive chunks sharing about `overlapTokens`. */
export interface ChunkingOptions {
  maxTokens: number;
  overlapTokens: number;
}

/**
 * OpenAI's `chunking_strategy`, as its API documents it (snake_case JSON): `{type: 'auto'}` (the
 * deployment's default, OpenAI's 800 / 400) or `{type: 'static', static: {max_chunk_size_tokens:
 * 100–4096, chunk_overlap_tokens: 0 … max_chunk_size_tokens / 2}}`.
 */
export const ChunkingStrategy = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto') }),
  z.strictObject({
    type: z.literal('static'),
    static: z
      .strictObject({
        max_chunk_size_tokens: z.number().int().min(100).max(4096),
        chunk_overlap_tokens: z.number().int().min(0),
      })
      .refine((s) => s.chunk_overlap_tokens <= s.max_chunk_size_tokens / 2, {
        message: 'chunk_overlap_tokens must not exceed half of max_chunk_size_tokens',
        path: ['chunk_overlap_tokens'],
      }),
  }),
]);
export type ChunkingStrategy = z.infer<typeof ChunkingStrategy>;

/** The options a strategy means: `auto` or none → the defaults (KNOWLEDGE_CHUNK_TOKENS / _OVERLAP_TOKENS). */
export function chunkingOptions(
  strategy: ChunkingStrategy | null | undefined,
  defaults: ChunkingOptions,
): ChunkingOptions {
  if (strategy?.type === 'static') {
    return {
      maxTokens: strategy.static.max_chunk_size_tokens,
      overlapTokens: strategy.static.chunk_overlap_tokens,
    };
  }
  return { maxTokens: defaults.maxTokens, overlapTokens: defaults.overlapTokens };
}

/** The strategy a file was chunked with, as OpenAI's responses show it (always `static`, resolved). */
export function chunkingStrategyOf(options: ChunkingOptions): {
  type: 'static';
  static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number };
} {
  return {
    type: 'static',
    static: { max_chunk_size_tokens: options.maxTokens, chunk_overlap_tokens: options.overlapTokens },
  };
}

/**
 * Embeddings: text in, vectors out, by the provider the deployment configures
 * (EMBEDDINGS_PROVIDER). Every vector of one embedder has `dimensions` numbers; chunks embedded by
 * one model are only comparable with queries embedded by the same model.
 */
import type { Config } from '../../kernel/config.js';
import { LocalHashEmbedder } from './local-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';

export interface Embedder {
  /** What made the vectors (`local-hash-v1`, or EMBEDDINGS_MODEL): recorded with them. */
  readonly model: string;
  /** Length of every vector. */
  readonly dimensions: number;
  /** One vector per text, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

const embedders = new WeakMap<Config, Embedder>();

/**
 * The embedder of a configuration (one instance per config): `local` → the hashing embedder with
 * EMBEDDINGS_DIMENSIONS; `openai` → EMBEDDINGS_MODEL on the OpenAI-compatible `/v1/embeddings`
 * (its calls answer 503 while OPENAI_API_KEY is unset).
 */
export function embedderFor(config: Config): Embedder {
  let embedder = embedders.get(config);
  if (!embedder) {
    embedder =
      config.EMBEDDINGS_PROVIDER === 'openai'
        ? new OpenAIEmbedder(config)
        : new LocalHashEmbedder(config.EMBEDDINGS_DIMENSIONS);
    embedders.set(config, embedder);
  }
  return embedder;
}

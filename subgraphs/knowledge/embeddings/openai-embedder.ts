/**
 * EMBEDDINGS_MODEL on an OpenAI-compatible `/v1/embeddings` (OpenAI, or a local server such as
 * Ollama, vLLM or llama.cpp through OPENAI_BASE_URL), through the deployment's one SDK client.
 */
import type { Config } from '../../kernel/config.js';
import { providerError, requireOpenAI } from '../../kernel/openai.js';
import type { Embedder } from './embedder.js';

export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly batchSize: number;

  constructor(private readonly config: Config) {
    this.model = config.EMBEDDINGS_MODEL;
    this.dimensions = config.EMBEDDINGS_DIMENSIONS;
    this.batchSize = config.EMBEDDINGS_BATCH_SIZE;
  }

  /**
   * Vectors of the texts, EMBEDDINGS_BATCH_SIZE texts per request, requests one after another (a
   * provider rate-limits bursts; the SDK retries 429 and 5xx itself). Without OPENAI_API_KEY:
   * SERVICE_UNAVAILABLE. A provider failure is the coded error of `providerError`; a vector of
   * another length than EMBEDDINGS_DIMENSIONS (a model that ignores `dimensions`) is an Error
   * saying how to fix the setting.
   */
  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    if (texts.length === 0) {
      return [];
    }
    const client = requireOpenAI(this.config, 'Embeddings');
    const vectors: number[][] = [];
    for (let from = 0; from < texts.length; from += this.batchSize) {
      signal?.throwIfAborted();
      // The API refuses empty strings; a blank text still gets a vector (of a space).
      const input = texts.slice(from, from + this.batchSize).map((text) => text || ' ');
      let response: Awaited<ReturnType<typeof client.embeddings.create>>;
      try {
        response = await client.embeddings.create(
          { model: this.model, input, dimensions: this.dimensions, encoding_format: 'float' },
          { signal },
        );
      } catch (error) {
        if (signal?.aborted) {
          throw signal.reason ?? error;
        }
        throw providerError(error, 'embeddings');
      }
      const data = [...response.data].sort((a, b) => a.index - b.index);
      if (data.length !== input.length) {
        throw new Error(
          `The embeddings model ${this.model} returned ${data.length} vectors for ${input.length} texts.`,
        );
      }
      for (const item of data) {
        const vector = item.embedding as unknown;
        if (!Array.isArray(vector) || vector.length !== this.dimensions) {
          const got = Array.isArray(vector) ? vector.length : 'no';
          throw new Error(
            `The embeddings model ${this.model} returned ${got} dimensions, the store holds ${this.dimensions}: ` +
              `set EMBEDDINGS_DIMENSIONS to a size the model returns and run \`npm run knowledge:reembed\` ` +
              'to re-size the store, or choose a model that supports the current size.',
          );
        }
        vectors.push(vector as number[]);
      }
    }
    return vectors;
  }
}

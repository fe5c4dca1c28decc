import type { DbTx } from '../../kernel/db.js';
import { AppError } from '../../kernel/errors.js';
import type { KnowledgeTx } from '../db.js';
import type { Embedder } from './embedder.js';

/** What re-embedding takes; every mismatch message names it. */
export const REEMBED_COMMAND = 'npm run knowledge:reembed';

type SpaceDb = Pick<KnowledgeTx, 'knowledgeEmbeddingSpace' | '$queryRaw'>;

/** The size of the `knowledge_chunk.embedding` column (`vector(N)`), as the database declares it. */
export async function columnDimensions(db: Pick<DbTx, '$queryRaw'>): Promise<number | null> {
  const rows = await db.$queryRaw<{ dims: number }[]>`
    SELECT atttypmod AS dims FROM pg_attribute
    WHERE attrelid = 'knowledge_chunk'::regclass AND attname = 'embedding'`;
  const dims = rows[0]?.dims ?? -1;
  return dims > 0 ? dims : null;
}

const checked = new WeakMap<object, string>();

/**
 * The vectors in the database and the configured embedder must agree (model and size); the first
 * use records them. Anything else is a 503 naming the re-embedding step: vectors of two models in
 * one index would rank as noise, silently.
 */
export async function assertEmbeddingSpace(db: SpaceDb, embedder: Embedder): Promise<void> {
  const want = `${embedder.model}/${embedder.dimensions}`;
  if (checked.get(db) === want) {
    return;
  }
  const column = await columnDimensions(db);
  if (column !== embedder.dimensions) {
    throw mismatch(
      `the chunk table holds vectors of ${column ?? 'unknown'} dimensions; EMBEDDINGS_DIMENSIONS is ${embedder.dimensions}`,
    );
  }
  // ON CONFLICT DO NOTHING, then read: processes starting together record the first one's space.
  await db.knowledgeEmbeddingSpace.createMany({
    data: [{ id: 1, model: embedder.model, dimensions: embedder.dimensions }],
    skipDuplicates: true,
  });
  const space = await db.knowledgeEmbeddingSpace.findUniqueOrThrow({ where: { id: 1 } });
  if (space.model !== embedder.model || space.dimensions !== embedder.dimensions) {
    throw mismatch(
      `the stored vectors were made by ${space.model} (${space.dimensions} dimensions); this deployment is configured for ${embedder.model} (${embedder.dimensions})`,
    );
  }
  checked.set(db, want);
}

function mismatch(why: string): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `Knowledge search is unavailable: ${why}. Run \`${REEMBED_COMMAND}\` to re-embed every chunk with the configured model, or restore the previous EMBEDDINGS_* settings.`,
  );
}

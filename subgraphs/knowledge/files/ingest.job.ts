import type { KnowledgeFile } from '../../../generated/prisma/client.js';
import { createContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type ClaimedJob, type JobHandler, PermanentJobError } from '../../kernel/jobs.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { KnowledgeCtx, KnowledgeTx } from '../db.js';
import { embedderFor } from '../embeddings/embedder.js';
import { assertEmbeddingSpace } from '../embeddings/embedding-space.js';
import type { TextChunk } from '../ingest/chunk.js';
import { ExtractionError, extractText } from '../ingest/extract.js';
import { fileChunking, INGEST_QUEUE, type IngestJobPayload, publishFileEvent } from './file.service.js';

/** Rows per INSERT when chunks are written. */
const INSERT_BATCH = 500;

/** Starts this process's ingest workers (INGEST_CONCURRENCY); the subgraph stops them on close. */
export async function startIngestWorkers(kernel: Kernel): Promise<() => Promise<void>> {
  const ctx = (await createContext(kernel, {})) as unknown as KnowledgeCtx;
  const analyze = kernel.database.kind === 'pglite' ? debouncedAnalyze(ctx) : undefined;
  return kernel.jobs.work(INGEST_QUEUE, ingestHandler(ctx, analyze), kernel.config.INGEST_CONCURRENCY);
}

/** Seconds between two ANALYZE runs of the chunk table on the embedded database. */
const ANALYZE_EVERY_MS = 30_000;

/**
 * PGlite has no autovacuum, so nothing refreshes the planner's statistics: without them it cannot
 * tell a big tenant (HNSW index) from a small one (exact scan of its rows). Refresh them after
 * ingests, at most every 30 s.
 */
function debouncedAnalyze(ctx: KnowledgeCtx): () => void {
  let last = 0;
  let running = false;
  return () => {
    if (running || Date.now() - last < ANALYZE_EVERY_MS) {
      return;
    }
    running = true;
    last = Date.now();
    void ctx.db.$executeRaw`ANALYZE knowledge_chunk`
      .catch((error: unknown) => ctx.log.warn({ err: error }, 'ANALYZE knowledge_chunk failed'))
      .finally(() => {
        running = false;
      });
  };
}

function payloadOf(job: ClaimedJob): IngestJobPayload {
  const p = job.payload as Partial<IngestJobPayload> | null;
  if (!p || typeof p.fileId !== 'string' || typeof p.version !== 'number') {
    throw new PermanentJobError('malformed ingest job');
  }
  return { fileId: p.fileId, version: p.version };
}

/** The file of the job when the job is still its latest ingest request (else null: superseded or deleted). */
async function currentFile(ctx: KnowledgeCtx, payload: IngestJobPayload): Promise<KnowledgeFile | null> {
  const file = await ctx.db.knowledgeFile.findUnique({ where: { id: payload.fileId } });
  return file && file.ingestVersion === payload.version ? file : null;
}

/** A failure's reason as users see it on the file. */
function reasonOf(error: unknown): string {
  if (error instanceof ExtractionError || error instanceof PermanentJobError || error instanceof AppError) {
    return error.message;
  }
  return `Ingest failed: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * One ingest: extract → chunk → embed, then the new chunks replace the old ones and the file
 * becomes `ready`, in one transaction, only if no newer ingest was asked for meanwhile. Runs again
 * from the start after a crash (nothing is written before that last transaction but the status).
 */
export function ingestHandler(ctx: KnowledgeCtx, afterIngest?: () => void): JobHandler {
  return {
    async run(job, signal) {
      const payload = payloadOf(job);
      const file = await currentFile(ctx, payload);
      if (!file) {
        return;
      }
      const claimed = await ctx.db.$transaction(async (tx) => {
        const { count } = await tx.knowledgeFile.updateMany({
          where: { id: file.id, ingestVersion: payload.version },
          data: { status: 'processing' },
        });
        if (count > 0) {
          await publishFileEvent(tx, null, { ...file, status: 'processing' });
        }
        return count;
      });
      if (claimed === 0) {
        return;
      }
      const bytes = await ctx.blobs.get(file.blobKey);
      if (!bytes) {
        throw new PermanentJobError('The file’s bytes are missing from storage.');
      }
      let chunks: TextChunk[];
      try {
        const sections = await extractText(bytes, file.mimeType);
        // The tokenizer loads with the first file chunked (its tables take a while to build).
        const { chunkSections } = await import('../ingest/chunk.js');
        chunks = chunkSections(sections, fileChunking(ctx, file));
      } catch (error) {
        throw error instanceof ExtractionError ? new PermanentJobError(error.message) : error;
      }
      if (!chunks.length) {
        throw new PermanentJobError('The file has no extractable text.');
      }
      const embedder = embedderFor(ctx.config);
      try {
        await assertEmbeddingSpace(ctx.db, embedder);
      } catch (error) {
        throw new PermanentJobError((error as Error).message);
      }
      const vectors: number[][] = [];
      const batch = ctx.config.EMBEDDINGS_BATCH_SIZE;
      for (let i = 0; i < chunks.length; i += batch) {
        signal.throwIfAborted();
        vectors.push(
          ...(await embedder.embed(
            chunks.slice(i, i + batch).map((c) => c.text),
            signal,
          )),
        );
      }
      signal.throwIfAborted();
      await ctx.db.$transaction(
        async (tx) => {
          const [locked] = await tx.$queryRaw<{ ingestVersion: number }[]>`
            SELECT "ingestVersion" FROM knowledge_file WHERE id = ${file.id}::uuid FOR UPDATE`;
          if (locked?.ingestVersion !== payload.version) {
            return; // superseded or deleted while we worked
          }
          await tx.knowledgeChunk.deleteMany({ where: { fileId: file.id } });
          for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
            await insertChunks(
              tx,
              file,
              chunks.slice(i, i + INSERT_BATCH),
              vectors.slice(i, i + INSERT_BATCH),
            );
          }
          const ready = await tx.knowledgeFile.update({
            where: { id: file.id },
            data: {
              status: 'ready',
              error: null,
              chunkCount: chunks.length,
              tokenCount: chunks.reduce((sum, c) => sum + c.tokenCount, 0),
              embeddingModel: embedder.model,
              ingestedAt: new Date(),
            },
          });
          await publishFileEvent(tx, null, ready);
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      afterIngest?.();
    },
    async failed(job, error) {
      const payload = payloadOf(job);
      const reason = reasonOf(error).slice(0, 1000);
      const file = await currentFile(ctx, payload);
      if (!file) {
        return;
      }
      await ctx.db.$transaction(async (tx) => {
        const changed = await tx.knowledgeFile.updateMany({
          where: { id: file.id, ingestVersion: payload.version },
          data: { status: 'failed', error: reason },
        });
        if (changed.count) {
          await publishFileEvent(tx, null, { ...file, status: 'failed', error: reason });
        }
      });
    },
  };
}

/** One multi-row INSERT of chunks with their vectors (`unnest` of parallel arrays, vectors as text). */
async function insertChunks(
  tx: KnowledgeTx,
  file: KnowledgeFile,
  chunks: TextChunk[],
  vectors: number[][],
): Promise<void> {
  const ordinals = chunks.map((c) => c.ordinal);
  const texts = chunks.map((c) => c.text);
  const tokens = chunks.map((c) => c.tokenCount);
  const metadata = chunks.map((c) => JSON.stringify(c.page === undefined ? {} : { page: c.page }));
  const embeddings = vectors.map((v) => `[${v.join(',')}]`);
  await tx.$executeRaw`
    INSERT INTO knowledge_chunk (id, "tenantId", "fileId", ordinal, text, "tokenCount", metadata, embedding)
    SELECT gen_random_uuid(), ${file.tenantId}::uuid, ${file.id}::uuid, u.ordinal, u.text, u.tokens,
           u.metadata::jsonb, u.embedding::vector
    FROM unnest(${ordinals}::int[], ${texts}::text[], ${tokens}::int[], ${metadata}::text[], ${embeddings}::text[])
      AS u(ordinal, text, tokens, metadata, embedding)`;
}

import { Prisma } from '../../../generated/prisma/client.js';
import type { KnowledgeCtx } from '../db.js';
import { embedderFor } from '../embeddings/embedder.js';
import { assertEmbeddingSpace } from '../embeddings/embedding-space.js';

export const SEARCH_MODES = ['hybrid', 'vector', 'text'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** One ranked passage. */
export interface ChunkHit {
  chunkId: string;
  fileId: string;
  filename: string;
  ordinal: number;
  text: string;
  /** In [0, 1], higher is better (see `searchChunks`). */
  score: number;
  metadata: unknown;
}

export interface ChunkSearch {
  tenantId: string;
  query: string;
  topK: number;
  /** Only these files; null: every file of the tenant; empty: nothing. */
  fileIds: string[] | null;
  mode: SearchMode;
  /** Drop hits scoring below this. */
  scoreThreshold?: number;
}

/** Reciprocal rank fusion constant (the usual 60: rank 1 and rank 10 stay comparable). */
const RRF_K = 60;

interface Ranked {
  id: string;
  rank: number;
  score: number;
}

/**
 * Searches the tenant's chunks. `vector`: cosine similarity of the query's embedding over the HNSW
 * index, tenant-filtered with `hnsw.iterative_scan` so a small tenant among big ones still gets k
 * rows (score = similarity). `text`: PostgreSQL full-text rank of any query term (score =
 * rank / (rank + 1)). `hybrid` (default): both candidate lists fused by reciprocal rank fusion
 * (score = RRF / the best possible RRF, so a passage first in both lists scores 1).
 */
export async function searchChunks(ctx: KnowledgeCtx, search: ChunkSearch): Promise<ChunkHit[]> {
  const query = search.query.trim();
  if (!query || search.topK < 1 || (search.fileIds !== null && search.fileIds.length === 0)) {
    return [];
  }
  const pool = search.mode === 'hybrid' ? Math.max(search.topK * 4, 40) : search.topK;
  const fileFilter =
    search.fileIds === null ? Prisma.empty : Prisma.sql`AND "fileId" = ANY(${search.fileIds}::uuid[])`;
  const [vector, text] = await Promise.all([
    search.mode === 'text' ? [] : vectorCandidates(ctx, search.tenantId, query, pool, fileFilter),
    search.mode === 'vector' ? [] : textCandidates(ctx, search.tenantId, query, pool, fileFilter),
  ]);
  let ranked: { id: string; score: number }[];
  if (search.mode === 'hybrid') {
    const fused = new Map<string, number>();
    for (const list of [vector, text]) {
      for (const hit of list) {
        fused.set(hit.id, (fused.get(hit.id) ?? 0) + 1 / (RRF_K + hit.rank));
      }
    }
    const best = 2 / (RRF_K + 1);
    ranked = [...fused].map(([id, rrf]) => ({ id, score: rrf / best })).sort((a, b) => b.score - a.score);
  } else {
    ranked = search.mode === 'vector' ? vector : text;
  }
  const threshold = search.scoreThreshold ?? 0;
  const top = ranked.filter((r) => r.score >= threshold).slice(0, search.topK);
  if (!top.length) {
    return [];
  }
  const rows = await ctx.db.$queryRaw<
    { id: string; fileId: string; filename: string; ordinal: number; text: string; metadata: unknown }[]
  >`
    SELECT c.id, c."fileId", f.filename, c.ordinal, c.text, c.metadata
    FROM knowledge_chunk c JOIN knowledge_file f ON f.id = c."fileId"
    WHERE c.id = ANY(${top.map((t) => t.id)}::uuid[]) AND c."tenantId" = ${search.tenantId}::uuid`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return top.flatMap((t) => {
    const row = byId.get(t.id);
    return row
      ? [
          {
            chunkId: row.id,
            fileId: row.fileId,
            filename: row.filename,
            ordinal: row.ordinal,
            text: row.text,
            score: Math.round(t.score * 1e6) / 1e6,
            metadata: row.metadata,
          },
        ]
      : [];
  });
}

async function vectorCandidates(
  ctx: KnowledgeCtx,
  tenantId: string,
  query: string,
  limit: number,
  fileFilter: Prisma.Sql,
): Promise<Ranked[]> {
  const embedder = embedderFor(ctx.config);
  await assertEmbeddingSpace(ctx.db, embedder);
  const [embedding] = await embedder.embed([query]);
  const q = `[${(embedding ?? []).join(',')}]`;
  // ef_search bounds the candidates each HNSW pass keeps; iterative scans keep going while the
  // tenant filter drops rows. The CTE is materialised so relaxed order is re-sorted exactly.
  const rows = await ctx.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
      set_config('hnsw.ef_search', ${String(Math.min(1000, Math.max(ctx.config.KNOWLEDGE_HNSW_EF_SEARCH, limit * 2)))}, true)`;
    return tx.$queryRaw<{ id: string; distance: number }[]>`
      WITH nearest AS MATERIALIZED (
        SELECT id, (embedding <=> ${q}::vector)::float8 AS distance
        FROM knowledge_chunk
        WHERE "tenantId" = ${tenantId}::uuid AND embedding IS NOT NULL ${fileFilter}
        ORDER BY embedding <=> ${q}::vector
        LIMIT ${limit})
      SELECT id, distance FROM nearest ORDER BY distance, id`;
  });
  return rows.map((r, i) => ({ id: r.id, rank: i + 1, score: Math.max(0, Math.min(1, 1 - r.distance)) }));
}

async function textCandidates(
  ctx: KnowledgeCtx,
  tenantId: string,
  query: string,
  limit: number,
  fileFilter: Prisma.Sql,
): Promise<Ranked[]> {
  // Passages holding every term first (few rows, cheap); when those are fewer than asked, any term
  // may match (a question in words rarely has all of them in one passage), and then only the first
  // KNOWLEDGE_TEXT_MATCH_CAP matches are ranked, so a word in every chunk of a big tenant costs a
  // bounded scan. ts_rank_cd rewards passages holding more terms, closer together; normalisation
  // 32 maps the rank to r/(r+1).
  const all = await rankText(
    ctx,
    tenantId,
    Prisma.sql`plainto_tsquery('english', ${query})`,
    limit,
    fileFilter,
    null,
  );
  if (all.length >= limit) {
    return all;
  }
  const any = await rankText(
    ctx,
    tenantId,
    Prisma.sql`replace(plainto_tsquery('english', ${query})::text, ' & ', ' | ')::tsquery`,
    limit,
    fileFilter,
    ctx.config.KNOWLEDGE_TEXT_MATCH_CAP,
  );
  const seen = new Set(all.map((r) => r.id));
  const merged = [...all, ...any.filter((r) => !seen.has(r.id))].slice(0, limit);
  return merged.map((r, i) => ({ ...r, rank: i + 1 }));
}

async function rankText(
  ctx: KnowledgeCtx,
  tenantId: string,
  terms: Prisma.Sql,
  limit: number,
  fileFilter: Prisma.Sql,
  cap: number | null,
): Promise<Ranked[]> {
  const rows = await ctx.db.$queryRaw<{ id: string; rank: number }[]>`
    WITH q AS (SELECT ${terms} AS terms),
    matches AS (
      SELECT c.id, c."textTsv" FROM knowledge_chunk c, q
      WHERE c."tenantId" = ${tenantId}::uuid ${fileFilter} AND c."textTsv" @@ q.terms
      ${cap === null ? Prisma.empty : Prisma.sql`LIMIT ${cap}`})
    SELECT m.id, ts_rank_cd(m."textTsv", q.terms, 32)::float8 AS rank
    FROM matches m, q
    ORDER BY rank DESC, m.id
    LIMIT ${limit}`;
  return rows.map((r, i) => ({ id: r.id, rank: i + 1, score: r.rank }));
}

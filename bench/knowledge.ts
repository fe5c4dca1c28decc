/**
 * Knowledge rows of the bench, P5 (`npm run bench:knowledge`, writes bench/results/knowledge.{md,json}):
 * - search latency through `POST /api/tenants/{id}/search` for `hybrid` and `vector` mode, in the big
 *   tenant (BENCH_KB_CHUNKS chunks, 100k by default) and in a small one among the big one, the two
 *   modes interleaved query by query;
 * - recall@10 of the HNSW search (tenant-filtered, iterative scan) against an exact scan of the
 *   same vectors, for both tenants;
 * - ingest throughput (chunks/s) of the real pipeline (upload → job → extract, chunk, embed, write).
 * The corpus is synthetic (words drawn from a Zipf-like vocabulary) and embedded with the local
 * embedder; bulk rows are written with the platform's own multi-row INSERT, the HNSW index built after.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedderFor } from '../subgraphs/knowledge/embeddings/embedder.js';
import { bootStack } from '../test/kit/stack.js';
import { percentile } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIG = Number(process.env.BENCH_KB_CHUNKS ?? 100_000);
const SMALL_TENANTS = Number(process.env.BENCH_KB_SMALL_TENANTS ?? 10);
const SMALL = Number(process.env.BENCH_KB_SMALL_CHUNKS ?? 200);
const QUERIES = Number(process.env.BENCH_KB_QUERIES ?? 60);
const INGEST_CHUNKS = Number(process.env.BENCH_KB_INGEST_CHUNKS ?? 2000);

const now = () => performance.now();
const ms = (v: number) => `${v.toFixed(1)} ms`;

// A deterministic Zipf-like corpus: word i drawn with weight 1/(i+1).
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const VOCABULARY = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x${(i * 7919) % 97}`);
const weights = VOCABULARY.map((_, i) => 1 / (i + 1));
const total = weights.reduce((a, b) => a + b, 0);
const cdf: number[] = [];
{
  let run = 0;
  for (const w of weights) {
    run += w / total;
    cdf.push(run);
  }
}
function word(): string {
  const r = random();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] ?? 1) < r) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return VOCABULARY[lo] ?? 'w0';
}
// Documents are about something: each passage draws most of its words from one of TOPICS topic
// vocabularies (so vectors cluster, as real text embeddings do), the rest from the common words.
const TOPICS = 500;
const topicWords = Array.from({ length: TOPICS }, (_, t) =>
  Array.from({ length: 40 }, (_, i) => `t${t.toString(36)}w${i.toString(36)}`),
);
const topicWord = (topic: number) => {
  const words = topicWords[topic] ?? [];
  // Zipf within the topic too.
  return words[Math.min(words.length - 1, Math.floor(words.length * random() ** 2))] ?? 'w0';
};
const passage = (words: number) => {
  const topic = Math.floor(random() * TOPICS);
  return Array.from({ length: words }, () => (random() < 0.7 ? topicWord(topic) : word())).join(' ');
};

const t = await bootStack({
  NODE_ENV: 'production',
  RATE_LIMITS: 'false',
  MAIL_OUTBOX_ONLY: 'true',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
});
const db = t.stack.kernel.database.prisma;
const embedder = embedderFor(t.stack.kernel.config);
const big = await t.register();
const smalls = await Promise.all(Array.from({ length: SMALL_TENANTS }, () => t.register()));

/** Writes `count` synthetic chunks for a tenant as files of 100 chunks (embedded locally). */
async function seedTenant(tenantId: string, count: number): Promise<string[]> {
  const texts: string[] = [];
  for (let offset = 0; offset < count; offset += 100) {
    const n = Math.min(100, count - offset);
    const file = await db.knowledgeFile.create({
      data: {
        tenantId,
        filename: `synthetic-${offset}.txt`,
        mimeType: 'text/plain',
        sizeBytes: n * 300,
        checksumSha256: '',
        blobKey: `${tenantId}/bench/${offset}`,
        status: 'ready',
        chunkCount: n,
      },
    });
    const batch = Array.from({ length: n }, () => passage(60));
    texts.push(...batch);
    const vectors = await embedder.embed(batch);
    await db.$executeRaw`
      INSERT INTO knowledge_chunk (id, "tenantId", "fileId", ordinal, text, "tokenCount", metadata, embedding)
      SELECT gen_random_uuid(), ${tenantId}::uuid, ${file.id}::uuid, u.ordinal, u.text, 60, '{}'::jsonb, u.embedding::vector
      FROM unnest(${batch.map((_, i) => i)}::int[], ${batch}::text[], ${vectors.map((v) => `[${v.join(',')}]`)}::text[])
        AS u(ordinal, text, embedding)`;
  }
  return texts;
}

console.log(`seeding ${BIG} chunks in one tenant and ${SMALL_TENANTS} × ${SMALL} in small ones …`);
await db.$executeRawUnsafe('DROP INDEX IF EXISTS "knowledge_chunk_embedding_hnsw_idx"');
let started = now();
const bigTexts = await seedTenant(big.tenantId, BIG);
const smallTexts = await Promise.all(smalls.map((s) => seedTenant(s.tenantId, SMALL)));
const seedMs = now() - started;
started = now();
await db.$executeRawUnsafe(
  'CREATE INDEX "knowledge_chunk_embedding_hnsw_idx" ON knowledge_chunk USING hnsw (embedding vector_cosine_ops)',
);
const indexMs = now() - started;
await db.$executeRawUnsafe('ANALYZE knowledge_chunk'); // what autovacuum does on PostgreSQL after a bulk load
console.log(`seeded in ${(seedMs / 1000).toFixed(1)} s, HNSW built in ${(indexMs / 1000).toFixed(1)} s`);
/** After minutes without HTTP (seeding, SQL-only rows) pooled keep-alive sockets may be stale: warm up. */
async function warmUp() {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fetch(`${t.url}/health`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
await warmUp();

/** A query made of a few words of a stored passage (so there is a right answer to find). */
function queryFrom(texts: string[]): string {
  const text = texts[Math.floor(random() * texts.length)] ?? '';
  const words = text.split(' ');
  const at = Math.floor(random() * Math.max(1, words.length - 6));
  return words.slice(at, at + 5).join(' ');
}

async function timedSearch(tenantId: string, token: string, query: string, mode: string) {
  const start = now();
  const res = await t.rest<{ results: { chunk_id: string }[] }>('POST', `/api/tenants/${tenantId}/search`, {
    token,
    body: { query, top_k: 10, mode },
  });
  if (res.status !== 200) {
    throw new Error(`search failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { ms: now() - start, ids: res.body.results.map((r) => r.chunk_id) };
}

/** The exact top 10 by cosine distance (the `+ 0` keeps the planner off the index). */
async function exactTop10(tenantId: string, query: string): Promise<string[]> {
  const [v] = await embedder.embed([query]);
  const q = `[${(v ?? []).join(',')}]`;
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM knowledge_chunk WHERE "tenantId" = ${tenantId}::uuid
    ORDER BY (embedding <=> ${q}::vector) + 0, id LIMIT 10`;
  return rows.map((r) => r.id);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
type Series = { hybrid: number[]; vector: number[]; recall: number[] };
const series: Record<'big' | 'small', Series> = {
  big: { hybrid: [], vector: [], recall: [] },
  small: { hybrid: [], vector: [], recall: [] },
};
for (let i = 0; i < QUERIES; i++) {
  const small = smalls[i % smalls.length];
  for (const [name, tenantId, token, texts] of [
    ['big', big.tenantId, big.accessToken, bigTexts],
    ['small', small?.tenantId ?? '', small?.accessToken ?? '', smallTexts[i % smalls.length] ?? []],
  ] as const) {
    const query = queryFrom(texts);
    const order = i % 2 === 0 ? (['hybrid', 'vector'] as const) : (['vector', 'hybrid'] as const);
    for (const mode of order) {
      const r = await timedSearch(tenantId, token, query, mode);
      series[name][mode].push(r.ms);
      if (mode === 'vector') {
        const exact = await exactTop10(tenantId, query);
        const hit = r.ids.filter((id) => exact.includes(id)).length;
        series[name].recall.push(exact.length ? hit / exact.length : 1);
      }
    }
  }
}

// Recall@10 of the HNSW search in the big tenant for several hnsw.ef_search values, the same queries.
const EF_VALUES = [40, 100, 200, 400];
const efQueries = Array.from({ length: Math.min(QUERIES, 30) }, () => queryFrom(bigTexts));
const efRows: { ef: number; recall: number; ms: number }[] = [];
for (const ef of EF_VALUES) {
  const recalls: number[] = [];
  const times: number[] = [];
  for (const query of efQueries) {
    const [v] = await embedder.embed([query]);
    const q = `[${(v ?? []).join(',')}]`;
    const start = now();
    const ids = await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', ${String(ef)}, true)`;
      return tx.$queryRaw<{ id: string }[]>`
        WITH nearest AS MATERIALIZED (
          SELECT id, embedding <=> ${q}::vector AS d FROM knowledge_chunk
          WHERE "tenantId" = ${big.tenantId}::uuid ORDER BY embedding <=> ${q}::vector LIMIT 10)
        SELECT id FROM nearest ORDER BY d`;
    });
    times.push(now() - start);
    const exact = await exactTop10(big.tenantId, query);
    recalls.push(ids.filter((r) => exact.includes(r.id)).length / Math.max(1, exact.length));
  }
  efRows.push({ ef, recall: mean(recalls), ms: percentile(times, 50) });
}

// Ingest throughput: one text document of INGEST_CHUNKS chunks through the real pipeline.
const ingestText = Array.from({ length: INGEST_CHUNKS }, () => `${passage(120)}\n\n`).join('');
await warmUp();
const form = new FormData();
form.append('file', new Blob([ingestText], { type: 'text/plain' }), 'ingest.txt');
const up = await fetch(`${t.url}/api/tenants/${big.tenantId}/files`, {
  method: 'POST',
  headers: { authorization: `Bearer ${big.accessToken}` },
  body: form,
});
const file = (await up.json()) as { id: string };
started = now();
await t.rest('POST', `/api/tenants/${big.tenantId}/files/${file.id}/ingest`, {
  token: big.accessToken,
  body: {
    chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 40 } },
  },
});
let ingested: { status: string; chunk_count: number } = { status: 'queued', chunk_count: 0 };
while (ingested.status !== 'ready' && ingested.status !== 'failed') {
  await new Promise((r) => setTimeout(r, 100));
  ingested = (
    await t.rest<{ status: string; chunk_count: number }>(
      'GET',
      `/api/tenants/${big.tenantId}/files/${file.id}/status`,
      {
        token: big.accessToken,
      },
    )
  ).body;
}
const ingestSeconds = (now() - started) / 1000;
const rows: [string, string][] = [];
for (const name of ['big', 'small'] as const) {
  const label =
    name === 'big' ? `big tenant (${BIG} chunks)` : `small tenant (${SMALL} chunks, beside the big one)`;
  const s = series[name];
  rows.push([
    `P5 hybrid search, ${label}: p50 / p95`,
    `${ms(percentile(s.hybrid, 50))} / ${ms(percentile(s.hybrid, 95))}`,
  ]);
  rows.push([
    `P5 vector search, ${label}: p50 / p95`,
    `${ms(percentile(s.vector, 50))} / ${ms(percentile(s.vector, 95))}`,
  ]);
  rows.push([
    `P5 hybrid ÷ vector latency (p50), ${label}`,
    (percentile(s.hybrid, 50) / percentile(s.vector, 50)).toFixed(2),
  ]);
  rows.push([`P5 recall@10 HNSW vs exact scan, ${label}`, mean(s.recall).toFixed(3)]);
}
for (const r of efRows) {
  rows.push([
    `P5 recall@10 big tenant, SQL alone, hnsw.ef_search = ${r.ef}`,
    `${r.recall.toFixed(3)} (p50 ${ms(r.ms)})`,
  ]);
}
rows.push([
  `P5 ingest: ${ingested.chunk_count} chunks (${ingested.status})`,
  `${ingestSeconds.toFixed(1)} s, ${(ingested.chunk_count / ingestSeconds).toFixed(0)} chunks/s`,
]);
rows.push([
  'P5 bulk seed (local embedder + multi-row INSERT), HNSW build',
  `${(BIG / (seedMs / 1000)).toFixed(0)} chunks/s, ${(indexMs / 1000).toFixed(1)} s`,
]);
const md = [
  '# Knowledge bench (P5)',
  '',
  `${QUERIES} queries per tenant, hybrid and vector interleaved, top 10, through the REST bridge; ${t.stack.kernel.database.kind}, local embedder (${embedder.model}, ${embedder.dimensions} dimensions), hnsw.ef_search ${t.stack.kernel.config.KNOWLEDGE_HNSW_EF_SEARCH}. Synthetic corpus: passages on 500 topics (70 % topic words, 30 % common Zipf-like words), so vectors cluster as real text does; common words match most chunks (the hard case for full text).`,
  '',
  '| row | value |',
  '|---|---|',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '',
].join('\n');
console.log(md);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'knowledge.md'), md);
writeFileSync(
  join(here, 'results', 'knowledge.json'),
  JSON.stringify(
    {
      big: BIG,
      small: SMALL,
      smallTenants: SMALL_TENANTS,
      queries: QUERIES,
      series,
      seedMs,
      indexMs,
      ingest: { ...ingested, seconds: ingestSeconds },
    },
    null,
    2,
  ),
);
await t.close();
process.exit(ingested.status === 'ready' ? 0 : 1);

/**
 * `npm run knowledge:reembed`: re-embeds every stored chunk with the configured embedder
 * (EMBEDDINGS_PROVIDER, EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS), resizing the vector column and
 * rebuilding its HNSW index when the size changes, then records the new embedding space. Run it
 * with the platform stopped: searches meanwhile would mix two models' vectors. `--force` re-embeds
 * even when the recorded space already matches.
 */
import { loadConfig } from '../subgraphs/kernel/config.js';
import { createKernel } from '../subgraphs/kernel/kernel.js';
import { embedderFor } from '../subgraphs/knowledge/embeddings/embedder.js';
import { columnDimensions } from '../subgraphs/knowledge/embeddings/embedding-space.js';

const INDEX = 'knowledge_chunk_embedding_hnsw_idx';

async function main() {
  const config = loadConfig();
  const kernel = await createKernel(config, { migrate: true });
  const db = kernel.database.prisma;
  try {
    const embedder = embedderFor(config);
    const space = await db.knowledgeEmbeddingSpace.findUnique({ where: { id: 1 } });
    const column = await columnDimensions(db);
    const matches =
      column === embedder.dimensions &&
      space?.model === embedder.model &&
      space.dimensions === embedder.dimensions;
    if (matches && !process.argv.includes('--force')) {
      console.log(`Nothing to do: the chunks are embedded with ${embedder.model} (${embedder.dimensions}).`);
      return;
    }
    console.log(
      `Re-embedding with ${embedder.model} (${embedder.dimensions} dimensions); was ${space?.model ?? 'unrecorded'} (${column ?? '?'}).`,
    );
    await db.$executeRawUnsafe(`DROP INDEX IF EXISTS "${INDEX}"`);
    if (column !== embedder.dimensions) {
      await db.$executeRawUnsafe(
        `ALTER TABLE knowledge_chunk ALTER COLUMN embedding TYPE vector(${embedder.dimensions}) USING NULL`,
      );
    }
    const batch = config.EMBEDDINGS_BATCH_SIZE * 4;
    let after = '00000000-0000-0000-0000-000000000000';
    let done = 0;
    for (;;) {
      const rows = await db.$queryRaw<{ id: string; text: string }[]>`
        SELECT id, text FROM knowledge_chunk WHERE id > ${after}::uuid ORDER BY id LIMIT ${batch}`;
      if (!rows.length) {
        break;
      }
      const vectors = await embedder.embed(rows.map((r) => r.text));
      await db.$executeRaw`
        UPDATE knowledge_chunk c SET embedding = u.embedding::vector
        FROM unnest(${rows.map((r) => r.id)}::uuid[], ${vectors.map((v) => `[${v.join(',')}]`)}::text[])
          AS u(id, embedding)
        WHERE c.id = u.id`;
      done += rows.length;
      after = rows.at(-1)?.id ?? after;
      process.stdout.write(`\r  ${done} chunks`);
    }
    process.stdout.write('\n');
    await db.$executeRawUnsafe(
      `CREATE INDEX "${INDEX}" ON knowledge_chunk USING hnsw (embedding vector_cosine_ops)`,
    );
    await db.knowledgeEmbeddingSpace.upsert({
      where: { id: 1 },
      create: { id: 1, model: embedder.model, dimensions: embedder.dimensions },
      update: { model: embedder.model, dimensions: embedder.dimensions },
    });
    await db.knowledgeFile.updateMany({
      where: { status: 'ready' },
      data: { embeddingModel: embedder.model },
    });
    console.log(`Done: ${done} chunks re-embedded, index rebuilt.`);
  } finally {
    await kernel.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

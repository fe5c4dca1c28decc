/**
 * The files of a vector store and its search. A store's file is a platform file (uploaded through
 * the files API, or a storage object of the tenant) linked with attributes; the file is extracted,
 * chunked and embedded once, whichever stores it is in. Its legacy status is the file's:
 * uploaded / queued / processing → `in_progress`, ready → `completed`, failed → `failed`
 * (`cancelled` never happens: ingests are not cancelled).
 *
 * A file has one chunking: adding it with a `chunking_strategy` other than the one it was ingested
 * with re-ingests it, for every store it is in.
 */
import { z } from 'zod';
import { type KnowledgeFile, Prisma, type VectorStoreFile } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { isUuid, parseArgs, requireUuid } from '../../kernel/validation.js';
import type { KnowledgeCtx, KnowledgeTx } from '../db.js';
import { defaultChunking, requestIngest, resolvePlatformFile } from '../files/file.service.js';
import {
  type ChunkingOptions,
  ChunkingStrategy,
  chunkingOptions,
  chunkingStrategyOf,
} from '../ingest/chunking-strategy.js';
import { EXTRACTABLE_MIME_TYPES } from '../ingest/extract.js';
import { AttributeFilter, attributeFilterSql } from '../search/filters.js';
import { searchChunks } from '../search/search.service.js';
import {
  assertNotExpired,
  INGESTING_STATUSES,
  tenantStore,
  touchStore,
  vectorStoreAccess,
} from './vector-store.service.js';

/** The legacy statuses of a store's file. */
export const VECTOR_FILE_STATUSES = ['in_progress', 'completed', 'failed', 'cancelled'] as const;
export type VectorFileStatus = (typeof VECTOR_FILE_STATUSES)[number];

/** A store's file with the platform file it links. */
export type StoreFile = VectorStoreFile & { file: KnowledgeFile };

/** The legacy status of a knowledge file's state. */
export function vectorFileStatus(file: KnowledgeFile): VectorFileStatus {
  if (file.status === 'ready') {
    return 'completed';
  }
  return file.status === 'failed' ? 'failed' : 'in_progress';
}

/** The knowledge file statuses a legacy status filter means. */
const STATUS_FILTER: Record<VectorFileStatus, string[]> = {
  in_progress: [...INGESTING_STATUSES],
  completed: ['ready'],
  failed: ['failed'],
  cancelled: [],
};

/**
 * OpenAI's file attributes: at most 16 keys of at most 64 characters, each a string (≤ 512
 * characters), a number or a boolean.
 */
const Attributes = z
  .record(z.string().min(1).max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 16, 'At most 16 attributes.');

/** Whether a file was (or is being) chunked with these options. */
function sameChunking(file: KnowledgeFile, options: ChunkingOptions): boolean {
  return JSON.stringify(file.chunking) === JSON.stringify(chunkingStrategyOf(options));
}

/**
 * One file of a store by the id the legacy API uses in paths (`file_id`): the platform file's id
 * (`openai_file_id`), the storage object's it was made from, or the link's own id. 404 otherwise.
 */
async function storeFile(
  db: KnowledgeTx,
  tenantId: string,
  storeId: string,
  fileId: string,
): Promise<StoreFile> {
  const id = fileId.trim().toLowerCase();
  const found = isUuid(id)
    ? await db.vectorStoreFile.findFirst({
        where: {
          tenantId,
          vectorStoreId: storeId,
          OR: [{ fileId: id }, { id }, { file: { storageObjectId: id } }],
        },
        include: { file: true },
      })
    : null;
  if (!found) {
    throw new NotFoundError('File');
  }
  return found;
}

const AddInput = z.object({
  fileId: z.string().trim().min(1).max(256),
  attributes: Attributes.nullish(),
  chunkingStrategy: ChunkingStrategy.nullish(),
  poll: z.boolean().nullish(),
});
/** As GraphQL passes it: JSON fields are checked here. */
export type AddVectorStoreFileInput = Omit<z.input<typeof AddInput>, 'attributes' | 'chunkingStrategy'> & {
  attributes?: unknown;
  chunkingStrategy?: unknown;
};

/**
 * Adds a platform file to a store (owners and admins) and queues its ingest unless it is already
 * ready (or on its way) with the same chunking. 400: a type the platform cannot extract, a file
 * over VECTOR_MAX_FILE_MB, an expired store; 403: the store at VECTOR_MAX_FILES_PER_STORE; 409: the
 * file already in the store. Answers at once with the file's current status (`poll` is accepted for
 * legacy clients: poll GET …/files/{file_id} until `completed`).
 */
export async function addVectorStoreFile(
  ctx: KnowledgeCtx,
  storeId: string,
  input: AddVectorStoreFileInput,
): Promise<StoreFile> {
  const acting = vectorStoreAccess(ctx, true);
  const id = requireUuid(storeId, 'vectorStoreId');
  const data = parseArgs(AddInput, input, ['input']);
  const tenantId = acting.tenantId;
  const store = await tenantStore(ctx.db, tenantId, id);
  assertNotExpired(store);
  const file = await resolvePlatformFile(ctx, tenantId, data.fileId);
  if (!EXTRACTABLE_MIME_TYPES.includes(file.mimeType)) {
    throw new BadRequestError(
      `Files of type ${file.mimeType} cannot be added to a vector store: the platform extracts ${EXTRACTABLE_MIME_TYPES.join(', ')}.`,
    );
  }
  const maxMb = ctx.config.VECTOR_MAX_FILE_MB;
  if (file.sizeBytes > maxMb * 1024 * 1024) {
    throw new BadRequestError(
      `File too large: ${file.sizeBytes} bytes; vector store files are limited to ${maxMb} MB.`,
    );
  }
  const duplicate = () => new ConflictError('File already attached to this vector store');
  const maxFiles = ctx.config.VECTOR_MAX_FILES_PER_STORE;
  let link: VectorStoreFile;
  try {
    link = await ctx.db.$transaction(async (tx) => {
      // The store row lock serialises adds to one store (the limit holds) and a concurrent delete.
      const [row] = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM vector_store WHERE id = ${id}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
      if (!row) {
        throw new NotFoundError('Vector store');
      }
      if (
        await tx.vectorStoreFile.findFirst({
          where: { vectorStoreId: id, fileId: file.id },
          select: { id: true },
        })
      ) {
        throw duplicate();
      }
      if ((await tx.vectorStoreFile.count({ where: { vectorStoreId: id } })) >= maxFiles) {
        throw new ForbiddenError(`File limit reached: a vector store holds at most ${maxFiles} files.`);
      }
      const created = await tx.vectorStoreFile.create({
        data: {
          tenantId,
          vectorStoreId: id,
          fileId: file.id,
          attributes: (data.attributes ?? {}) as Prisma.InputJsonValue,
          chunkingStrategy: (data.chunkingStrategy ?? undefined) as Prisma.InputJsonValue | undefined,
        },
      });
      await touchStore(tx, store);
      await recordAudit(tx, acting.viewer, {
        action: 'vector_store.file_added',
        targetType: 'vector_store',
        targetId: id,
        tenantId,
        metadata: { fileId: file.id, filename: file.filename },
      });
      return created;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw duplicate();
    }
    throw error;
  }
  const wanted = data.chunkingStrategy ? chunkingOptions(data.chunkingStrategy, defaultChunking(ctx)) : null;
  const settled = file.status === 'ready' || file.status === 'queued' || file.status === 'processing';
  const current =
    settled && (wanted === null || sameChunking(file, wanted))
      ? file
      : await requestIngest(ctx, tenantId, file.id, wanted);
  return { ...link, file: current };
}

const ListArgs = z.object({
  status: z.enum(VECTOR_FILE_STATUSES).nullish(),
  limit: z.number().int().min(1).max(100).nullish(),
  offset: z.number().int().min(0).nullish(),
});

/** A store's files, newest first, with their total (optionally those of one legacy status). */
export async function listVectorStoreFiles(
  ctx: KnowledgeCtx,
  storeId: string,
  args: Omit<z.input<typeof ListArgs>, 'status'> & { status?: string | null },
): Promise<{ items: StoreFile[]; total: number }> {
  const acting = vectorStoreAccess(ctx, false);
  const id = requireUuid(storeId, 'vectorStoreId');
  const a = parseArgs(ListArgs, args, []);
  await tenantStore(ctx.db, acting.tenantId, id);
  const where = {
    tenantId: acting.tenantId,
    vectorStoreId: id,
    ...(a.status ? { file: { status: { in: STATUS_FILTER[a.status] } } } : {}),
  };
  const [items, total] = await Promise.all([
    ctx.db.vectorStoreFile.findMany({
      where,
      include: { file: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: a.limit ?? 20,
      skip: a.offset ?? 0,
    }),
    ctx.db.vectorStoreFile.count({ where }),
  ]);
  return { items, total };
}

/** One file of a store (404 "Vector store not found" / "File not found"). */
export async function getVectorStoreFile(
  ctx: KnowledgeCtx,
  storeId: string,
  fileId: string,
): Promise<StoreFile> {
  const acting = vectorStoreAccess(ctx, false);
  const id = requireUuid(storeId, 'vectorStoreId');
  await tenantStore(ctx.db, acting.tenantId, id);
  return storeFile(ctx.db, acting.tenantId, id, fileId);
}

/** Removes a file from a store (owners and admins); the platform file and its chunks stay. */
export async function removeVectorStoreFile(
  ctx: KnowledgeCtx,
  storeId: string,
  fileId: string,
): Promise<boolean> {
  const acting = vectorStoreAccess(ctx, true);
  const id = requireUuid(storeId, 'vectorStoreId');
  await tenantStore(ctx.db, acting.tenantId, id);
  const link = await storeFile(ctx.db, acting.tenantId, id, fileId);
  await ctx.db.$transaction(async (tx) => {
    await tx.vectorStoreFile.deleteMany({ where: { id: link.id, tenantId: acting.tenantId } });
    await recordAudit(tx, acting.viewer, {
      action: 'vector_store.file_removed',
      targetType: 'vector_store',
      targetId: id,
      tenantId: acting.tenantId,
      metadata: { fileId: link.fileId },
    });
  });
  return true;
}

const Query = z.string().trim().min(1).max(4096);
const SearchInput = z.object({
  query: z.union([Query, z.array(Query).min(1).max(10)]),
  filters: AttributeFilter.nullish(),
  maxNumResults: z.number().int().min(1).max(50).nullish(),
  /** JSON, so in the wire's snake_case. `ranker` is accepted and ignored: the platform ranks one way (hybrid). */
  rankingOptions: z
    .strictObject({
      score_threshold: z.number().min(0).max(1).nullish(),
      ranker: z.string().max(64).nullish(),
    })
    .nullish(),
  /** Accepted and ignored: queries are searched as given. */
  rewriteQuery: z.boolean().nullish(),
});
/** As GraphQL passes it: JSON fields are checked here. */
export type SearchVectorStoreInput = {
  query?: unknown;
  filters?: unknown;
  maxNumResults?: number | null;
  rankingOptions?: unknown;
  rewriteQuery?: boolean | null;
};

/** One passage found (one result per chunk, as OpenAI answers). */
export interface VectorStoreSearchHit {
  fileId: string;
  filename: string;
  score: number;
  attributes: unknown;
  content: { type: 'text'; text: string }[];
}

/** A search's answer, in OpenAI's page shape (never more pages). */
export interface VectorStoreSearchPage {
  object: 'vector_store.search_results.page';
  searchQuery: string;
  data: VectorStoreSearchHit[];
  hasMore: false;
  nextPage: null;
}

/**
 * Searches a store: the passages of its completed files whose attributes match `filters`, best
 * first (hybrid: vector + full text), at most `max_num_results` (default 10), none scoring under
 * `ranking_options.score_threshold`. A list of queries is searched query by query; a passage found
 * by several keeps its best score. Any role of the tenant may search.
 */
export async function searchVectorStore(
  ctx: KnowledgeCtx,
  storeId: string,
  input: SearchVectorStoreInput,
): Promise<VectorStoreSearchPage> {
  const acting = vectorStoreAccess(ctx, false);
  const id = requireUuid(storeId, 'vectorStoreId');
  const a = parseArgs(SearchInput, input, ['input']);
  const tenantId = acting.tenantId;
  const store = await tenantStore(ctx.db, tenantId, id);
  assertNotExpired(store);
  const queries = typeof a.query === 'string' ? [a.query] : a.query;
  const topK = a.maxNumResults ?? 10;
  const filter = a.filters
    ? Prisma.sql`AND ${attributeFilterSql(a.filters, Prisma.sql`vsf.attributes`)}`
    : Prisma.empty;
  const files = await ctx.db.$queryRaw<{ file_id: string; attributes: unknown }[]>`
    SELECT vsf."fileId"::text AS file_id, vsf.attributes
    FROM vector_store_file vsf
    JOIN knowledge_file f ON f.id = vsf."fileId"
    WHERE vsf."tenantId" = ${tenantId}::uuid AND vsf."vectorStoreId" = ${id}::uuid AND f.status = 'ready' ${filter}`;
  const attributes = new Map(files.map((f) => [f.file_id, f.attributes]));
  const best = new Map<string, Awaited<ReturnType<typeof searchChunks>>[number]>();
  for (const query of queries) {
    const hits = await searchChunks(ctx, {
      tenantId,
      query,
      topK,
      fileIds: [...attributes.keys()],
      mode: 'hybrid',
      ...(a.rankingOptions?.score_threshold != null
        ? { scoreThreshold: a.rankingOptions.score_threshold }
        : {}),
    });
    for (const hit of hits) {
      const seen = best.get(hit.chunkId);
      if (!seen || hit.score > seen.score) {
        best.set(hit.chunkId, hit);
      }
    }
  }
  await touchStore(ctx.db, store);
  const data = [...best.values()]
    .sort((x, y) => y.score - x.score)
    .slice(0, topK)
    .map((hit) => ({
      fileId: hit.fileId,
      filename: hit.filename,
      score: hit.score,
      attributes: attributes.get(hit.fileId) ?? {},
      content: [{ type: 'text' as const, text: hit.text }],
    }));
  return {
    object: 'vector_store.search_results.page',
    searchQuery: queries.join(' '),
    data,
    hasMore: false,
    nextPage: null,
  };
}

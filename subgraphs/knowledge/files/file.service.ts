import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { KnowledgeFile, Prisma } from '../../../generated/prisma/client.js';
import { type ActivityOrigin, recordActivity } from '../../kernel/activity.js';
import { recordAudit } from '../../kernel/audit.js';
import { safeFilename } from '../../kernel/blobs.js';
import { BadRequestError, NotFoundError } from '../../kernel/errors.js';
import { enqueueJob } from '../../kernel/jobs.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import { isUuid, parseArgs, requireUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { KnowledgeCtx, KnowledgeTx } from '../db.js';
import {
  type ChunkingOptions,
  ChunkingStrategy,
  chunkingOptions,
  chunkingStrategyOf,
} from '../ingest/chunking-strategy.js';
import { resolveMimeType } from '../ingest/extract.js';

/** The ingest job queue. */
export const INGEST_QUEUE = 'knowledge.ingest';

export const FILE_STATUSES = ['uploaded', 'queued', 'processing', 'ready', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** The payload of an ingest job: which file, and which ingest request of it. */
export interface IngestJobPayload {
  fileId: string;
  version: number;
}

/** The caller's tenant, for a read (any member) or a write (owners and admins; API keys by scope). */
export function knowledgeTenant(ctx: KnowledgeCtx, tenantId: string | null, write: boolean) {
  const acting = actingTenant(ctx, {
    ...(tenantId === null ? {} : { tenantId }),
    manage: write,
    deniedMessage: 'Knowledge files are managed by tenant owners and admins.',
  });
  return acting;
}

/** A file of the tenant; any other id (malformed, unknown, another tenant's) is 404. */
export async function tenantFile(db: KnowledgeTx, tenantId: string, fileId: string): Promise<KnowledgeFile> {
  const file = isUuid(fileId)
    ? await db.knowledgeFile.findFirst({ where: { id: fileId.toLowerCase(), tenantId } })
    : null;
  if (!file) {
    throw new NotFoundError('File');
  }
  return file;
}

const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16 * 1024, 'Metadata must be at most 16 KiB of JSON.');

const UploadInput = z.object({
  file: z.object({
    filename: z.string().trim().min(1).max(256),
    mimeType: z.string().trim().max(128).nullish(),
    contentBase64: z.string(),
  }),
  metadata: MetadataSchema.nullish(),
});

/** The default chunking of this deployment. */
export function defaultChunking(ctx: Pick<KnowledgeCtx, 'config'>): ChunkingOptions {
  return {
    maxTokens: ctx.config.KNOWLEDGE_CHUNK_TOKENS,
    overlapTokens: Math.min(
      ctx.config.KNOWLEDGE_CHUNK_OVERLAP_TOKENS,
      Math.floor(ctx.config.KNOWLEDGE_CHUNK_TOKENS / 2),
    ),
  };
}

/**
 * Stores an uploaded file's bytes and records it as `uploaded` (ingest is a separate request). Any
 * type is kept; one the platform cannot read fails at ingest with the reason.
 */
export async function uploadFile(
  ctx: KnowledgeCtx,
  tenantId: string,
  input: unknown,
): Promise<KnowledgeFile> {
  const acting = knowledgeTenant(ctx, tenantId, true);
  const a = parseArgs(UploadInput, input, ['input']);
  const bytes = Buffer.from(a.file.contentBase64, 'base64');
  if (bytes.length === 0) {
    throw new BadRequestError('The file is empty.');
  }
  const limitMb = ctx.config.FILES_MAX_UPLOAD_MB;
  if (bytes.length > limitMb * 1024 * 1024) {
    throw new BadRequestError(
      `File too large: ${bytes.length} bytes; uploads are limited to ${limitMb} MB (FILES_MAX_UPLOAD_MB). Upload bigger files through storage and add them by object id.`,
    );
  }
  const id = randomUUID();
  const mimeType = resolveMimeType(a.file.mimeType, a.file.filename);
  const blobKey = `${acting.tenantId}/files/${id}/${safeFilename(a.file.filename)}`;
  await ctx.blobs.put(blobKey, bytes, mimeType);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const file = await tx.knowledgeFile.create({
        data: {
          id,
          tenantId: acting.tenantId,
          filename: a.file.filename,
          mimeType,
          sizeBytes: bytes.length,
          checksumSha256: createHash('sha256').update(bytes).digest('hex'),
          blobKey,
          metadata: (a.metadata ?? {}) as Prisma.InputJsonValue,
          createdByUserId: acting.viewer.kind === 'user' ? acting.viewer.userId : null,
          apiKeyId: acting.viewer.kind === 'api-key' ? acting.viewer.apiKeyId : null,
        },
      });
      await recordAudit(tx, acting.viewer, {
        action: 'knowledge.file.uploaded',
        targetType: 'knowledge_file',
        targetId: id,
        tenantId: acting.tenantId,
        metadata: { filename: file.filename, size_bytes: file.sizeBytes },
      });
      return file;
    });
  } catch (error) {
    await ctx.blobs.delete(blobKey); // nothing half-written
    throw error;
  }
}

const StorageObjectQuery = `query KnowledgeStorageObject($id: ID!) {
  storageObject(objectId: $id) { id status filename mimeType sizeBytes objectKey }
}`;

interface PeerStorageObject {
  id: string;
  status: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  objectKey: string;
}

/**
 * A platform file by id: one uploaded through the files API, or a storage object of the tenant,
 * which becomes a knowledge file (once) sharing the object's bytes. Anything else is 404.
 */
export async function resolvePlatformFile(
  ctx: KnowledgeCtx,
  tenantId: string,
  fileId: string,
): Promise<KnowledgeFile> {
  const id = isUuid(fileId) ? fileId.toLowerCase() : null;
  if (!id) {
    throw new NotFoundError('File');
  }
  const own = await ctx.db.knowledgeFile.findFirst({
    where: { tenantId, OR: [{ id }, { storageObjectId: id }] },
  });
  if (own) {
    return own;
  }
  const { storageObject } = await ctx.peers
    .query<{ storageObject: PeerStorageObject | null }>(ctx, 'storage', StorageObjectQuery, { id })
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === 'NOT_FOUND') {
        throw new NotFoundError('File');
      }
      throw error;
    });
  if (!storageObject) {
    throw new NotFoundError('File');
  }
  if (storageObject.status !== 'UPLOADED') {
    throw new BadRequestError(
      `Storage object ${id} is ${storageObject.status.toLowerCase()}: its bytes must be uploaded before it can be used as a file.`,
    );
  }
  const acting = knowledgeTenant(ctx, tenantId, false);
  try {
    return await ctx.db.knowledgeFile.create({
      data: {
        tenantId,
        filename: storageObject.filename,
        mimeType: resolveMimeType(storageObject.mimeType, storageObject.filename),
        sizeBytes: storageObject.sizeBytes,
        checksumSha256: '',
        blobKey: storageObject.objectKey,
        storageObjectId: id,
        createdByUserId: acting.viewer.kind === 'user' ? acting.viewer.userId : null,
        apiKeyId: acting.viewer.kind === 'api-key' ? acting.viewer.apiKeyId : null,
      },
    });
  } catch (error) {
    // Two requests made it at once: the other one's row is the file.
    const existing = await ctx.db.knowledgeFile.findFirst({ where: { storageObjectId: id, tenantId } });
    if (existing) {
      return existing;
    }
    throw error;
  }
}

/** Makes a knowledge file of an uploaded storage object (the way in for files bigger than one request). */
export async function fileFromStorageObject(
  ctx: KnowledgeCtx,
  tenantId: string,
  objectId: string,
): Promise<KnowledgeFile> {
  const acting = knowledgeTenant(ctx, tenantId, true);
  return resolvePlatformFile(ctx, acting.tenantId, requireUuid(objectId, 'objectId'));
}

const ListArgs = z.object({ status: z.enum(FILE_STATUSES).nullish() });

/** The tenant's files, newest first. */
export async function listFiles(
  ctx: KnowledgeCtx,
  tenantId: string,
  args: PageArgs & { status?: string | null },
): Promise<Page<KnowledgeFile>> {
  const acting = knowledgeTenant(ctx, tenantId, false);
  const a = parseArgs(ListArgs, { status: args.status }, []);
  const page = keyset(args, 'createdAt', 'desc');
  const rows = await ctx.db.knowledgeFile.findMany({
    where: { tenantId: acting.tenantId, ...(a.status ? { status: a.status } : {}), ...page.where },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

export async function getFile(ctx: KnowledgeCtx, tenantId: string, fileId: string): Promise<KnowledgeFile> {
  const acting = knowledgeTenant(ctx, tenantId, false);
  return tenantFile(ctx.db, acting.tenantId, fileId);
}

/**
 * Deletes a file: its chunks, agent attachments and vector-store entries go with the row (one
 * transaction), then its bytes (unless they are a storage object's, which storage owns).
 */
export async function deleteFile(ctx: KnowledgeCtx, tenantId: string, fileId: string): Promise<boolean> {
  const acting = knowledgeTenant(ctx, tenantId, true);
  const file = await tenantFile(ctx.db, acting.tenantId, fileId);
  await ctx.db.$transaction(async (tx) => {
    await tx.knowledgeFile.delete({ where: { id: file.id } });
    await recordAudit(tx, acting.viewer, {
      action: 'knowledge.file.deleted',
      targetType: 'knowledge_file',
      targetId: file.id,
      tenantId: acting.tenantId,
    });
  });
  if (!file.storageObjectId) {
    await ctx.blobs.delete(file.blobKey);
  }
  return true;
}

const IngestInput = z.object({ chunkingStrategy: ChunkingStrategy.nullish() });

/**
 * Queues a (re-)ingest: the file becomes `queued`, a job is enqueued in the same transaction, and a
 * job of an earlier request of the same file does nothing. The current chunks stay searchable until
 * the new ones replace them in one transaction.
 */
export async function requestIngest(
  ctx: KnowledgeCtx,
  tenantId: string,
  fileId: string,
  chunking?: ChunkingOptions | null,
): Promise<KnowledgeFile> {
  const file = await tenantFile(ctx.db, tenantId, fileId);
  const options = chunking ?? fileChunking(ctx, file);
  const updated = await ctx.db.$transaction(async (tx) => {
    const next = await tx.knowledgeFile.update({
      where: { id: file.id },
      data: {
        status: 'queued',
        error: null,
        ingestVersion: { increment: 1 },
        chunking: chunkingStrategyOf(options) as Prisma.InputJsonValue,
      },
    });
    await enqueueJob(
      tx,
      INGEST_QUEUE,
      { fileId: file.id, version: next.ingestVersion } satisfies IngestJobPayload,
      {
        tenantId,
      },
    );
    await publishFileEvent(tx, ctx, next);
    return next;
  });
  ctx.jobs.nudge(INGEST_QUEUE);
  return updated;
}

/** `POST /files/{id}/ingest`: owners and admins queue an ingest, optionally with a chunking strategy. */
export async function ingestFile(
  ctx: KnowledgeCtx,
  tenantId: string,
  fileId: string,
  input: unknown,
): Promise<KnowledgeFile> {
  const acting = knowledgeTenant(ctx, tenantId, true);
  const a = parseArgs(IngestInput, input ?? {}, ['input']);
  const options = a.chunkingStrategy ? chunkingOptions(a.chunkingStrategy, defaultChunking(ctx)) : null;
  return requestIngest(ctx, acting.tenantId, fileId, options);
}

/** The chunking a file was last ingested (or asked to be) with, else the deployment's default. */
export function fileChunking(ctx: Pick<KnowledgeCtx, 'config'>, file: KnowledgeFile): ChunkingOptions {
  const parsed = ChunkingStrategy.safeParse(file.chunking);
  return chunkingOptions(parsed.success ? parsed.data : null, defaultChunking(ctx));
}

/** Every status change is an entry of the tenant's activity feed (`origin` null: the ingest job's). */
export async function publishFileEvent(
  tx: KnowledgeTx,
  origin: ActivityOrigin,
  file: KnowledgeFile,
): Promise<void> {
  await recordActivity(tx, origin, {
    tenantId: file.tenantId,
    action: `knowledge.file.${file.status}`,
    objectType: 'knowledge_file',
    objectId: file.id,
    objectName: file.filename,
    status: file.status === 'failed' ? 'failure' : file.status === 'ready' ? 'success' : 'pending',
    metadata: { status: file.status, error: file.error, chunk_count: file.chunkCount },
  });
}

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Prisma, StorageObject } from '../../../generated/prisma/client.js';
import { recordActivity } from '../../kernel/activity.js';
import { recordAudit } from '../../kernel/audit.js';
import { bareMediaType, type PresignedUrl, safeFilename } from '../../kernel/blobs.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { countUsage } from '../../kernel/usage.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { type ActingTenant, actingTenant } from '../../kernel/viewer.js';
import type { StorageCtx } from '../db.js';

/** An object's life: pending_upload → uploaded (bytes checked) | rejected (they did not match) → deleted. */
export const OBJECT_STATUSES = ['pending_upload', 'uploaded', 'rejected', 'deleted'] as const;
export type ObjectStatus = (typeof OBJECT_STATUSES)[number];

/**
 * Who acts: the caller's tenant. Writes need an owner or admin (after any X-Tenant-Role narrowing);
 * API keys need `storage:write`, which the field checks.
 */
function access(ctx: StorageCtx, write: boolean): ActingTenant {
  const acting = actingTenant(ctx);
  if (write && acting.viewer.kind === 'user' && acting.role !== 'owner' && acting.role !== 'admin') {
    throw new ForbiddenError('Storage objects are managed by tenant owners and admins.');
  }
  return acting;
}

/** STORAGE_ALLOWED_MIME_TYPES as a set (lower-case). */
function allowedTypes(ctx: StorageCtx): Set<string> {
  return new Set(
    ctx.config.STORAGE_ALLOWED_MIME_TYPES.split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

const JsonObject = z.record(z.string(), z.unknown());

const UploadInput = z.object({
  filename: z.string().min(1).max(256),
  mimeType: z.string().trim().min(1).max(128),
  sizeBytes: z.number().int().min(0),
  agentKey: z.string().max(64).nullish(),
  conversationId: z.string().nullish(),
  metadata: JsonObject.refine(
    (m) => JSON.stringify(m).length <= 16384,
    'At most 16 KiB of metadata.',
  ).nullish(),
});
/** As GraphQL passes it: `metadata` is checked here. */
export type StorageUploadInput = Omit<z.input<typeof UploadInput>, 'metadata'> & { metadata?: unknown };

/** A new object and where to PUT its bytes. */
export interface StorageUpload {
  object: StorageObject;
  upload: PresignedUrl;
}

/** A stored object and where to GET its bytes. */
export interface StorageDownload {
  object: StorageObject;
  download: PresignedUrl;
}

/**
 * Records a `pending_upload` object and signs a PUT of exactly its declared size and type. A type
 * outside STORAGE_ALLOWED_MIME_TYPES or a size over STORAGE_MAX_FILE_MB is 400 (as the legacy API).
 */
export async function createStorageUpload(
  ctx: StorageCtx,
  input: StorageUploadInput,
): Promise<StorageUpload> {
  const acting = access(ctx, true);
  const data = parseArgs(UploadInput, input, ['input']);
  const conversationId = data.conversationId
    ? requireUuid(data.conversationId, ['input', 'conversationId'])
    : null;
  const mimeType = data.mimeType.toLowerCase();
  if (!allowedTypes(ctx).has(mimeType)) {
    throw new BadRequestError(`MIME type "${data.mimeType}" is not allowed.`);
  }
  const maxBytes = Math.floor(ctx.config.STORAGE_MAX_FILE_MB * 1024 * 1024);
  if (data.sizeBytes > maxBytes) {
    throw new BadRequestError(`File exceeds the maximum size of ${ctx.config.STORAGE_MAX_FILE_MB} MB.`);
  }
  const tenantId = acting.tenantId;
  const id = randomUUID();
  const objectKey = `${tenantId}/${id}/${safeFilename(data.filename)}`;
  const ttl = ctx.config.STORAGE_SIGNED_URL_TTL_SECONDS;
  // Signed first: a store that cannot sign leaves no row behind.
  const upload = await ctx.blobs.presignUpload(objectKey, mimeType, data.sizeBytes, ttl);
  const object = await ctx.db.$transaction(async (tx) => {
    const row = await tx.storageObject.create({
      data: {
        id,
        tenantId,
        bucket: ctx.blobs.bucket,
        objectKey,
        filename: data.filename,
        mimeType,
        sizeBytes: data.sizeBytes,
        status: 'pending_upload',
        createdByUserId: acting.viewer.userId,
        apiKeyId: acting.viewer.kind === 'api-key' ? acting.viewer.apiKeyId : null,
        agentKey: data.agentKey ?? null,
        conversationId,
        metadata: (data.metadata ?? {}) as Prisma.InputJsonValue,
      },
    });
    await recordAudit(tx, acting.viewer, {
      action: 'storage.object.created',
      targetType: 'storage_object',
      targetId: id,
      tenantId,
      metadata: { filename: data.filename, mimeType, sizeBytes: data.sizeBytes },
    });
    return row;
  });
  return { object, upload };
}

/** Leading bytes each checked type must start with (`null`: any byte). */
const MAGIC: Record<string, { name: string; bytes: (number | null)[] }> = {
  'application/pdf': { name: 'a PDF document', bytes: [...Buffer.from('%PDF-')] },
  'image/png': { name: 'a PNG image', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  'image/jpeg': { name: 'a JPEG image', bytes: [0xff, 0xd8, 0xff] },
  'image/webp': {
    name: 'a WebP image',
    bytes: [...Buffer.from('RIFF'), null, null, null, null, ...Buffer.from('WEBP')],
  },
  // Office Open XML documents are ZIP archives.
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    name: 'a DOCX document',
    bytes: [0x50, 0x4b, 0x03, 0x04],
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    name: 'a PPTX document',
    bytes: [0x50, 0x4b, 0x03, 0x04],
  },
};

const PREFIX_BYTES = 16;

/** Why the stored bytes do not match the object (null: they do). */
async function mismatch(
  ctx: StorageCtx,
  object: StorageObject,
  head: { sizeBytes: number; contentType: string | null },
) {
  if (head.sizeBytes !== object.sizeBytes) {
    return `${head.sizeBytes} bytes were uploaded, but ${object.sizeBytes} were declared.`;
  }
  if (bareMediaType(head.contentType) !== bareMediaType(object.mimeType)) {
    return `The bytes were uploaded as ${head.contentType ?? 'no type'}, but ${object.mimeType} was declared.`;
  }
  const magic = MAGIC[bareMediaType(object.mimeType)];
  if (magic) {
    const prefix = (await ctx.blobs.getPrefix(object.objectKey, PREFIX_BYTES)) ?? Buffer.alloc(0);
    const ok =
      prefix.length >= magic.bytes.length && magic.bytes.every((b, i) => b === null || prefix[i] === b);
    if (!ok) {
      return `The bytes are not ${magic.name} (${object.mimeType}).`;
    }
  }
  return null;
}

/**
 * The one status check: a `pending_upload` object whose bytes are in the store becomes `uploaded`
 * when their size is the declared one and their type the declared one (content type, and the magic
 * bytes of pdf, png, jpeg, webp, docx and pptx), `rejected` with the reason otherwise. Bytes not
 * there yet leave it pending; other statuses are returned as they are. Run when an object is read.
 */
export async function refreshObjectStatus(ctx: StorageCtx, object: StorageObject): Promise<StorageObject> {
  if (object.status !== 'pending_upload') {
    return object;
  }
  const head = await ctx.blobs.head(object.objectKey);
  if (!head) {
    return object;
  }
  const reason = await mismatch(ctx, object, head);
  const now = new Date();
  const count = await ctx.db.$transaction(async (tx) => {
    const changed = await tx.storageObject.updateMany({
      where: { id: object.id, tenantId: object.tenantId, status: 'pending_upload' },
      data: reason
        ? { status: 'rejected', statusReason: reason }
        : { status: 'uploaded', statusReason: null, uploadedAt: now },
    });
    if (changed.count > 0 && !reason) {
      await countUsage(tx, { tenantId: object.tenantId, storageBytes: object.sizeBytes });
    }
    if (changed.count > 0) {
      // The platform's check, not the reader's doing: recorded without an actor.
      await recordActivity(tx, null, {
        tenantId: object.tenantId,
        action: 'storage.file.uploaded',
        objectType: 'storage_object',
        objectId: object.id,
        objectName: object.filename,
        status: reason ? 'failure' : 'success',
        metadata: { size_bytes: object.sizeBytes, mime_type: object.mimeType, ...(reason ? { reason } : {}) },
      });
    }
    return changed.count;
  });
  if (count === 0) {
    // Checked (or deleted) concurrently: what the row says now.
    return (await ctx.db.storageObject.findUnique({ where: { id: object.id } })) ?? object;
  }
  return reason
    ? { ...object, status: 'rejected', statusReason: reason, updatedAt: now }
    : { ...object, status: 'uploaded', statusReason: null, uploadedAt: now, updatedAt: now };
}

/** A live object of the tenant (any other id, deleted included, is 404). */
async function liveObject(ctx: StorageCtx, tenantId: string, objectId: string): Promise<StorageObject> {
  const object = await ctx.db.storageObject.findFirst({
    where: { id: requireUuid(objectId, 'objectId'), tenantId, deletedAt: null },
  });
  if (!object) {
    throw new NotFoundError('Object');
  }
  return object;
}

/** One live object of the caller's tenant, its status refreshed. */
export async function getStorageObject(ctx: StorageCtx, objectId: string): Promise<StorageObject> {
  const acting = access(ctx, false);
  return refreshObjectStatus(ctx, await liveObject(ctx, acting.tenantId, objectId));
}

const ListArgs = z.object({
  limit: z.number().int().min(1).max(100).nullish(),
  offset: z.number().int().min(0).nullish(),
  conversationId: z.string().nullish(),
});

/** Live objects of the caller's tenant, newest first; the page's pending ones are checked first. */
export async function listStorageObjects(
  ctx: StorageCtx,
  args: z.input<typeof ListArgs>,
): Promise<{ items: StorageObject[]; nextOffset: number | null }> {
  const acting = access(ctx, false);
  const a = parseArgs(ListArgs, args, []);
  const conversationId = a.conversationId ? requireUuid(a.conversationId, 'conversationId') : null;
  const limit = a.limit ?? 20;
  const offset = a.offset ?? 0;
  const rows = await ctx.db.storageObject.findMany({
    where: { tenantId: acting.tenantId, deletedAt: null, ...(conversationId ? { conversationId } : {}) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    skip: offset,
  });
  const page = rows.slice(0, limit);
  const items = await Promise.all(page.map((o) => refreshObjectStatus(ctx, o)));
  return { items, nextOffset: rows.length > limit ? offset + limit : null };
}

/**
 * A signed GET of an uploaded object, served as an attachment under its filename. Before its bytes
 * are there and checked it is 409, and a rejected object's 409 says why.
 */
export async function storageDownloadUrl(ctx: StorageCtx, objectId: string): Promise<StorageDownload> {
  const acting = access(ctx, false);
  const object = await refreshObjectStatus(ctx, await liveObject(ctx, acting.tenantId, objectId));
  if (object.status === 'pending_upload') {
    throw new ConflictError('The object has not been uploaded yet: PUT its bytes to the upload URL first.');
  }
  if (object.status === 'rejected') {
    throw new ConflictError(`The upload was rejected: ${object.statusReason ?? 'its bytes did not match.'}`);
  }
  const download = await ctx.blobs.presignDownload(
    object.objectKey,
    object.filename,
    ctx.config.STORAGE_SIGNED_URL_TTL_SECONDS,
  );
  return { object, download };
}

/**
 * Deletes the bytes, then soft-deletes the row (status `deleted`) and records `storage.file.deleted`
 * on the tenant's activity stream. Idempotent: an object of the tenant already deleted answers true;
 * an unknown or foreign id is 404.
 */
export async function deleteStorageObject(ctx: StorageCtx, objectId: string): Promise<boolean> {
  const acting = access(ctx, true);
  const id = requireUuid(objectId, 'objectId');
  const tenantId = acting.tenantId;
  const object = await ctx.db.storageObject.findFirst({ where: { id, tenantId } });
  if (!object) {
    throw new NotFoundError('Object');
  }
  if (object.deletedAt) {
    return true;
  }
  await ctx.blobs.delete(object.objectKey);
  await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.storageObject.updateMany({
      where: { id, tenantId, deletedAt: null },
      data: { deletedAt: new Date(), status: 'deleted' },
    });
    if (count === 0) {
      return; // deleted concurrently
    }
    await recordAudit(tx, acting.viewer, {
      action: 'storage.object.deleted',
      targetType: 'storage_object',
      targetId: id,
      tenantId,
      metadata: { filename: object.filename, bucket: object.bucket, objectKey: object.objectKey },
    });
    await recordActivity(tx, ctx, {
      tenantId,
      action: 'storage.file.deleted',
      objectType: 'storage_object',
      objectId: id,
      objectName: object.filename,
      metadata: { bucket: object.bucket, object_key: object.objectKey },
    });
  });
  return true;
}

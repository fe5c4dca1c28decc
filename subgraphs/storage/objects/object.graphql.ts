import type { StorageObject } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  createStorageUpload,
  deleteStorageObject,
  getStorageObject,
  listStorageObjects,
  OBJECT_STATUSES,
  type StorageDownload,
  type StorageUpload,
  storageDownloadUrl,
} from './object.service.js';

const StorageObjectStatus = legacyEnum(
  builder,
  'StorageObjectStatus',
  OBJECT_STATUSES,
  'Where an object is: waiting for its bytes, uploaded (bytes checked), rejected (they did not match), deleted.',
);

export const StorageObjectRef = builder.objectRef<StorageObject>('StorageObject').implement({
  description: 'A file of a tenant in object storage, uploaded and downloaded with presigned URLs.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Object id (UUID).' }),
    bucket: t.exposeString('bucket', { description: 'Bucket holding the bytes: the S3 bucket, or `local`.' }),
    objectKey: t.exposeString('objectKey', {
      description: 'Key in the bucket: `<tenant id>/<object id>/<safe filename>`.',
    }),
    filename: t.exposeString('filename', { description: 'Filename as the uploader gave it.' }),
    mimeType: t.exposeString('mimeType', { description: 'Declared MIME type; the bytes must match it.' }),
    sizeBytes: t.exposeInt('sizeBytes', { description: 'Declared size in bytes; the upload must match it.' }),
    status: t.field({
      type: StorageObjectStatus,
      description: 'pending_upload, uploaded, rejected or deleted.',
      resolve: (o) => o.status as (typeof OBJECT_STATUSES)[number],
    }),
    statusReason: t.exposeString('statusReason', {
      nullable: true,
      description: 'Why the bytes were rejected (size or type mismatch); null otherwise.',
    }),
    agentKey: t.exposeString('agentKey', {
      nullable: true,
      description: 'Agent the object belongs to, if any.',
    }),
    conversationId: t.exposeID('conversationId', {
      nullable: true,
      description: 'Conversation the object belongs to, if any (UUID).',
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'Free-form key/values of the uploader.',
      resolve: (o) => o.metadata,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the upload URL was issued.' }),
    uploadedAt: t.expose('uploadedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the bytes were found and checked; null before.',
    }),
  }),
});

const StorageObjectPage = builder
  .objectRef<{ items: StorageObject[]; nextOffset: number | null }>('StorageObjectPage')
  .implement({
    description: 'A page of storage objects.',
    fields: (t) => ({
      items: t.field({
        type: [StorageObjectRef],
        description: 'Objects, newest first.',
        resolve: (p) => p.items,
      }),
      nextOffset: t.exposeInt('nextOffset', {
        nullable: true,
        description: 'Offset of the next page; null on the last.',
      }),
    }),
  });

const StorageUploadRef = builder.objectRef<StorageUpload>('StorageUpload').implement({
  description: 'A new object and the presigned URL to PUT its bytes to.',
  fields: (t) => ({
    objectId: t.id({ description: 'The object (UUID).', resolve: (u) => u.object.id }),
    uploadUrl: t.string({ description: 'Presigned URL to PUT the bytes to.', resolve: (u) => u.upload.url }),
    method: t.string({ description: 'HTTP method of the upload: `PUT`.', resolve: (u) => u.upload.method }),
    headers: t.field({
      type: 'JSON',
      description: 'Headers the upload must send (`Content-Type`), name → value.',
      resolve: (u) => u.upload.headers,
    }),
    bucket: t.string({ description: 'Bucket of the object.', resolve: (u) => u.object.bucket }),
    objectKey: t.string({ description: 'Key of the object.', resolve: (u) => u.object.objectKey }),
    expiresInSeconds: t.int({
      description: 'Seconds the URL stays valid (STORAGE_SIGNED_URL_TTL_SECONDS).',
      resolve: (u) => u.upload.expiresInSeconds,
    }),
    object: t.field({
      type: StorageObjectRef,
      description: 'The object, pending its bytes.',
      resolve: (u) => u.object,
    }),
  }),
});

const StorageDownloadRef = builder.objectRef<StorageDownload>('StorageDownload').implement({
  description: 'A presigned URL to GET an uploaded object, served as an attachment.',
  fields: (t) => ({
    objectId: t.id({ description: 'The object (UUID).', resolve: (d) => d.object.id }),
    downloadUrl: t.string({
      description: 'Presigned URL to GET the bytes from.',
      resolve: (d) => d.download.url,
    }),
    method: t.string({
      description: 'HTTP method of the download: `GET`.',
      resolve: (d) => d.download.method,
    }),
    headers: t.field({
      type: 'JSON',
      description: 'Headers the download must send (none today), name → value.',
      resolve: (d) => d.download.headers,
    }),
    bucket: t.string({ description: 'Bucket of the object.', resolve: (d) => d.object.bucket }),
    objectKey: t.string({ description: 'Key of the object.', resolve: (d) => d.object.objectKey }),
    expiresInSeconds: t.int({
      description: 'Seconds the URL stays valid (STORAGE_SIGNED_URL_TTL_SECONDS).',
      resolve: (d) => d.download.expiresInSeconds,
    }),
  }),
});

builder.queryField('storageObjects', (t) =>
  t.field({
    type: StorageObjectPage,
    description:
      'Live storage objects of the caller’s tenant, newest first (pending ones are checked first).',
    authScopes: { scope: 'storage:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 20).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
      conversationId: t.arg.id({ description: 'Only the objects of this conversation (UUID).' }),
    },
    resolve: (_root, args, ctx) =>
      listStorageObjects(ctx, {
        limit: args.limit,
        offset: args.offset,
        conversationId: args.conversationId == null ? null : String(args.conversationId),
      }),
  }),
);

builder.queryField('storageObject', (t) =>
  t.field({
    type: StorageObjectRef,
    description:
      'One live object of the caller’s tenant; a pending one’s status is refreshed by checking its bytes (NOT_FOUND for unknown, deleted or foreign ids).',
    authScopes: { scope: 'storage:read' },
    args: { objectId: t.arg.id({ required: true, description: 'Object id (UUID).' }) },
    resolve: (_root, { objectId }, ctx) => getStorageObject(ctx, String(objectId)),
  }),
);

builder.queryField('storageDownloadUrl', (t) =>
  t.field({
    type: StorageDownloadRef,
    description:
      'A presigned download URL of an uploaded object (CONFLICT before its bytes are uploaded and checked, or when they were rejected).',
    authScopes: { scope: 'storage:read' },
    args: { objectId: t.arg.id({ required: true, description: 'Object id (UUID).' }) },
    resolve: (_root, { objectId }, ctx) => storageDownloadUrl(ctx, String(objectId)),
  }),
);

const CreateStorageUploadInput = builder.inputType('CreateStorageUploadInput', {
  description: 'The object to upload.',
  fields: (t) => ({
    filename: t.string({ required: true, description: 'Filename (1–256 characters).' }),
    mimeType: t.string({
      required: true,
      description: 'MIME type (up to 128 characters), one of STORAGE_ALLOWED_MIME_TYPES.',
    }),
    sizeBytes: t.int({ required: true, description: 'Exact size in bytes (0 up to STORAGE_MAX_FILE_MB).' }),
    agentKey: t.string({ description: 'Agent the object belongs to (up to 64 characters).' }),
    conversationId: t.id({ description: 'Conversation the object belongs to (UUID).' }),
    metadata: t.field({ type: 'JSON', description: 'Free-form key/values (an object, up to 16 KiB).' }),
  }),
});

builder.mutationField('createStorageUpload', (t) =>
  t.field({
    type: StorageUploadRef,
    description:
      'Records an object pending its bytes and returns a presigned PUT of exactly its size and type (owners and admins; BAD_REQUEST for a type not allowed or a size over the limit).',
    authScopes: { scope: 'storage:write' },
    args: { input: t.arg({ type: CreateStorageUploadInput, required: true, description: 'The object.' }) },
    resolve: (_root, { input }, ctx) =>
      createStorageUpload(ctx, {
        ...input,
        conversationId: input.conversationId == null ? null : String(input.conversationId),
      }),
  }),
);

builder.mutationField('deleteStorageObject', (t) =>
  t.field({
    type: 'Boolean',
    description:
      'Deletes an object’s bytes and marks it deleted (owners and admins; true again for an object already deleted).',
    authScopes: { scope: 'storage:write' },
    args: { objectId: t.arg.id({ required: true, description: 'Object id (UUID).' }) },
    resolve: (_root, { objectId }, ctx) => deleteStorageObject(ctx, String(objectId)),
  }),
);

import type { KnowledgeFile } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  deleteFile,
  FILE_STATUSES,
  type FileStatus,
  fileFromStorageObject,
  getFile,
  ingestFile,
  listFiles,
  uploadFile,
} from './file.service.js';
import { fileDownload } from './file-download.service.js';

export const KnowledgeFileStatusEnum = legacyEnum(
  builder,
  'KnowledgeFileStatus',
  FILE_STATUSES,
  'Where a file is in ingest: uploaded → queued → processing → ready | failed.',
);

export const KnowledgeFileRef = builder.objectRef<KnowledgeFile>('KnowledgeFile').implement({
  description: 'A document of a tenant: its bytes, and once ingested, its searchable chunks.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'File id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant that owns the file.' }),
    filename: t.exposeString('filename', { description: 'Name as uploaded.' }),
    mimeType: t.exposeString('mimeType', {
      description: 'Media type (from the upload, or the extension when the upload said none).',
    }),
    sizeBytes: t.exposeInt('sizeBytes', { description: 'Size in bytes.' }),
    checksumSha256: t.exposeString('checksumSha256', { description: 'SHA-256 of the bytes (hex).' }),
    metadata: t.field({
      type: 'JSON',
      description: 'Free-form key/values of the uploader; search `filters` match against them.',
      resolve: (f) => f.metadata,
    }),
    status: t.field({
      type: KnowledgeFileStatusEnum,
      description: 'Ingest status.',
      resolve: (f) => f.status as FileStatus,
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why the last ingest failed.' }),
    chunkCount: t.exposeInt('chunkCount', { description: 'Searchable chunks of the last finished ingest.' }),
    tokenCount: t.exposeInt('tokenCount', { description: 'Tokens in those chunks.' }),
    chunkingStrategy: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Chunking of the last ingest request, OpenAI’s `{type: "static", static: {…}}` form.',
      resolve: (f) => f.chunking,
    }),
    embeddingModel: t.exposeString('embeddingModel', {
      nullable: true,
      description: 'Model that embedded the current chunks.',
    }),
    storageObjectId: t.exposeID('storageObjectId', {
      nullable: true,
      description: 'The storage object whose bytes this file is, when it was made from one.',
    }),
    ingestedAt: t.expose('ingestedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the last ingest finished.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Upload time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

const KnowledgeFilePage = builder
  .objectRef<{ items: KnowledgeFile[]; nextCursor: string | null }>('KnowledgeFilePage')
  .implement({
    description: 'A page of files, newest first.',
    fields: (t) => ({
      items: t.field({ type: [KnowledgeFileRef], description: 'Files.', resolve: (p) => p.items }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page (null on the last).',
      }),
    }),
  });

/** What `GET /files/{id}/status` answers: the ingest state alone. */
const KnowledgeFileStatusRef = builder.objectRef<KnowledgeFile>('KnowledgeFileIngestStatus').implement({
  description: 'The ingest state of a file.',
  fields: (t) => ({
    fileId: t.exposeID('id', { description: 'File id.' }),
    status: t.field({
      type: KnowledgeFileStatusEnum,
      description: 'Ingest status.',
      resolve: (f) => f.status as FileStatus,
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why the last ingest failed.' }),
    chunkCount: t.exposeInt('chunkCount', { description: 'Searchable chunks.' }),
    tokenCount: t.exposeInt('tokenCount', { description: 'Tokens in those chunks.' }),
    ingestedAt: t.expose('ingestedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the last ingest finished.',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

const FileContentInput = builder.inputType('FileContentInput', {
  description:
    'A file’s name, type and bytes (base64). Bigger files: upload to storage, then `createKnowledgeFileFromStorage`.',
  fields: (t) => ({
    filename: t.string({ required: true, description: 'Name (1–256 characters).' }),
    mimeType: t.string({ description: 'Media type; absent or generic: from the extension.' }),
    contentBase64: t.string({
      required: true,
      description: 'The bytes, base64 (up to FILES_MAX_UPLOAD_MB).',
    }),
  }),
});

const UploadKnowledgeFileInput = builder.inputType('UploadKnowledgeFileInput', {
  description:
    'A file to keep (REST: `multipart/form-data` with the part `file` and an optional JSON `metadata`).',
  fields: (t) => ({
    file: t.field({ type: FileContentInput, required: true, description: 'The file.' }),
    metadata: t.field({
      type: 'JSON',
      description: 'Key/values (an object, up to 16 KiB) for search filters.',
    }),
  }),
});

const IngestKnowledgeFileInput = builder.inputType('IngestKnowledgeFileInput', {
  description: 'How to ingest.',
  fields: (t) => ({
    chunkingStrategy: t.field({
      type: 'JSON',
      description:
        'OpenAI’s `{type: "auto"}` or `{type: "static", static: {max_chunk_size_tokens, chunk_overlap_tokens}}` (default: the last one, else KNOWLEDGE_CHUNK_TOKENS / KNOWLEDGE_CHUNK_OVERLAP_TOKENS).',
    }),
  }),
});

builder.queryField('knowledgeFiles', (t) =>
  t.field({
    type: KnowledgeFilePage,
    description: 'The tenant’s files, newest first.',
    authScopes: { scope: 'knowledge:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      status: t.arg({ type: KnowledgeFileStatusEnum, description: 'Only files in this status.' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, { tenantId, ...args }, ctx) => listFiles(ctx, String(tenantId), args),
  }),
);

builder.queryField('knowledgeFile', (t) =>
  t.field({
    type: KnowledgeFileRef,
    description: 'One file of the tenant (NOT_FOUND for an unknown or foreign id).',
    authScopes: { scope: 'knowledge:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      fileId: t.arg.id({ required: true, description: 'File id (UUID).' }),
    },
    resolve: (_root, { tenantId, fileId }, ctx) => getFile(ctx, String(tenantId), String(fileId)),
  }),
);

builder.queryField('knowledgeFileStatus', (t) =>
  t.field({
    type: KnowledgeFileStatusRef,
    description: 'The ingest state of a file.',
    authScopes: { scope: 'knowledge:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      fileId: t.arg.id({ required: true, description: 'File id (UUID).' }),
    },
    resolve: (_root, { tenantId, fileId }, ctx) => getFile(ctx, String(tenantId), String(fileId)),
  }),
);

builder.mutationField('uploadKnowledgeFile', (t) =>
  t.field({
    type: KnowledgeFileRef,
    description: 'Keeps a file (status `uploaded`; ingest is `ingestKnowledgeFile`). Owners and admins.',
    authScopes: { scope: 'knowledge:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: UploadKnowledgeFileInput, required: true, description: 'The file.' }),
    },
    resolve: (_root, { tenantId, input }, ctx) => uploadFile(ctx, String(tenantId), input),
  }),
);

builder.mutationField('createKnowledgeFileFromStorage', (t) =>
  t.field({
    type: KnowledgeFileRef,
    description:
      'Makes a file of an uploaded storage object (its bytes are shared, not copied): the way in for big files.',
    authScopes: { scope: 'knowledge:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      objectId: t.arg.id({ required: true, description: 'Storage object id (UUID), status `uploaded`.' }),
    },
    resolve: (_root, { tenantId, objectId }, ctx) =>
      fileFromStorageObject(ctx, String(tenantId), String(objectId)),
  }),
);

builder.mutationField('ingestKnowledgeFile', (t) =>
  t.field({
    type: KnowledgeFileRef,
    description:
      'Queues an ingest (extract, chunk, embed) of a file; re-ingesting replaces its chunks atomically when done.',
    authScopes: { scope: 'knowledge:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      fileId: t.arg.id({ required: true, description: 'File id (UUID).' }),
      input: t.arg({ type: IngestKnowledgeFileInput, description: 'Chunking (optional).' }),
    },
    resolve: (_root, { tenantId, fileId, input }, ctx) =>
      ingestFile(ctx, String(tenantId), String(fileId), input),
  }),
);

builder.mutationField('deleteKnowledgeFile', (t) =>
  t.boolean({
    description: 'Deletes a file with its chunks, agent attachments, vector-store entries and bytes.',
    authScopes: { scope: 'knowledge:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      fileId: t.arg.id({ required: true, description: 'File id (UUID).' }),
    },
    resolve: (_root, { tenantId, fileId }, ctx) => deleteFile(ctx, String(tenantId), String(fileId)),
  }),
);

const KnowledgeFileDownloadRef = builder
  .objectRef<{ filename: string; mimeType: string; url: string }>('KnowledgeFileDownload')
  .implement({
    description: 'Where to fetch a file’s bytes: a short-lived signed URL.',
    fields: (t) => ({
      filename: t.exposeString('filename', { description: 'Name to save it as.' }),
      mimeType: t.exposeString('mimeType', { description: 'Media type.' }),
      url: t.exposeString('url', {
        description: 'Signed GET URL (expires after STORAGE_SIGNED_URL_TTL_SECONDS).',
      }),
    }),
  });

builder.queryField('knowledgeFileDownload', (t) =>
  t.field({
    type: KnowledgeFileDownloadRef,
    description:
      'A signed download URL of a file of the caller’s tenant (legacy `GET /openai/files/{file_id}/download` serves the bytes).',
    authScopes: { scope: 'knowledge:read' },
    args: { fileId: t.arg.id({ required: true, description: 'File id (UUID).' }) },
    resolve: (_root, { fileId }, ctx) => fileDownload(ctx, String(fileId)),
  }),
);

import { builder } from '../builder.js';
import {
  addVectorStoreFile,
  getVectorStoreFile,
  listVectorStoreFiles,
  removeVectorStoreFile,
  type StoreFile,
  searchVectorStore,
  type VectorStoreSearchHit,
  type VectorStoreSearchPage,
  vectorFileStatus,
} from './vector-store-file.service.js';

export const VectorStoreFileRef = builder.objectRef<StoreFile>('VectorStoreFile').implement({
  description: 'A platform file in a vector store, with the attributes searches filter on.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Id of the file’s place in this store (UUID).' }),
    openaiFileId: t.string({
      description:
        'The platform file’s id (a knowledge file; the legacy API’s OpenAI file id). Search results name it.',
      resolve: (f) => f.fileId,
    }),
    vectorStoreId: t.exposeID('vectorStoreId', { description: 'The store (UUID).' }),
    filename: t.string({ description: 'File name.', resolve: (f) => f.file.filename }),
    mimeType: t.string({
      nullable: true,
      description: 'MIME type it is extracted as.',
      resolve: (f) => f.file.mimeType,
    }),
    sizeBytes: t.int({ nullable: true, description: 'Size in bytes.', resolve: (f) => f.file.sizeBytes }),
    usageBytes: t.int({
      description: 'Bytes it counts for in the store (its size).',
      resolve: (f) => f.file.sizeBytes,
    }),
    status: t.string({
      description:
        '`in_progress` (queued or being extracted, chunked and embedded), `completed` (searchable) or `failed` (see `lastError`).',
      resolve: (f) => vectorFileStatus(f.file),
    }),
    attributes: t.field({
      type: 'JSON',
      description: 'Up to 16 key/values (string, number or boolean) that search filters match.',
      resolve: (f) => f.attributes,
    }),
    chunkingStrategy: t.field({
      type: 'JSON',
      nullable: true,
      description:
        'How the file is chunked, resolved (`{type: "static", static: {max_chunk_size_tokens, chunk_overlap_tokens}}`); null before its first ingest.',
      resolve: (f) => f.file.chunking ?? null,
    }),
    lastError: t.string({
      nullable: true,
      description: 'Why its last ingest failed.',
      resolve: (f) => f.file.error,
    }),
    chunkCount: t.int({ description: 'Passages it was cut into.', resolve: (f) => f.file.chunkCount }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was added to the store.' }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'Last change of the file or of its place in the store.',
      resolve: (f) => (f.file.updatedAt > f.updatedAt ? f.file.updatedAt : f.updatedAt),
    }),
  }),
});

const VectorStoreFileList = builder
  .objectRef<{ items: StoreFile[]; total: number }>('VectorStoreFileList')
  .implement({
    description: 'A page of a vector store’s files.',
    fields: (t) => ({
      items: t.field({
        type: [VectorStoreFileRef],
        description: 'Files, newest first.',
        resolve: (p) => p.items,
      }),
      total: t.exposeInt('total', { description: 'All files of the store matching the status filter.' }),
    }),
  });

builder.queryField('vectorStoreFiles', (t) =>
  t.field({
    type: VectorStoreFileList,
    description: 'Files of a vector store of the caller’s tenant, newest first.',
    authScopes: { scope: 'knowledge:read' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      status: t.arg.string({
        description: 'Only files in this state: in_progress, completed, failed or cancelled.',
      }),
      limit: t.arg.int({ description: 'Page size (1–100, default 20).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
    },
    resolve: (_root, { vectorStoreId, ...args }, ctx) =>
      listVectorStoreFiles(ctx, String(vectorStoreId), args),
  }),
);

builder.queryField('vectorStoreFile', (t) =>
  t.field({
    type: VectorStoreFileRef,
    description: 'One file of a vector store (NOT_FOUND "File not found" when it is not in the store).',
    authScopes: { scope: 'knowledge:read' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      fileId: t.arg.string({
        required: true,
        description:
          'The platform file’s id (or the storage object’s it was made from, or the entry’s own id).',
      }),
    },
    resolve: (_root, { vectorStoreId, fileId }, ctx) =>
      getVectorStoreFile(ctx, String(vectorStoreId), fileId),
  }),
);

const AddVectorStoreFileInput = builder.inputType('AddVectorStoreFileInput', {
  description: 'A platform file to add to a vector store.',
  fields: (t) => ({
    fileId: t.string({
      required: true,
      description: 'A file uploaded through the files API, or an uploaded storage object of the tenant.',
    }),
    attributes: t.field({
      type: 'JSON',
      description:
        'Up to 16 key/values: keys up to 64 characters, values strings (≤ 512), numbers or booleans.',
    }),
    chunkingStrategy: t.field({
      type: 'JSON',
      description:
        'OpenAI’s `{type: "auto"}` or `{type: "static", static: {max_chunk_size_tokens: 100–4096, chunk_overlap_tokens}}` (default auto).',
    }),
    poll: t.boolean({
      description:
        'Accepted for legacy clients; the answer is immediate with the current status (poll the file).',
    }),
  }),
});

builder.mutationField('addVectorStoreFile', (t) =>
  t.field({
    type: VectorStoreFileRef,
    description:
      'Adds a platform file to a vector store and queues its ingest unless it is ready with the same chunking (owners and admins; 400 type or size, 403 store full, 409 already in it).',
    authScopes: { scope: 'knowledge:write' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      input: t.arg({ type: AddVectorStoreFileInput, required: true, description: 'The file.' }),
    },
    resolve: (_root, { vectorStoreId, input }, ctx) => addVectorStoreFile(ctx, String(vectorStoreId), input),
  }),
);

builder.mutationField('removeVectorStoreFile', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Removes a file from a vector store; the platform file and its passages stay.',
    authScopes: { scope: 'knowledge:write' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      fileId: t.arg.string({ required: true, description: 'The platform file’s id (as `vectorStoreFile`).' }),
    },
    resolve: (_root, { vectorStoreId, fileId }, ctx) =>
      removeVectorStoreFile(ctx, String(vectorStoreId), fileId),
  }),
);

const SearchContentRef = builder
  .objectRef<VectorStoreSearchHit['content'][number]>('VectorStoreSearchContent')
  .implement({
    description: 'A piece of a search result’s content.',
    fields: (t) => ({
      type: t.exposeString('type', { description: 'Always `text`.' }),
      text: t.exposeString('text', { description: 'The passage.' }),
    }),
  });

const SearchHitRef = builder.objectRef<VectorStoreSearchHit>('VectorStoreSearchResult').implement({
  description: 'One passage found in a vector store.',
  fields: (t) => ({
    fileId: t.exposeString('fileId', {
      description: 'The platform file it is from (`openai_file_id` of the store’s file).',
    }),
    filename: t.exposeString('filename', { description: 'That file’s name.' }),
    score: t.exposeFloat('score', { description: 'Relevance in [0, 1], higher is better.' }),
    attributes: t.field({
      type: 'JSON',
      description: 'The file’s attributes in this store.',
      resolve: (h) => h.attributes,
    }),
    content: t.field({
      type: [SearchContentRef],
      description: 'The passage’s text.',
      resolve: (h) => h.content,
    }),
  }),
});

const SearchPageRef = builder.objectRef<VectorStoreSearchPage>('VectorStoreSearchPage').implement({
  description: 'The results of a vector store search (OpenAI’s page shape; one page).',
  fields: (t) => ({
    object: t.exposeString('object', { description: 'Always `vector_store.search_results.page`.' }),
    searchQuery: t.exposeString('searchQuery', {
      description: 'The query searched (a list joined by spaces).',
    }),
    data: t.field({ type: [SearchHitRef], description: 'Passages, best first.', resolve: (p) => p.data }),
    hasMore: t.exposeBoolean('hasMore', { description: 'Always false: all results are on this page.' }),
    nextPage: t.exposeString('nextPage', { nullable: true, description: 'Always null.' }),
  }),
});

const SearchVectorStoreInput = builder.inputType('SearchVectorStoreInput', {
  description: 'A vector store search.',
  fields: (t) => ({
    query: t.field({
      type: 'JSON',
      required: true,
      description: 'A query (string, 1–4096 characters) or a list of up to 10.',
    }),
    filters: t.field({
      type: 'JSON',
      description:
        'OpenAI attribute filter: `{type: eq|ne|gt|gte|lt|lte|in|nin, key, value}` or `{type: and|or, filters: [...]}` (depth ≤ 5, ≤ 50 conditions).',
    }),
    maxNumResults: t.int({ description: 'Most results (1–50, default 10).' }),
    rankingOptions: t.field({
      type: 'JSON',
      description: '`{score_threshold: 0–1}` drops weaker results; `ranker` is accepted and ignored.',
    }),
    rewriteQuery: t.boolean({ description: 'Accepted and ignored: queries are searched as given.' }),
  }),
});

builder.queryField('searchVectorStore', (t) =>
  t.field({
    type: SearchPageRef,
    description: 'Searches the completed files of a vector store (hybrid vector + full-text ranking).',
    authScopes: { scope: 'knowledge:read' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      input: t.arg({ type: SearchVectorStoreInput, required: true, description: 'The search.' }),
    },
    resolve: (_root, { vectorStoreId, input }, ctx) => searchVectorStore(ctx, String(vectorStoreId), input),
  }),
);

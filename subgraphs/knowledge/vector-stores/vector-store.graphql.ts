import { builder } from '../builder.js';
import {
  agentVectorStore,
  bindAgentVectorStore,
  createVectorStore,
  deleteVectorStore,
  type FileCounts,
  getVectorStore,
  listVectorStores,
  openaiStoreId,
  storeAgentKeys,
  unbindAgentVectorStore,
  type VectorStoreView,
} from './vector-store.service.js';
// The store's files and its search register with the store.
import './vector-store-file.graphql.js';

const FileCountsRef = builder.objectRef<FileCounts>('VectorStoreFileCounts').implement({
  description: 'How many of a vector store’s files are in each state.',
  fields: (t) => ({
    inProgress: t.exposeInt('inProgress', { description: 'Files being extracted, chunked and embedded.' }),
    completed: t.exposeInt('completed', { description: 'Files ready to search.' }),
    failed: t.exposeInt('failed', { description: 'Files whose ingest failed (see their `lastError`).' }),
    cancelled: t.exposeInt('cancelled', { description: 'Always 0: ingests are not cancelled.' }),
    total: t.exposeInt('total', { description: 'All files of the store.' }),
  }),
});

export const VectorStoreRef = builder.objectRef<VectorStoreView>('VectorStore').implement({
  description:
    'A named set of the tenant’s files, searched together (the platform’s own pgvector store; no OpenAI vector store exists).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Vector store id (UUID).' }),
    openaiId: t.string({
      description:
        'Provider-style id kept for legacy clients: `vs_` + the id without dashes (no store exists at OpenAI).',
      resolve: (s) => openaiStoreId(s.id),
    }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant that owns the store.' }),
    ownerUserId: t.exposeID('ownerUserId', {
      nullable: true,
      description: 'User who created it (null when an API key did).',
    }),
    name: t.exposeString('name', { description: 'Name, unique in the tenant.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text.' }),
    status: t.exposeString('status', {
      description:
        '`in_progress` while any of its files is being ingested, `expired` once `expiresAt` has passed, else `completed`.',
    }),
    usageBytes: t.exposeInt('usageBytes', {
      description:
        'Sum of the sizes of its files, in bytes (GraphQL Int, as the legacy integer: a store past 2 GiB cannot be reported until a 64-bit scalar exists).',
    }),
    fileCounts: t.field({
      type: FileCountsRef,
      description: 'Its files by state.',
      resolve: (s) => s.fileCounts,
    }),
    expiresAfter: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Expiration policy `{anchor: "last_active_at", days}`, or null (never expires).',
      resolve: (s) => s.expiresAfter,
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it expires (last activity + `days`); null without a policy.',
    }),
    lastActiveAt: t.expose('lastActiveAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last creation, file added or search.',
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'Free-form key/values of the tenant.',
      resolve: (s) => s.metadata,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last update time.' }),
    agentKeys: t.stringList({
      description: 'Keys of the agents bound to this store.',
      resolve: (s, _args, ctx) => storeAgentKeys(ctx, s),
    }),
  }),
});

const VectorStoreList = builder
  .objectRef<{ items: VectorStoreView[]; total: number }>('VectorStoreList')
  .implement({
    description: 'A page of vector stores.',
    fields: (t) => ({
      items: t.field({
        type: [VectorStoreRef],
        description: 'Stores, newest first.',
        resolve: (p) => p.items,
      }),
      total: t.exposeInt('total', { description: 'All stores of the tenant.' }),
    }),
  });

builder.queryField('vectorStores', (t) =>
  t.field({
    type: VectorStoreList,
    description: 'Vector stores of the caller’s tenant, newest first.',
    authScopes: { scope: 'knowledge:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 20).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
    },
    resolve: (_root, args, ctx) => listVectorStores(ctx, args),
  }),
);

builder.queryField('vectorStore', (t) =>
  t.field({
    type: VectorStoreRef,
    description: 'One vector store of the caller’s tenant (NOT_FOUND for unknown or foreign ids).',
    authScopes: { scope: 'knowledge:read' },
    args: { vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }) },
    resolve: (_root, { vectorStoreId }, ctx) => getVectorStore(ctx, String(vectorStoreId)),
  }),
);

builder.queryField('agentVectorStore', (t) =>
  t.field({
    type: VectorStoreRef,
    nullable: true,
    description: 'The vector store an agent of the caller’s tenant is bound to (null when none).',
    authScopes: { scope: 'knowledge:read' },
    args: { agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }) },
    resolve: (_root, { agentKey }, ctx) => agentVectorStore(ctx, agentKey),
  }),
);

const CreateVectorStoreInput = builder.inputType('CreateVectorStoreInput', {
  description: 'A new vector store.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name (1–128 characters), unique in the tenant.' }),
    description: t.string({ description: 'Free text (up to 512 characters).' }),
    expiresAfter: t.field({
      type: 'JSON',
      description: 'Expiration policy `{anchor: "last_active_at", days: 1–365}` (default: never).',
    }),
    metadata: t.field({ type: 'JSON', description: 'Free-form key/values (an object, up to 16 KiB).' }),
  }),
});

builder.mutationField('createVectorStore', (t) =>
  t.field({
    type: VectorStoreRef,
    description:
      'Creates a vector store (owners and admins; 403 at VECTOR_MAX_STORES_PER_TENANT, 409 for a name in use).',
    authScopes: { scope: 'knowledge:write' },
    args: { input: t.arg({ type: CreateVectorStoreInput, required: true, description: 'The store.' }) },
    resolve: (_root, { input }, ctx) => createVectorStore(ctx, input),
  }),
);

builder.mutationField('deleteVectorStore', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Deletes a vector store, its file links and agent bindings (the files themselves stay).',
    authScopes: { scope: 'knowledge:write' },
    args: { vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }) },
    resolve: (_root, { vectorStoreId }, ctx) => deleteVectorStore(ctx, String(vectorStoreId)),
  }),
);

builder.mutationField('bindAgentVectorStore', (t) =>
  t.field({
    type: 'Boolean',
    description:
      'Binds an agent (by key) to this vector store, replacing the store it was bound to (one per agent; owners and admins).',
    authScopes: { scope: 'knowledge:write' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }),
    },
    resolve: (_root, { vectorStoreId, agentKey }, ctx) =>
      bindAgentVectorStore(ctx, String(vectorStoreId), agentKey),
  }),
);

builder.mutationField('unbindAgentVectorStore', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Removes an agent’s binding to this vector store (true also when it had none).',
    authScopes: { scope: 'knowledge:write' },
    args: {
      vectorStoreId: t.arg.id({ required: true, description: 'Vector store id (UUID).' }),
      agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }),
    },
    resolve: (_root, { vectorStoreId, agentKey }, ctx) =>
      unbindAgentVectorStore(ctx, String(vectorStoreId), agentKey),
  }),
);

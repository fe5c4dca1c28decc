import { legacyEnum } from '../../kernel/builder.js';
import { hasScope } from '../../kernel/viewer.js';
import { builder } from '../builder.js';
import {
  agentKnowledgeSearch,
  type KnowledgeSearchResult,
  searchKnowledge,
} from './knowledge-search.service.js';
import { type ChunkHit, SEARCH_MODES } from './search.service.js';

export const SearchModeEnum = legacyEnum(
  builder,
  'KnowledgeSearchMode',
  SEARCH_MODES,
  'How passages are ranked: `hybrid` (vector and full-text fused by reciprocal rank), `vector` or `text`.',
);

export const ChunkHitRef = builder.objectRef<ChunkHit>('KnowledgeSearchHit').implement({
  description: 'One passage of a file, ranked.',
  fields: (t) => ({
    fileId: t.exposeID('fileId', { description: 'File the passage is from.' }),
    chunkId: t.exposeID('chunkId', { description: 'The chunk (UUID).' }),
    filename: t.exposeString('filename', { description: 'Name of the file.' }),
    ordinal: t.exposeInt('ordinal', { description: 'Position of the chunk in the file (0-based).' }),
    text: t.exposeString('text', { description: 'The passage.' }),
    score: t.exposeFloat('score', { description: 'Relevance in [0, 1], higher is better.' }),
    metadata: t.field({
      type: 'JSON',
      description: 'What extraction knew of the passage (`page` for PDFs).',
      resolve: (h) => h.metadata,
    }),
  }),
});

const KnowledgeSearchResultRef = builder.objectRef<KnowledgeSearchResult>('KnowledgeSearchResult').implement({
  description: 'Passages matching a query, best first.',
  fields: (t) => ({
    query: t.exposeString('query', { description: 'The query as searched.' }),
    mode: t.field({ type: SearchModeEnum, description: 'Ranking used.', resolve: (r) => r.mode }),
    results: t.field({
      type: [ChunkHitRef],
      description: 'Passages, best first.',
      resolve: (r) => r.results,
    }),
  }),
});

const SearchKnowledgeInput = builder.inputType('SearchKnowledgeInput', {
  description: 'A search of the tenant’s ingested files.',
  fields: (t) => ({
    query: t.string({ required: true, description: 'What to look for (1–4000 characters).' }),
    topK: t.int({ description: 'Passages to return (1–50, default 5).' }),
    fileIds: t.idList({ description: 'Only these files (each must be the tenant’s).' }),
    agentId: t.id({
      description: 'Only what this agent searches: its attached files and bound vector store.',
    }),
    filters: t.field({
      type: 'JSON',
      description:
        'Attribute filter on file metadata, OpenAI’s form: `{type: eq|ne|gt|gte|lt|lte|in|nin, key, value}` or `{type: and|or, filters}`.',
    }),
    mode: t.field({ type: SearchModeEnum, description: 'Ranking (default hybrid).' }),
    scoreThreshold: t.float({ description: 'Drop passages scoring below this (0–1).' }),
  }),
});

builder.queryField('searchKnowledge', (t) =>
  t.field({
    type: KnowledgeSearchResultRef,
    description: 'Searches the tenant’s ready files (REST: `POST /api/tenants/{tenant_id}/search`).',
    authScopes: { scope: 'knowledge:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: SearchKnowledgeInput, required: true, description: 'The search.' }),
    },
    resolve: (_root, { tenantId, input }, ctx) =>
      searchKnowledge(ctx, String(tenantId), {
        ...input,
        fileIds: input.fileIds?.map(String) ?? null,
        agentId: input.agentId == null ? null : String(input.agentId),
      }),
  }),
);

builder.queryField('agentKnowledgeSearch', (t) =>
  t.field({
    type: KnowledgeSearchResultRef,
    description:
      'What an agent’s knowledge_search tool finds (its attached files and bound vector store, else all ready files); for the chat runtime, which calls it as the chatting caller.',
    authScopes: (_root, _args, ctx) =>
      hasScope(ctx.viewer, 'knowledge:read') || hasScope(ctx.viewer, 'conversations:write'),
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }),
      agentId: t.arg.id({ description: 'Id of the tenant agent (absent for a built-in).' }),
      query: t.arg.string({ required: true, description: 'What to look for.' }),
      topK: t.arg.int({ description: 'Passages to return (1–50, default 5).' }),
    },
    resolve: (_root, { tenantId, agentId, ...args }, ctx) =>
      agentKnowledgeSearch(ctx, String(tenantId), {
        ...args,
        agentId: agentId == null ? null : String(agentId),
      }),
  }),
);

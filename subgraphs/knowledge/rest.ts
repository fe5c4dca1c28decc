import type { RestRoute, RestSurface } from '../../rest-bridge/routes/types.js';
import type { Config } from '../kernel/config.js';
import { vectorStoreAliases, vectorStoreIgnored, vectorStoreRoutes } from './vector-stores/rest.js';

/** Largest multipart body the files route reads: FILES_MAX_UPLOAD_MB and room for the form around the file. */
const uploadBodyBytes = (config: Config) => config.FILES_MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024;

const tenantFileRoutes: RestRoute[] = [
  {
    field: 'Mutation.uploadKnowledgeFile',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/files',
    status: 201,
    multipart: { file: 'file', json: ['metadata'] },
    maxBodyBytes: uploadBodyBytes,
    tags: ['files'],
    summary: 'Upload a file (multipart/form-data: `file`, optional JSON `metadata`)',
  },
  {
    field: 'Query.knowledgeFiles',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/files',
    tags: ['files'],
    summary: 'List files',
  },
  {
    field: 'Query.knowledgeFile',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/files/{file_id}',
    tags: ['files'],
    summary: 'Get a file',
  },
  {
    field: 'Mutation.deleteKnowledgeFile',
    method: 'DELETE',
    path: '/api/tenants/{tenant_id}/files/{file_id}',
    status: 204,
    tags: ['files'],
    summary: 'Delete a file, its chunks and its bytes',
  },
  {
    field: 'Mutation.ingestKnowledgeFile',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/files/{file_id}/ingest',
    status: 202,
    tags: ['files'],
    summary: 'Queue an ingest (extract, chunk, embed)',
  },
  {
    field: 'Query.knowledgeFileStatus',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/files/{file_id}/status',
    tags: ['files'],
    summary: 'Ingest status of a file',
  },
  {
    field: 'Mutation.attachAgentKnowledgeFiles',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}/files',
    tags: ['files'],
    summary: 'Attach files to an agent',
  },
  {
    field: 'Query.agentKnowledgeFiles',
    method: 'GET',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}/files',
    tags: ['files'],
    summary: 'Files attached to an agent',
  },
  {
    field: 'Mutation.detachAgentKnowledgeFile',
    method: 'DELETE',
    path: '/api/tenants/{tenant_id}/agents/{agent_id}/files/{file_id}',
    status: 204,
    tags: ['files'],
    summary: 'Detach a file from an agent (not in the seed list)',
  },
  {
    field: 'Query.searchKnowledge',
    method: 'POST',
    path: '/api/tenants/{tenant_id}/search',
    tags: ['search'],
    summary: 'Search the tenant’s files (hybrid vector + full-text by default)',
  },
  {
    field: 'Query.knowledgeFileDownload',
    method: 'GET',
    path: '/api/v1/openai/files/{file_id}/download',
    download: true,
    tags: ['openai'],
    summary: 'Download a file’s bytes',
  },
];

/** The REST face of knowledge: tenant files, agent files, search, the legacy vector stores and file download. */
export const knowledgeRest: RestSurface = {
  routes: [...tenantFileRoutes, ...vectorStoreRoutes],
  aliases: vectorStoreAliases,
  ignored: vectorStoreIgnored,
};

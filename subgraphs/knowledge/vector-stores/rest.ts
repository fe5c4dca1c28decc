import type { FieldAliases, RestRoute } from '../../../rest-bridge/routes/types.js';

const BASE = '/api/v1/vector-stores';
const STORE = `${BASE}/{vector_store_id}`;

/** Vector stores: the stores, and agent bindings (legacy `/api/v1/vector-stores`). */
const storeRoutes: RestRoute[] = [
  {
    field: 'Mutation.createVectorStore',
    method: 'POST',
    path: BASE,
    status: 201,
    tags: ['vector-stores'],
    summary: 'Create a vector store',
  },
  {
    field: 'Query.vectorStores',
    method: 'GET',
    path: BASE,
    tags: ['vector-stores'],
    summary: 'List vector stores',
  },
  {
    field: 'Query.vectorStore',
    method: 'GET',
    path: STORE,
    tags: ['vector-stores'],
    summary: 'Get a vector store',
  },
  {
    field: 'Mutation.deleteVectorStore',
    method: 'DELETE',
    path: STORE,
    status: 204,
    tags: ['vector-stores'],
    summary: 'Delete a vector store',
  },
  {
    field: 'Mutation.bindAgentVectorStore',
    method: 'POST',
    path: `${STORE}/bindings/{agent_key}`,
    status: 204,
    tags: ['vector-stores'],
    summary: 'Bind an agent to a vector store',
  },
  {
    field: 'Mutation.unbindAgentVectorStore',
    method: 'DELETE',
    path: `${STORE}/bindings/{agent_key}`,
    status: 204,
    tags: ['vector-stores'],
    summary: 'Unbind an agent from a vector store',
  },
];

/** A store's files and its search. */
const fileRoutes: RestRoute[] = [
  {
    field: 'Mutation.addVectorStoreFile',
    method: 'POST',
    path: `${STORE}/files`,
    status: 201,
    tags: ['vector-stores'],
    summary: 'Add a file to a vector store',
  },
  {
    field: 'Query.vectorStoreFiles',
    method: 'GET',
    path: `${STORE}/files`,
    tags: ['vector-stores'],
    summary: 'List the files of a vector store',
  },
  {
    field: 'Query.vectorStoreFile',
    method: 'GET',
    path: `${STORE}/files/{file_id}`,
    tags: ['vector-stores'],
    summary: 'Get a file of a vector store',
  },
  {
    field: 'Mutation.removeVectorStoreFile',
    method: 'DELETE',
    path: `${STORE}/files/{file_id}`,
    status: 204,
    tags: ['vector-stores'],
    summary: 'Remove a file from a vector store',
  },
  {
    field: 'Query.searchVectorStore',
    method: 'POST',
    path: `${STORE}/search`,
    tags: ['vector-stores'],
    summary: 'Search a vector store',
  },
];

/** Every route of the module. */
export const vectorStoreRoutes: RestRoute[] = [...storeRoutes, ...fileRoutes];

/** REST-only renames (none: the GraphQL names case to the legacy ones). */
export const vectorStoreAliases: FieldAliases = {};

/** GraphQL-only fields of this module, left out of the REST face (not in the legacy contract). */
export const vectorStoreIgnored = [
  'VectorStore.agentKeys',
  'VectorStore.fileCounts',
  'VectorStoreFile.chunkCount',
];

import type { RestSurface } from '../../rest-bridge/routes/types.js';

/** The REST face of storage: the legacy `/api/v1/storage/objects` API. */
export const storageRest: RestSurface = {
  routes: [
    {
      field: 'Mutation.createStorageUpload',
      method: 'POST',
      path: '/api/v1/storage/objects/upload-url',
      status: 201,
      tags: ['storage'],
      summary: 'Create Presigned Upload',
    },
    {
      field: 'Query.storageObjects',
      method: 'GET',
      path: '/api/v1/storage/objects',
      tags: ['storage'],
      summary: 'List Objects',
    },
    {
      field: 'Query.storageDownloadUrl',
      method: 'GET',
      path: '/api/v1/storage/objects/{object_id}/download-url',
      tags: ['storage'],
      summary: 'Get Download Url',
    },
    {
      field: 'Mutation.deleteStorageObject',
      method: 'DELETE',
      path: '/api/v1/storage/objects/{object_id}',
      status: 204,
      tags: ['storage'],
      summary: 'Delete Object',
    },
  ],
  /** GraphQL-only: the object beside its upload URL. */
  ignored: ['StorageUpload.object'],
};

import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const R = '/api/tenants/{tenant_id}/runtime-configs';

/** Runtime configs of a tenant and their versions (`/api/tenants/{tenant_id}/runtime-configs`). */
export const runtimeConfigRoutes: RestRoute[] = [
  {
    field: 'Mutation.createRuntimeConfig',
    method: 'POST',
    path: R,
    status: 201,
    tags: ['runtime-configs'],
    summary: 'Create a runtime config (optionally with version 1)',
  },
  {
    field: 'Query.runtimeConfigs',
    method: 'GET',
    path: R,
    tags: ['runtime-configs'],
    summary: 'List runtime configs',
  },
  {
    field: 'Query.runtimeConfig',
    method: 'GET',
    path: `${R}/{config_id}`,
    tags: ['runtime-configs'],
    summary: 'Get a runtime config',
  },
  {
    field: 'Mutation.createRuntimeConfigVersion',
    method: 'POST',
    path: `${R}/{config_id}/versions`,
    status: 201,
    tags: ['runtime-configs'],
    summary: 'Create a runtime config version',
  },
  {
    field: 'Query.runtimeConfigVersions',
    method: 'GET',
    path: `${R}/{config_id}/versions`,
    tags: ['runtime-configs'],
    summary: 'List runtime config versions, newest first',
  },
  {
    field: 'Query.runtimeConfigVersion',
    method: 'GET',
    path: `${R}/{config_id}/versions/{version_id}`,
    tags: ['runtime-configs'],
    summary: 'Get a runtime config version',
  },
  {
    field: 'Mutation.deleteRuntimeConfigVersion',
    method: 'DELETE',
    path: `${R}/{config_id}/versions/{version_id}`,
    status: 204,
    tags: ['runtime-configs'],
    summary: 'Delete a runtime config version no binding pins',
  },
];

/** The version history is GraphQL only (REST lists it at `/versions`). */
export const runtimeConfigIgnored = ['RuntimeConfig.versions'];

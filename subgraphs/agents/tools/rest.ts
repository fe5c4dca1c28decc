import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const T = '/api/tenants/{tenant_id}/tools';
const S = '/api/tenants/{tenant_id}/tool-signing-secret';

/** Tools of a tenant and their versions (`/api/tenants/{tenant_id}/tools`), and the signing secret. */
export const toolRoutes: RestRoute[] = [
  {
    field: 'Mutation.createTool',
    method: 'POST',
    path: T,
    status: 201,
    tags: ['tools'],
    summary: 'Create a tool (optionally with version 1)',
  },
  { field: 'Query.tools', method: 'GET', path: T, tags: ['tools'], summary: "List the tenant's tools" },
  { field: 'Query.tool', method: 'GET', path: `${T}/{tool_id}`, tags: ['tools'], summary: 'Get a tool' },
  {
    field: 'Mutation.createToolVersion',
    method: 'POST',
    path: `${T}/{tool_id}/versions`,
    status: 201,
    tags: ['tools'],
    summary: 'Create a tool version',
  },
  {
    field: 'Query.toolVersions',
    method: 'GET',
    path: `${T}/{tool_id}/versions`,
    tags: ['tools'],
    summary: 'List tool versions, newest first',
  },
  {
    field: 'Query.toolVersion',
    method: 'GET',
    path: `${T}/{tool_id}/versions/{version_id}`,
    tags: ['tools'],
    summary: 'Get a tool version',
  },
  {
    field: 'Mutation.deleteToolVersion',
    method: 'DELETE',
    path: `${T}/{tool_id}/versions/{version_id}`,
    status: 204,
    tags: ['tools'],
    summary: 'Delete a tool version no binding pins',
  },
  {
    field: 'Query.toolSigningSecret',
    method: 'GET',
    path: S,
    tags: ['tools'],
    summary: 'Get the secret that signs http tool calls',
  },
  {
    field: 'Mutation.rotateToolSigningSecret',
    method: 'POST',
    path: `${S}/rotate`,
    tags: ['tools'],
    summary: 'Rotate the http tool signing secret',
  },
];

/** The version history is GraphQL only (REST lists it at `/versions`). */
export const toolIgnored = ['Tool.versions'];

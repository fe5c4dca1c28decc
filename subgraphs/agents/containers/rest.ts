import type { RestRoute } from '../../../rest-bridge/routes/types.js';

/** Code-interpreter containers and agent bindings (legacy `/api/v1/containers`). */
export const containerRoutes: RestRoute[] = [
  {
    field: 'Mutation.createContainer',
    method: 'POST',
    path: '/api/v1/containers',
    status: 201,
    tags: ['containers'],
    summary: 'Create a code-interpreter container',
  },
  {
    field: 'Query.containers',
    method: 'GET',
    path: '/api/v1/containers',
    tags: ['containers'],
    summary: 'List containers',
  },
  {
    field: 'Query.container',
    method: 'GET',
    path: '/api/v1/containers/{container_id}',
    tags: ['containers'],
    summary: 'Get a container',
  },
  {
    field: 'Mutation.deleteContainer',
    method: 'DELETE',
    path: '/api/v1/containers/{container_id}',
    status: 204,
    tags: ['containers'],
    summary: 'Delete a container',
  },
  {
    field: 'Mutation.bindAgentContainer',
    method: 'POST',
    path: '/api/v1/containers/agents/{agent_key}/container',
    status: 204,
    tags: ['containers'],
    summary: 'Bind an agent to a container',
  },
  {
    field: 'Mutation.unbindAgentContainer',
    method: 'DELETE',
    path: '/api/v1/containers/agents/{agent_key}/container',
    status: 204,
    tags: ['containers'],
    summary: 'Unbind an agent from its container',
  },
  {
    field: 'Query.containerFileContent',
    method: 'GET',
    path: '/api/v1/openai/containers/{container_id}/files/{file_id}/download',
    download: true,
    tags: ['openai'],
    summary: 'Download a file of a code-interpreter container',
  },
];

/** GraphQL-only fields of this module, left out of the REST face. */
export const containerIgnored = ['Container.agentKeys'];

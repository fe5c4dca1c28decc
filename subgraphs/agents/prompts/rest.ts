import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const P = '/api/tenants/{tenant_id}/prompts';

/** Prompts of a tenant and their versions (`/api/tenants/{tenant_id}/prompts`). */
export const promptRoutes: RestRoute[] = [
  {
    field: 'Mutation.createPrompt',
    method: 'POST',
    path: P,
    status: 201,
    tags: ['prompts'],
    summary: 'Create a prompt (optionally with version 1)',
  },
  { field: 'Query.prompts', method: 'GET', path: P, tags: ['prompts'], summary: 'List prompts' },
  {
    field: 'Query.prompt',
    method: 'GET',
    path: `${P}/{prompt_id}`,
    tags: ['prompts'],
    summary: 'Get a prompt',
  },
  {
    field: 'Mutation.createPromptVersion',
    method: 'POST',
    path: `${P}/{prompt_id}/versions`,
    status: 201,
    tags: ['prompts'],
    summary: 'Create a prompt version',
  },
  {
    field: 'Query.promptVersions',
    method: 'GET',
    path: `${P}/{prompt_id}/versions`,
    tags: ['prompts'],
    summary: 'List prompt versions, newest first',
  },
  {
    field: 'Query.promptVersion',
    method: 'GET',
    path: `${P}/{prompt_id}/versions/{version_id}`,
    tags: ['prompts'],
    summary: 'Get a prompt version',
  },
  {
    field: 'Mutation.deletePromptVersion',
    method: 'DELETE',
    path: `${P}/{prompt_id}/versions/{version_id}`,
    status: 204,
    tags: ['prompts'],
    summary: 'Delete a prompt version no binding pins',
  },
];

/** The version history is GraphQL only (REST lists it at `/versions`). */
export const promptIgnored = ['Prompt.versions'];

import type { RestRoute } from '../../../rest-bridge/routes/types.js';

/** The legacy agent and tool catalog (`/api/v1/agents`, `/api/v1/tools`; scope `tools:read`). */
export const catalogRoutes: RestRoute[] = [
  {
    field: 'Query.agentCatalog',
    method: 'GET',
    path: '/api/v1/agents',
    tags: ['agents'],
    summary: 'List available agents (the tenant’s and the built-ins it has not overridden)',
  },
  {
    field: 'Query.agentCatalogStatus',
    method: 'GET',
    path: '/api/v1/agents/{agent_name}/status',
    tags: ['agents'],
    summary: 'Get an agent’s status',
  },
  {
    field: 'Query.toolCatalog',
    method: 'GET',
    path: '/api/v1/tools',
    tags: ['tools'],
    summary: 'List available tools',
  },
];

/** GraphQL-only fields of the catalog types (the legacy shapes stay exact). */
export const catalogIgnored = ['AgentSummary.source', 'AgentSummary.tools', 'ToolCatalog.tools'];

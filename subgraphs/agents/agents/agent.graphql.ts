import type { Agent } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import { BUILTIN_AGENT_KEYS } from '../catalog/builtin-agents.js';
import {
  AGENT_STATUSES,
  type AgentStatus,
  createAgent,
  deleteAgent,
  getAgent,
  getAgentRef,
  listAgents,
  updateAgent,
} from './agent.service.js';

export const AgentStatusEnum = legacyEnum(
  builder,
  'AgentStatus',
  AGENT_STATUSES,
  'Whether an agent answers.',
);

export const AgentRef = builder.objectRef<Agent>('Agent');

AgentRef.implement({
  description: 'An agent of a tenant: its live configuration is the active binding.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Agent id (UUID).' }),
    key: t.exposeString('key', {
      description: 'Slug unique in the tenant (the legacy `name` / `agent_key`).',
    }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    description: t.exposeString('description', { description: 'What the agent is for.' }),
    status: t.field({
      type: AgentStatusEnum,
      description: 'Whether the agent answers.',
      resolve: (a) => a.status as AgentStatus,
    }),
    activeBindingId: t.exposeID('activeBindingId', {
      nullable: true,
      description: 'The live binding, once one is activated.',
    }),
    overridesBuiltin: t.boolean({
      description: 'Whether the key is a built-in agent’s: this agent then replaces it for the tenant.',
      resolve: (a) => BUILTIN_AGENT_KEYS.includes(a.key),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last update time.' }),
  }),
});

const AgentPage = builder.objectRef<{ items: Agent[]; nextCursor: string | null }>('AgentPage').implement({
  description: 'A page of a tenant’s agents.',
  fields: (t) => ({
    items: t.field({ type: [AgentRef], description: 'Agents of this page.', resolve: (p) => p.items }),
    nextCursor: t.exposeString('nextCursor', {
      nullable: true,
      description: 'Cursor of the next page; null on the last.',
    }),
  }),
});

builder.asEntity(AgentRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => getAgentRef(ctx, ref.id),
});

builder.queryField('agent', (t) =>
  t.field({
    type: AgentRef,
    description: 'One agent of a tenant.',
    authScopes: { scope: 'agents:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
    },
    resolve: (_root, { tenantId, agentId }, ctx) => getAgent(ctx, String(tenantId), String(agentId)),
  }),
);

builder.queryField('agents', (t) =>
  t.field({
    type: AgentPage,
    description:
      'The tenant’s own agents, newest first. Built-in agents are listed by `builtinAgents`; the merged view (built-ins a tenant has not overridden included) is `agentCatalog`.',
    authScopes: { scope: 'agents:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
      status: t.arg({ type: AgentStatusEnum, description: 'Only agents with this status.' }),
      search: t.arg.string({
        description: 'Case-insensitive substring of key, display name or description (1–256).',
      }),
    },
    resolve: (_root, { tenantId, ...args }, ctx) => listAgents(ctx, String(tenantId), args),
  }),
);

const CreateAgentInput = builder.inputType('CreateAgentInput', {
  description: 'A new agent of a tenant.',
  fields: (t) => ({
    key: t.string({
      required: true,
      description: 'Slug unique in the tenant (2–64: lowercase letters, digits, `_`, `-`).',
    }),
    displayName: t.string({ required: true, description: 'Name shown to people (1–128 characters).' }),
    description: t.string({ description: 'What the agent is for.' }),
    status: t.field({ type: AgentStatusEnum, description: 'Initial status (default active).' }),
  }),
});

builder.mutationField('createAgent', (t) =>
  t.field({
    type: AgentRef,
    description: 'Creates an agent (owners and admins).',
    authScopes: { scope: 'agents:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: CreateAgentInput, required: true, description: 'The agent.' }),
    },
    resolve: (_root, { tenantId, input }, ctx) => createAgent(ctx, String(tenantId), input),
  }),
);

const UpdateAgentInput = builder.inputType('UpdateAgentInput', {
  description: 'Changes to an agent; omitted fields stay as they are. The key cannot change.',
  fields: (t) => ({
    displayName: t.string({ description: 'Name shown to people (1–128 characters).' }),
    description: t.string({ description: 'What the agent is for (null clears it).' }),
    status: t.field({ type: AgentStatusEnum, description: 'Whether the agent answers.' }),
  }),
});

builder.mutationField('updateAgent', (t) =>
  t.field({
    type: AgentRef,
    description: 'Changes an agent’s display name, description or status (owners and admins).',
    authScopes: { scope: 'agents:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      input: t.arg({ type: UpdateAgentInput, required: true, description: 'The changes.' }),
    },
    resolve: (_root, { tenantId, agentId, input }, ctx) =>
      updateAgent(ctx, String(tenantId), String(agentId), input),
  }),
);

builder.mutationField('deleteAgent', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Deletes an agent with its bindings and activation history (owners and admins).',
    authScopes: { scope: 'agents:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
    },
    resolve: (_root, { tenantId, agentId }, ctx) => deleteAgent(ctx, String(tenantId), String(agentId)),
  }),
);

import type { Agent } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import { AGENT_STATUSES, type AgentStatus, createAgent, getAgent, getAgentRef } from './agent.service.js';

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
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last update time.' }),
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

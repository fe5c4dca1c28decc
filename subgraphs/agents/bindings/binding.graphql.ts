import type { AgentBindingActivation } from '../../../generated/prisma/client.js';
import type { Page } from '../../kernel/pagination.js';
import { AgentRef } from '../agents/agent.graphql.js';
import { PromptVersionRef, RuntimeConfigVersionRef, ToolVersionRef } from '../artifacts/refs.js';
import { builder } from '../builder.js';
import {
  activateBinding,
  activationsOfAgent,
  activeBindingOfAgent,
  type BindingView,
  bindingsOfAgent,
  createBinding,
  deleteBinding,
  getBinding,
  listBindings,
  promptVersionOfBinding,
  runtimeConfigVersionOfBinding,
  toolVersionsOfBinding,
} from './binding.service.js';

/** A binding: its pinned versions as ids (REST) and as objects (GraphQL, fields below). */
export const AgentBindingRef = builder.objectRef<BindingView>('AgentBinding').implement({
  description:
    "Pins one prompt version, tool versions and one runtime config version of the agent's tenant; activated, it is the agent's live configuration.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Binding id (UUID).' }),
    agentId: t.exposeID('agentId', { description: 'The agent it configures.' }),
    promptVersionId: t.exposeID('promptVersionId', { description: 'The pinned prompt version.' }),
    toolVersionIds: t.exposeIDList('toolVersionIds', {
      description: 'The pinned tool versions, in the order the agent offers them.',
    }),
    runtimeConfigVersionId: t.exposeID('runtimeConfigVersionId', {
      description: 'The pinned runtime config version.',
    }),
    notes: t.exposeString('notes', { nullable: true, description: 'Free text about this binding.' }),
    createdBy: t.exposeID('createdBy', {
      nullable: true,
      description: 'User who created it (null when created with an API key).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    active: t.exposeBoolean('active', { description: "Whether it is the agent's live binding." }),
  }),
});

const AgentBindingPage = builder.objectRef<Page<BindingView>>('AgentBindingPage').implement({
  description: 'A page of bindings, newest first.',
  fields: (t) => ({
    items: t.field({
      type: [AgentBindingRef],
      description: 'Bindings of this page.',
      resolve: (p) => p.items,
    }),
    nextCursor: t.exposeString('nextCursor', {
      nullable: true,
      description: 'Cursor of the next page; null on the last.',
    }),
  }),
});

const AgentBindingActivationRef = builder
  .objectRef<AgentBindingActivation>('AgentBindingActivation')
  .implement({
    description: "One activation: a binding became the agent's live binding.",
    fields: (t) => ({
      id: t.exposeID('id', { description: 'Activation id (UUID).' }),
      agentId: t.exposeID('agentId', { description: 'The agent.' }),
      bindingId: t.exposeID('bindingId', {
        description: 'The binding made live (the id stays when the binding is later deleted).',
      }),
      previousBindingId: t.exposeID('previousBindingId', {
        nullable: true,
        description: 'The binding live just before (null: none was).',
      }),
      activatedBy: t.exposeID('activatedBy', {
        nullable: true,
        description:
          'User who activated it (null when activated with an API key; the audit log names the key).',
      }),
      activatedAt: t.expose('activatedAt', {
        type: 'DateTime',
        description: 'When it became live (strictly increasing per agent).',
      }),
    }),
  });

const AgentBindingActivationPage = builder
  .objectRef<Page<AgentBindingActivation>>('AgentBindingActivationPage')
  .implement({
    description: 'A page of activations, newest first.',
    fields: (t) => ({
      items: t.field({
        type: [AgentBindingActivationRef],
        description: 'Activations of this page.',
        resolve: (p) => p.items,
      }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

builder.objectFields(AgentRef, (t) => ({
  activeBinding: t.field({
    type: AgentBindingRef,
    nullable: true,
    description: 'The live binding (null until one is activated).',
    authScopes: { scope: 'agents:read' },
    resolve: (agent, _args, ctx) => activeBindingOfAgent(ctx, agent),
  }),
  bindings: t.field({
    type: AgentBindingPage,
    description: "The agent's bindings, newest first.",
    authScopes: { scope: 'agents:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (agent, args, ctx) => bindingsOfAgent(ctx, agent, args),
  }),
  activations: t.field({
    type: AgentBindingActivationPage,
    description:
      'Activation history, newest first: which binding became live, when, by whom, and the one before.',
    authScopes: { scope: 'agents:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (agent, args, ctx) => activationsOfAgent(ctx, agent, args),
  }),
}));

builder.queryField('agentBindings', (t) =>
  t.field({
    type: AgentBindingPage,
    description: "An agent's bindings, newest first.",
    authScopes: { scope: 'agents:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, args, ctx) => listBindings(ctx, String(args.tenantId), String(args.agentId), args),
  }),
);

builder.queryField('agentBinding', (t) =>
  t.field({
    type: AgentBindingRef,
    description: 'One binding of an agent.',
    authScopes: { scope: 'agents:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      bindingId: t.arg.id({ required: true, description: 'Binding id (UUID).' }),
    },
    resolve: (_root, args, ctx) =>
      getBinding(ctx, String(args.tenantId), String(args.agentId), String(args.bindingId)),
  }),
);

const CreateAgentBindingInput = builder.inputType('CreateAgentBindingInput', {
  description: "A new binding: versions of the agent's tenant to pin.",
  fields: (t) => ({
    promptVersionId: t.id({ required: true, description: 'Prompt version to pin (UUID).' }),
    toolVersionIds: t.idList({
      description:
        'Tool versions to pin, in order: distinct, at most one per tool, at most 32 (default none).',
    }),
    runtimeConfigVersionId: t.id({ required: true, description: 'Runtime config version to pin (UUID).' }),
    notes: t.string({ description: 'Free text about this binding (at most 2000 characters).' }),
  }),
});

builder.mutationField('createAgentBinding', (t) =>
  t.field({
    type: AgentBindingRef,
    description:
      "Creates a binding of an agent (scope agents:write: owners, admins, keys holding it). Every pinned version must be a version of the agent's tenant (422 otherwise, at the field). Not live until activated.",
    authScopes: { scope: 'agents:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      input: t.arg({ type: CreateAgentBindingInput, required: true, description: 'The binding.' }),
    },
    resolve: (_root, args, ctx) =>
      createBinding(ctx, String(args.tenantId), String(args.agentId), {
        ...args.input,
        promptVersionId: String(args.input.promptVersionId),
        runtimeConfigVersionId: String(args.input.runtimeConfigVersionId),
        toolVersionIds: args.input.toolVersionIds?.map(String) ?? null,
      }),
  }),
);

builder.mutationField('activateAgentBinding', (t) =>
  t.field({
    type: AgentBindingRef,
    description:
      "Makes the binding the agent's live binding, atomically, and records the activation (scope agents:write: owners, admins, keys holding it). Activating the live binding again changes and records nothing.",
    authScopes: { scope: 'agents:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      bindingId: t.arg.id({ required: true, description: 'Binding id (UUID).' }),
    },
    resolve: (_root, args, ctx) =>
      activateBinding(ctx, String(args.tenantId), String(args.agentId), String(args.bindingId)),
  }),
);

builder.mutationField('deleteAgentBinding', (t) =>
  t.field({
    type: 'Boolean',
    description:
      "Deletes an inactive binding (scope agents:write: owners, admins, keys holding it); the agent's live binding answers 409.",
    authScopes: { scope: 'agents:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      bindingId: t.arg.id({ required: true, description: 'Binding id (UUID).' }),
    },
    resolve: (_root, args, ctx) =>
      deleteBinding(ctx, String(args.tenantId), String(args.agentId), String(args.bindingId)),
  }),
);

builder.objectFields(AgentBindingRef, (t) => ({
  promptVersion: t.field({
    type: PromptVersionRef,
    description: 'The pinned prompt version.',
    authScopes: { scope: 'agents:read' },
    resolve: (b, _args, ctx) => promptVersionOfBinding(ctx, b),
  }),
  toolVersions: t.field({
    type: [ToolVersionRef],
    description: 'The pinned tool versions, in order.',
    authScopes: { scope: 'agents:read' },
    resolve: (b, _args, ctx) => toolVersionsOfBinding(ctx, b),
  }),
  runtimeConfigVersion: t.field({
    type: RuntimeConfigVersionRef,
    description: 'The pinned runtime config version.',
    authScopes: { scope: 'agents:read' },
    resolve: (b, _args, ctx) => runtimeConfigVersionOfBinding(ctx, b),
  }),
}));

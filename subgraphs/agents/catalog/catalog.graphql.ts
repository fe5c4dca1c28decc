import { legacyEnum } from '../../kernel/builder.js';
import { AgentRef, AgentStatusEnum } from '../agents/agent.graphql.js';
import { builder } from '../builder.js';
import {
  BUILTIN_AGENTS,
  type BuiltinAgent,
  type BuiltinPromptVariable,
  type BuiltinRuntimeConfig,
  builtinAgent,
} from './builtin-agents.js';
import {
  type AgentCatalogPage,
  builtinOverride,
  type CatalogAgent,
  type CatalogTool,
  catalogAgent,
  listAgentCatalog,
  type ToolCatalog,
  type ToolingFlags,
  toolCatalog,
  toolingFlags,
} from './catalog.service.js';

const AgentSource = legacyEnum(
  builder,
  'AgentSource',
  ['tenant', 'builtin'],
  'Where a catalog agent comes from: the tenant’s own agent, or a built-in the tenant has not overridden.',
);

const ToolSource = legacyEnum(
  builder,
  'ToolSource',
  ['platform', 'provider', 'tenant'],
  'Who runs a tool: the platform in-process, the model provider (hosted tools), or the tenant’s endpoint.',
);

const AgentToolingFlags = builder.objectRef<ToolingFlags>('AgentToolingFlags').implement({
  description: 'Capability flags of an agent, for UI gating.',
  fields: (t) => ({
    supportsCodeInterpreter: t.exposeBoolean('supportsCodeInterpreter', {
      description: 'Whether the agent can use code_interpreter.',
    }),
    supportsFileSearch: t.exposeBoolean('supportsFileSearch', {
      description: 'Whether the agent can search files (file_search or knowledge_search).',
    }),
    supportsImageGeneration: t.exposeBoolean('supportsImageGeneration', {
      description: 'Whether the agent can use image_generation.',
    }),
    supportsWebSearch: t.exposeBoolean('supportsWebSearch', {
      description: 'Whether the agent can use web_search.',
    }),
  }),
});

const AgentSummary = builder.objectRef<CatalogAgent>('AgentSummary').implement({
  description:
    'An agent of the caller’s catalog: a tenant agent, or a built-in the tenant has not overridden.',
  fields: (t) => ({
    name: t.exposeString('key', { description: 'Agent key (the legacy `name`).' }),
    status: t.field({
      type: AgentStatusEnum,
      description: 'Whether the agent answers.',
      resolve: (a) => a.status,
    }),
    outputSchema: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of the agent’s structured output, if declared.',
      resolve: (a) => a.outputSchema,
    }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    description: t.exposeString('description', { description: 'What the agent is for.' }),
    model: t.exposeString('model', {
      nullable: true,
      description: 'Model of its configuration (active binding, else the built-in it overrides).',
    }),
    tooling: t.field({
      type: AgentToolingFlags,
      description: 'Capability flags from its tools.',
      resolve: (a) => toolingFlags(a.tools),
    }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last time the agent handled a request.',
    }),
    source: t.field({
      type: AgentSource,
      description: 'Tenant agent or built-in.',
      resolve: (a) => a.source,
    }),
    tools: t.exposeStringList('tools', { description: 'Names of its tools.' }),
  }),
});

const AgentCatalogPageRef = builder.objectRef<AgentCatalogPage>('AgentCatalogPage').implement({
  description: 'A page of the agent catalog.',
  fields: (t) => ({
    items: t.field({ type: [AgentSummary], description: 'Agents of this page.', resolve: (p) => p.items }),
    nextCursor: t.exposeString('nextCursor', {
      nullable: true,
      description: 'Cursor of the next page; null on the last.',
    }),
    total: t.exposeInt('total', { description: 'Number of agents matching the filter.' }),
  }),
});

const AgentCatalogStatus = builder.objectRef<CatalogAgent>('AgentCatalogStatus').implement({
  description: 'Status of one catalog agent.',
  fields: (t) => ({
    name: t.exposeString('key', { description: 'Agent key.' }),
    status: t.field({
      type: AgentStatusEnum,
      description: 'Whether the agent answers.',
      resolve: (a) => a.status,
    }),
    outputSchema: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of the agent’s structured output, if declared.',
      resolve: (a) => a.outputSchema,
    }),
    lastUsed: t.expose('lastSeenAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last time the agent was invoked.',
    }),
    totalConversations: t.int({
      description:
        'Conversations handled. Always 0 here: conversations belong to the conversations subgraph, which does not count them per agent yet.',
      resolve: () => 0,
    }),
    tooling: t.field({
      type: AgentToolingFlags,
      description: 'Capability flags from its tools.',
      resolve: (a) => toolingFlags(a.tools),
    }),
  }),
});

const ToolCatalogEntry = builder.objectRef<CatalogTool>('ToolCatalogEntry').implement({
  description: 'One tool of the catalog.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Tool name, as agents and tool versions name it.' }),
    category: t.exposeString('category', { description: 'Category (`custom` for the tenant’s own tools).' }),
    description: t.exposeString('description', { description: 'What the tool does.' }),
    source: t.field({ type: ToolSource, description: 'Who runs it.', resolve: (x) => x.source }),
    parameters: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of its arguments (platform tools).',
      resolve: (x) => x.parameters,
    }),
  }),
});

const ToolCatalogRef = builder.objectRef<ToolCatalog>('ToolCatalog').implement({
  description: 'The tools available to the caller’s tenant and each catalog agent’s tools.',
  fields: (t) => ({
    totalTools: t.exposeInt('totalTools', { description: 'Number of tools.' }),
    toolNames: t.exposeStringList('toolNames', { description: 'Their names.' }),
    categories: t.exposeStringList('categories', { description: 'Their categories, sorted.' }),
    perAgent: t.field({
      type: 'JSON',
      description: 'Agent key → its tool names, for every catalog agent.',
      resolve: (c) => c.perAgent,
    }),
    tools: t.field({
      type: [ToolCatalogEntry],
      description: 'The tools in detail.',
      resolve: (c) => c.tools,
    }),
  }),
});

const BuiltinPromptVariableRef = builder.objectRef<BuiltinPromptVariable>('BuiltinPromptVariable').implement({
  description: 'A `{{variable}}` of a built-in agent’s prompt.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Variable name.' }),
    required: t.exposeBoolean('required', { description: 'Whether a value must be supplied.' }),
    default: t.exposeString('default', { nullable: true, description: 'Value used when none is supplied.' }),
  }),
});

const BuiltinAgentPrompt = builder.objectRef<BuiltinAgent['prompt']>('BuiltinAgentPrompt').implement({
  description: 'The prompt of a built-in agent.',
  fields: (t) => ({
    template: t.exposeString('template', { description: 'Template with `{{variable}}` placeholders.' }),
    variables: t.field({
      type: [BuiltinPromptVariableRef],
      description: 'The variables it declares.',
      resolve: (p) => [...p.variables],
    }),
  }),
});

const BuiltinRuntimeConfigRef = builder.objectRef<BuiltinRuntimeConfig>('BuiltinRuntimeConfig').implement({
  description: 'Model and limits of a built-in agent.',
  fields: (t) => ({
    model: t.exposeString('model', { description: 'Model name.' }),
    temperature: t.exposeFloat('temperature', { nullable: true, description: 'Sampling temperature.' }),
    maxOutputTokens: t.exposeInt('maxOutputTokens', { nullable: true, description: 'Output token limit.' }),
    maxTurns: t.exposeInt('maxTurns', { description: 'Turn limit of one run.' }),
    guardrailPreset: t.exposeString('guardrailPreset', { description: 'Guardrail preset key.' }),
  }),
});

const BuiltinAgentRef = builder.objectRef<BuiltinAgent>('BuiltinAgent').implement({
  description:
    'A platform agent defined in code, seen by every tenant. A tenant overrides it by creating an agent with the same key.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Agent key.' }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    description: t.exposeString('description', { description: 'What the agent is for.' }),
    isDefault: t.exposeBoolean('isDefault', { description: 'Whether chats fall back to this agent.' }),
    prompt: t.field({ type: BuiltinAgentPrompt, description: 'Its prompt.', resolve: (a) => a.prompt }),
    tools: t.stringList({
      description: 'Names of its tools (platform or provider tools).',
      resolve: (a) => [...a.tools],
    }),
    handoffs: t.stringList({
      description: 'Keys of the agents it hands off to.',
      resolve: (a) => [...a.handoffs],
    }),
    runtimeConfig: t.field({
      type: BuiltinRuntimeConfigRef,
      description: 'Model and limits.',
      resolve: (a) => a.runtimeConfig,
    }),
    outputSchema: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of a structured output, if declared.',
      resolve: (a) => a.outputSchema,
    }),
    overriddenBy: t.field({
      type: AgentRef,
      nullable: true,
      description: 'The caller’s tenant’s agent with this key, which replaces the built-in for it.',
      resolve: (a, _args, ctx) => builtinOverride(ctx, a.key),
    }),
  }),
});

builder.queryField('builtinAgents', (t) =>
  t.field({
    type: [BuiltinAgentRef],
    description: 'The platform’s built-in agents (each with the caller’s tenant’s override, if any).',
    authScopes: { scope: 'agents:read' },
    resolve: () => [...BUILTIN_AGENTS],
  }),
);

builder.queryField('builtinAgent', (t) =>
  t.field({
    type: BuiltinAgentRef,
    nullable: true,
    description: 'One built-in agent by key, or null.',
    authScopes: { scope: 'agents:read' },
    args: { key: t.arg.string({ required: true, description: 'Agent key.' }) },
    resolve: (_root, { key }) => builtinAgent(key) ?? null,
  }),
);

builder.queryField('agentCatalog', (t) =>
  t.field({
    type: AgentCatalogPageRef,
    description:
      'The caller’s tenant’s agents merged with the built-ins it has not overridden, sorted by display name (lowercased) then key.',
    authScopes: { scope: 'tools:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 24).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
      search: t.arg.string({
        description: 'Case-insensitive substring of key, display name or description (1–256).',
      }),
    },
    resolve: (_root, args, ctx) => listAgentCatalog(ctx, args),
  }),
);

builder.queryField('agentCatalogStatus', (t) =>
  t.field({
    type: AgentCatalogStatus,
    description: 'Status of one catalog agent by key; unknown keys are NOT_FOUND.',
    authScopes: { scope: 'tools:read' },
    args: { agentName: t.arg.string({ required: true, description: 'Agent key.' }) },
    resolve: (_root, { agentName }, ctx) => catalogAgent(ctx, agentName),
  }),
);

builder.queryField('toolCatalog', (t) =>
  t.field({
    type: ToolCatalogRef,
    description: 'The tools available to the caller’s tenant and each catalog agent’s tools.',
    authScopes: { scope: 'tools:read' },
    resolve: (_root, _args, ctx) => toolCatalog(ctx),
  }),
);

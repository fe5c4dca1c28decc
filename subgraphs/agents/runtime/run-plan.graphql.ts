import { builder } from '../builder.js';
import { GuardrailEvaluationRef, GuardrailStageEnum } from '../guardrails/guardrail.graphql.js';
import type { AgentToolResult } from './builtin-tool-runner.js';
import {
  type AgentRunPlan,
  type AgentRunSpec,
  type AgentRunTool,
  agentRunPlan,
  checkAgentGuardrails,
} from './run-plan.service.js';
import { invokeAgentTool } from './tool-invocation.service.js';

const AgentRunToolRef = builder.objectRef<AgentRunTool>('AgentRunTool').implement({
  description: 'A tool an agent may call in a run, as the model is given it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name the model calls the tool by.' }),
    kind: t.exposeString('kind', {
      description:
        '`builtin` (run in the platform, through invokeAgentTool), `http` (the tenant’s endpoint, through invokeAgentTool) or `provider` (hosted by the model provider).',
    }),
    description: t.exposeString('description', { description: 'What the tool does, for the model.' }),
    parameters: t.field({
      type: 'JSON',
      description: 'JSON Schema of the arguments (`{}` for provider tools).',
      resolve: (tool) => tool.parameters,
    }),
  }),
});

const AgentRunSpecRef = builder.objectRef<AgentRunSpec>('AgentRunSpec').implement({
  description: 'One agent of a run plan: its rendered instructions, model settings, tools and handoffs.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The key of the agent that runs.' }),
    requestedKey: t.exposeString('requestedKey', {
      description: 'The key asked for (the default when none).',
    }),
    fellBack: t.exposeBoolean('fellBack', {
      description: 'The requested key was unknown or inactive: the default agent answers instead.',
    }),
    source: t.exposeString('source', { description: '`tenant` (the tenant’s own agent) or `builtin`.' }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    bindingId: t.exposeID('bindingId', {
      nullable: true,
      description: 'The live binding the configuration comes from (null: a built-in configuration).',
    }),
    instructions: t.exposeString('instructions', { description: 'The rendered prompt.' }),
    model: t.exposeString('model', { description: 'The model to run.' }),
    temperature: t.exposeFloat('temperature', { nullable: true, description: 'Sampling temperature.' }),
    maxOutputTokens: t.exposeInt('maxOutputTokens', { nullable: true, description: 'Output token limit.' }),
    maxTurns: t.exposeInt('maxTurns', { description: 'Model turns one run may take.' }),
    guardrailPreset: t.exposeString('guardrailPreset', {
      nullable: true,
      description: 'Key of the guardrail preset (null: none).',
    }),
    memory: t.field({
      type: 'JSON',
      description:
        'The runtime config’s memory object (`{}` when none), keys snake_case (`strategy`, `max_messages`).',
      resolve: (a) => a.memory,
    }),
    outputSchema: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of a structured output, or null.',
      resolve: (a) => a.outputSchema,
    }),
    tools: t.field({
      type: [AgentRunToolRef],
      description: 'The tools the agent may call, in order.',
      resolve: (a) => a.tools,
    }),
    handoffs: t.exposeStringList('handoffs', {
      description: 'Keys of agents of the plan this one may hand off to.',
    }),
    voice: t.field({
      type: 'JSON',
      nullable: true,
      description:
        'The bound runtime config version’s voice settings (`{stt: {provider, model, language}, tts: {provider, voice}, language, turnDetection: {mode, silenceMs}}`), or null (none, or a built-in agent).',
      resolve: (a) => a.voice,
    }),
  }),
});

const AgentRunPlanRef = builder.objectRef<AgentRunPlan>('AgentRunPlan').implement({
  description:
    'What the chat runtime runs for one turn: the entry agent and every agent reachable by handoff.',
  fields: (t) => ({
    entry: t.field({
      type: AgentRunSpecRef,
      description: 'The agent the turn starts with.',
      resolve: (p) => p.entry,
    }),
    agents: t.field({
      type: [AgentRunSpecRef],
      description: 'The entry first, then every agent reachable by handoff (each once, at most 8).',
      resolve: (p) => p.agents,
    }),
  }),
});

const AgentToolResultRef = builder.objectRef<AgentToolResult>('AgentToolResult').implement({
  description: 'The outcome of one tool call: its output, or the error the model is shown.',
  fields: (t) => ({
    output: t.field({
      type: 'JSON',
      nullable: true,
      description: 'What the tool returned (null on error).',
      resolve: (r) => r.output ?? null,
    }),
    isError: t.exposeBoolean('isError', { description: 'The call failed; `error` says why.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why the call failed (for the model).' }),
  }),
});

builder.queryField('agentRunPlan', (t) =>
  t.field({
    type: AgentRunPlanRef,
    description:
      'The run plan of a chat turn in the caller’s tenant: the agent resolved for the key (an unknown one falls back to the default), with its prompt rendered, and the agents it may hand off to.',
    authScopes: { scope: 'conversations:write' },
    args: {
      agentKey: t.arg.string({ description: 'The agent asked for (none: the default agent).' }),
      variables: t.arg({
        type: 'JSON',
        description:
          'Prompt variables (an object of strings, numbers and booleans); user_name, tenant_name and current_date have defaults.',
      }),
    },
    resolve: (_root, args, ctx) => agentRunPlan(ctx, args),
  }),
);

builder.queryField('checkAgentGuardrails', (t) =>
  t.field({
    type: GuardrailEvaluationRef,
    description:
      'Runs the regex checks of the resolved agent’s guardrail preset for one stage on a text (model checks listed, not run); no preset: nothing tripped.',
    authScopes: { scope: 'conversations:write' },
    args: {
      agentKey: t.arg.string({ required: true, description: 'The agent (resolved as agentRunPlan does).' }),
      stage: t.arg({ type: GuardrailStageEnum, required: true, description: 'The stage to check.' }),
      text: t.arg.string({ required: true, description: 'The text to check.' }),
    },
    resolve: (_root, args, ctx) => checkAgentGuardrails(ctx, args),
  }),
);

builder.mutationField('invokeAgentTool', (t) =>
  t.field({
    type: AgentToolResultRef,
    description:
      'Runs one of the resolved agent’s tools (builtin in process, http signed to the tenant’s endpoint); a tool failure is `isError`, an unknown tool NOT_FOUND.',
    authScopes: { scope: 'conversations:write' },
    args: {
      agentKey: t.arg.string({ required: true, description: 'The agent (resolved as agentRunPlan does).' }),
      toolName: t.arg.string({ required: true, description: 'The tool’s name, as in the plan.' }),
      arguments: t.arg({ type: 'JSON', required: true, description: 'The arguments the model gave.' }),
      conversationId: t.arg.id({
        description: 'The conversation of the call (sent to http tools as X-Agent-Conversation-Id).',
      }),
    },
    resolve: (_root, args, ctx) =>
      invokeAgentTool(ctx, {
        agentKey: args.agentKey,
        toolName: args.toolName,
        arguments: args.arguments,
        conversationId: args.conversationId == null ? null : String(args.conversationId),
      }),
  }),
);

/**
 * What the chat runtime (conversations subgraph) runs for one turn: the entry agent resolved for the
 * caller's tenant and every agent reachable from it by handoff, each with its rendered instructions,
 * model settings and tools. Also the guardrail check of a resolved agent's preset.
 */
import { z } from 'zod';
import { BadRequestError, ForbiddenError } from '../../kernel/errors.js';
import { detail, invalid, parseArgs, type ValidationDetail } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { BuiltinAgent } from '../catalog/builtin-agents.js';
import { BUILTIN_TOOLS, PROVIDER_TOOLS } from '../catalog/builtin-tools.js';
import {
  type AgentsReader,
  type PinnedBinding,
  type ResolvedAgent,
  resolveAgent,
} from '../catalog/resolve-agent.js';
import type { AgentsCtx } from '../db.js';
import type { GuardrailStage } from '../guardrails/checks/types.js';
import { type GuardrailRun, runGuardrails } from '../guardrails/run-guardrails.js';
import {
  type PromptVariable,
  parseTemplate,
  renderTemplate,
  type VariableValue,
} from '../prompts/template.js';

/** Agents one plan holds at most (the entry included). */
export const MAX_PLAN_AGENTS = 8;
/** A runtime config version without `max_turns` runs this many. */
export const DEFAULT_MAX_TURNS = 10;
/** Longest text `checkAgentGuardrails` takes (a tool result may be up to 1 MiB). */
export const MAX_GUARDRAIL_TEXT = 1_048_576;

export type RunToolKind = 'builtin' | 'http' | 'provider';

/** A tool as the model sees it. */
export interface AgentRunTool {
  name: string;
  kind: RunToolKind;
  description: string;
  /** JSON Schema of the arguments (`{}` for provider tools). */
  parameters: Record<string, unknown>;
}

/** A tool with what invoking it needs (never shown to clients). */
export interface RunnableTool extends AgentRunTool {
  /** `builtin`: the platform tool it runs (a tenant's builtin tool names one in its config). */
  builtinName: string | null;
  /** `http`: the tool version's stored config (`{url, method, timeout_ms, max_response_bytes}`). */
  config: Record<string, unknown>;
}

/** One agent of a plan, before its prompt is rendered. */
export interface RunnableAgent {
  key: string;
  /** The tenant agent's id (null for a built-in): what knowledge files are attached to. */
  agentId: string | null;
  requestedKey: string;
  fellBack: boolean;
  source: 'tenant' | 'builtin';
  displayName: string;
  bindingId: string | null;
  prompt: { template: string; variables: readonly PromptVariable[] };
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  maxTurns: number;
  guardrailPreset: string | null;
  memory: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  tools: RunnableTool[];
  handoffs: string[];
  /** The runtime config version's voice settings (`{stt, tts, language, turnDetection}`), null when none. */
  voice: Record<string, unknown> | null;
}

/** One agent of a plan, as the chat runtime gets it. */
export interface AgentRunSpec extends Omit<RunnableAgent, 'prompt'> {
  instructions: string;
}

export interface AgentRunPlan {
  entry: AgentRunSpec;
  agents: AgentRunSpec[];
}

/** Raised when a tenant agent has nothing to run (no binding, no built-in underneath). */
export class NoRunnableConfigError extends BadRequestError {}

const asObject = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

const BUILTIN_TOOL_BY_NAME = new Map<string, (typeof BUILTIN_TOOLS)[number]>(
  BUILTIN_TOOLS.map((t) => [t.name, t]),
);
const PROVIDER_TOOL_BY_NAME = new Map<string, (typeof PROVIDER_TOOLS)[number]>(
  PROVIDER_TOOLS.map((t) => [t.name, t]),
);

/**
 * A runtime config's memory object with snake_case keys (`{strategy, max_messages}`, as the REST
 * face and the chat runtime name them; versions store `maxMessages`).
 */
function memoryOf(value: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(asObject(value) ?? {}).map(([k, v]) => [
      k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      v,
    ]),
  );
}

/** The tools of a built-in agent: platform tools with their schemas, provider tools with `{}`. */
function builtinAgentTools(builtin: BuiltinAgent): RunnableTool[] {
  return builtin.tools.flatMap((name): RunnableTool[] => {
    const platform = BUILTIN_TOOL_BY_NAME.get(name);
    if (platform) {
      return [
        {
          name,
          kind: 'builtin',
          description: platform.description,
          parameters: structuredClone(platform.parameters) as Record<string, unknown>,
          builtinName: name,
          config: {},
        },
      ];
    }
    const provider = PROVIDER_TOOL_BY_NAME.get(name);
    return provider
      ? [
          {
            name,
            kind: 'provider',
            description: provider.description,
            parameters: {},
            builtinName: null,
            config: {},
          },
        ]
      : [];
  });
}

/** A version's parameters schema; an empty one of a builtin tool is the platform tool's own. */
function toolParameters(stored: unknown, builtinName: string | null): Record<string, unknown> {
  const schema = asObject(stored);
  if (schema && Object.keys(schema).length) {
    return schema;
  }
  const platform = builtinName ? BUILTIN_TOOL_BY_NAME.get(builtinName) : undefined;
  return platform
    ? (structuredClone(platform.parameters) as Record<string, unknown>)
    : { type: 'object', properties: {} };
}

/** The tools a binding pins, in its order: kind, description and schema from the tool version. */
function bindingTools(binding: PinnedBinding): RunnableTool[] {
  return binding.tools.map(({ toolVersion }) => {
    const config = asObject(toolVersion.config) ?? {};
    const kind: RunToolKind = toolVersion.kind === 'http' ? 'http' : 'builtin';
    const builtinName = kind === 'builtin' && typeof config.name === 'string' ? config.name : null;
    return {
      name: toolVersion.tool.name,
      kind,
      description:
        toolVersion.description ||
        (builtinName ? (BUILTIN_TOOL_BY_NAME.get(builtinName)?.description ?? '') : ''),
      parameters: toolParameters(toolVersion.parameters, builtinName),
      builtinName,
      config,
    };
  });
}

function promptVariables(value: unknown): PromptVariable[] {
  return Array.isArray(value) ? (value as PromptVariable[]) : [];
}

/**
 * The configuration a resolved agent runs: a tenant agent's active binding, else the built-in it
 * overrides, else nothing (NoRunnableConfigError, a 400 naming the missing binding).
 */
export function runnableAgent(resolved: ResolvedAgent): RunnableAgent {
  const base = {
    key: resolved.key,
    agentId: resolved.source === 'tenant' ? resolved.agent.id : null,
    requestedKey: resolved.requestedKey,
    fellBack: resolved.fellBack,
    source: resolved.source,
  };
  if (resolved.source === 'tenant' && resolved.binding) {
    const { binding, agent } = resolved;
    const config = binding.runtimeConfigVersion;
    return {
      ...base,
      displayName: agent.displayName,
      bindingId: binding.id,
      prompt: {
        template: binding.promptVersion.template,
        variables: promptVariables(binding.promptVersion.variables),
      },
      model: config.model,
      temperature: config.temperature,
      maxOutputTokens: config.maxOutputTokens,
      maxTurns: config.maxTurns ?? DEFAULT_MAX_TURNS,
      guardrailPreset: config.guardrailPreset,
      memory: memoryOf(config.memory),
      outputSchema: null,
      tools: bindingTools(binding),
      handoffs: [],
      voice: asObject(config.voice),
    };
  }
  const builtin = resolved.builtin;
  if (!builtin) {
    throw new NoRunnableConfigError(
      `Agent "${resolved.key}" has no active binding: create a binding of its prompt, tools and runtime config and activate it before running the agent.`,
    );
  }
  return {
    ...base,
    displayName: resolved.agent?.displayName ?? builtin.displayName,
    bindingId: null,
    prompt: { template: builtin.prompt.template, variables: builtin.prompt.variables },
    model: builtin.runtimeConfig.model,
    temperature: builtin.runtimeConfig.temperature,
    maxOutputTokens: builtin.runtimeConfig.maxOutputTokens,
    maxTurns: builtin.runtimeConfig.maxTurns,
    guardrailPreset: builtin.runtimeConfig.guardrailPreset,
    memory: {},
    outputSchema: builtin.outputSchema ? structuredClone(builtin.outputSchema) : null,
    tools: builtinAgentTools(builtin),
    handoffs: [...builtin.handoffs],
    voice: null,
  };
}

const AgentKey = z.string().trim().max(128).nullish();

/**
 * An agent run (the voice worker's token for one session or call) may only ask for its own agent:
 * FORBIDDEN for any other key (none included, which would be the default agent).
 */
export function assertOwnAgent(ctx: Pick<AgentsCtx, 'viewer'>, agentKey: string | null | undefined): void {
  const viewer = ctx.viewer;
  if (viewer?.kind === 'agent' && (agentKey ?? '').trim() !== viewer.agentKey) {
    throw new ForbiddenError('An agent run may only use its own agent.');
  }
}

/** Resolves an agent key for the caller's tenant and gives the configuration it runs. */
export async function runnableAgentFor(
  db: AgentsReader,
  tenantId: string,
  agentKey: string | null | undefined,
  argument = 'agentKey',
): Promise<RunnableAgent> {
  const key = parseArgs(AgentKey, agentKey, [argument]);
  return runnableAgent(await resolveAgent(db, tenantId, key));
}

/** The values every prompt may use, filled when the caller gives none (and the prompt has no default). */
export function contextDefaults(now: Date = new Date()): Record<string, VariableValue> {
  return {
    user_name: 'there',
    tenant_name: 'your organisation',
    current_date: now.toISOString().slice(0, 10),
  };
}

/** `variables` as given: an object of strings, numbers and booleans (null: not given). */
function parseVariables(raw: unknown): Record<string, VariableValue> {
  if (raw === null || raw === undefined) {
    return {};
  }
  const object = asObject(raw);
  if (!object) {
    throw invalid([detail(['variables'], 'Input should be an object of variable values.', 'model_type')]);
  }
  const problems: ValidationDetail[] = [];
  const values: Record<string, VariableValue> = {};
  for (const [name, value] of Object.entries(object)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[name] = value;
    } else if (value !== null) {
      problems.push(
        detail(['variables', name], 'Input should be a string, number or boolean.', 'string_type'),
      );
    }
  }
  if (problems.length) {
    throw invalid(problems);
  }
  return values;
}

/**
 * Renders an agent's prompt: given values, else the variable's declared default, else the context
 * default (user_name, tenant_name, current_date). A required variable still missing is reported.
 */
function render(
  agent: RunnableAgent,
  given: Readonly<Record<string, VariableValue>>,
  context: Readonly<Record<string, VariableValue>>,
  problems: Map<string, ValidationDetail>,
): string {
  const { template, variables } = agent.prompt;
  const parsed = parseTemplate(template);
  if (!parsed.ok) {
    return template;
  }
  const values: Record<string, VariableValue> = { ...given };
  const declared = new Map(variables.map((v) => [v.name, v]));
  for (const name of new Set([...declared.keys(), ...parsed.placeholders.map((p) => p.name)])) {
    const contextValue = context[name];
    if (values[name] === undefined && declared.get(name)?.default == null && contextValue !== undefined) {
      values[name] = contextValue;
    }
  }
  for (const v of variables) {
    if (v.required && values[v.name] === undefined && !problems.has(v.name)) {
      problems.set(
        v.name,
        detail(
          ['variables', v.name],
          `Variable "${v.name}" is required by the prompt of agent "${agent.key}".`,
          'missing',
        ),
      );
    }
  }
  return renderTemplate(template, parsed.placeholders, variables, values);
}

export interface AgentRunPlanArgs {
  agentKey?: string | null;
  variables?: unknown;
}

/**
 * The plan of a turn: the entry agent (an unknown key falls back to the default, `fellBack`) and,
 * breadth first, every agent reachable by handoff, each resolved like the entry once, at most
 * MAX_PLAN_AGENTS in all. A handoff whose target is unknown, inactive, not runnable or beyond the
 * limit is left out of `handoffs`. Every prompt is rendered with the same `variables`.
 */
export async function agentRunPlan(ctx: AgentsCtx, args: AgentRunPlanArgs): Promise<AgentRunPlan> {
  const { tenantId } = actingTenant(ctx);
  assertOwnAgent(ctx, args.agentKey);
  const given = parseVariables(args.variables);
  const entry = await runnableAgentFor(ctx.db, tenantId, args.agentKey);
  const agents: RunnableAgent[] = [entry];
  const byKey = new Map<string, RunnableAgent | null>([[entry.key, entry]]);
  for (let i = 0; i < agents.length; i++) {
    const agent = agents[i] as RunnableAgent;
    const kept: string[] = [];
    for (const key of agent.handoffs) {
      if (key === agent.key || kept.includes(key)) {
        continue;
      }
      if (!byKey.has(key)) {
        if (agents.length >= MAX_PLAN_AGENTS) {
          continue;
        }
        byKey.set(key, await handoffTarget(ctx.db, tenantId, key));
        const target = byKey.get(key);
        if (target) {
          agents.push(target);
        }
      }
      if (byKey.get(key)) {
        kept.push(key);
      }
    }
    agent.handoffs = kept;
  }
  const context = contextDefaults();
  const problems = new Map<string, ValidationDetail>();
  const specs = agents.map(({ prompt, ...rest }) => ({
    ...rest,
    instructions: render({ prompt, ...rest }, given, context, problems),
  }));
  if (problems.size) {
    throw invalid([...problems.values()]);
  }
  return { entry: specs[0] as AgentRunSpec, agents: specs };
}

/** A handoff target resolved like the entry; null when it is unknown, inactive or has nothing to run. */
async function handoffTarget(db: AgentsReader, tenantId: string, key: string): Promise<RunnableAgent | null> {
  const resolved = await resolveAgent(db, tenantId, key);
  if (resolved.fellBack || resolved.key !== key) {
    return null;
  }
  try {
    return runnableAgent(resolved);
  } catch (error) {
    if (error instanceof NoRunnableConfigError) {
      return null;
    }
    throw error;
  }
}

export interface CheckAgentGuardrailsArgs {
  agentKey: string;
  stage: GuardrailStage;
  text: string;
}

const GuardrailText = z.string().max(MAX_GUARDRAIL_TEXT);

/**
 * Runs the regex checks of the resolved agent's guardrail preset for one stage on `text` (model
 * checks listed, not run). An agent without a preset passes: no results, nothing tripped.
 */
export async function checkAgentGuardrails(
  ctx: AgentsCtx,
  args: CheckAgentGuardrailsArgs,
): Promise<GuardrailRun> {
  const { tenantId } = actingTenant(ctx);
  assertOwnAgent(ctx, args.agentKey);
  const text = parseArgs(GuardrailText, args.text, ['text']);
  const agent = await runnableAgentFor(ctx.db, tenantId, args.agentKey);
  if (!agent.guardrailPreset) {
    return { stage: args.stage, tripwire_triggered: false, content: text, results: [], requires_model: [] };
  }
  return runGuardrails(agent.guardrailPreset, args.stage, text);
}

/**
 * Runs one tool call of a chat turn for the chat runtime: the tool must be one of the resolved
 * agent's; its arguments are validated against its JSON Schema; builtin tools run in process, http
 * tools are called signed, provider tools are refused (the provider runs them). Whatever the tool
 * does wrong is an `isError` result the model sees, never a 500.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { NotFoundError } from '../../kernel/errors.js';
import { parseArgs } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx } from '../db.js';
import { SIGNATURE_HEADER, signToolRequest } from '../tools/signing.js';
import { getToolSigningSecret } from '../tools/tool.service.js';
import { type AgentToolResult, runBuiltinTool, toolError, toolOutput } from './builtin-tool-runner.js';
import { callHttpTool, httpToolCall } from './http-tool.js';
import { knowledgeSearchTool } from './knowledge-search-tool.js';
import { assertOwnAgent, type RunnableTool, runnableAgentFor } from './run-plan.service.js';

export type { AgentToolResult } from './builtin-tool-runner.js';

/** Largest arguments object accepted (bytes of JSON). */
export const MAX_ARGUMENT_BYTES = 262_144;

let ajv: Ajv2020 | null = null;

/** Why the arguments do not fit the tool's schema, or null. */
export function argumentsProblem(schema: Record<string, unknown>, args: unknown): string | null {
  ajv ??= new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    return `The tool's parameters schema cannot be used: ${(error as Error).message}.`;
  }
  try {
    return validate(args)
      ? null
      : `Invalid arguments: ${ajv.errorsText(validate.errors, { dataVar: 'arguments' })}.`;
  } finally {
    // Forget it again: no cache growth, no `$id` clash between tenants' schemas.
    ajv.removeSchema(schema);
  }
}

const InvokeArgs = z.object({
  toolName: z.string().min(1).max(256),
  conversationId: z.guid('Input should be a valid UUID.').nullish(),
});

export interface InvokeAgentToolArgs {
  agentKey: string;
  toolName: string;
  arguments: unknown;
  conversationId?: string | null;
}

/** The tenant's signing secret in clear (created on first use, as the tools module does). */
async function signingSecret(ctx: AgentsCtx, tenantId: string): Promise<string> {
  const row = await ctx.db.toolSigningSecret.findUnique({ where: { tenantId } });
  return row ? ctx.secrets.open(row.ciphertext) : (await getToolSigningSecret(ctx, tenantId)).secret;
}

async function invokeHttp(
  ctx: AgentsCtx,
  tenantId: string,
  agentKey: string,
  tool: RunnableTool,
  args: unknown,
  conversationId: string | null,
): Promise<AgentToolResult> {
  const call = httpToolCall(tool.config);
  if (!call) {
    return toolError(`The tool "${tool.name}" has no URL configured.`);
  }
  const body = JSON.stringify(args);
  const headers: Record<string, string> = {
    [SIGNATURE_HEADER]: signToolRequest(await signingSecret(ctx, tenantId), body),
    'user-agent': 'agents-platform-tools/1',
    'x-agent-key': agentKey,
    'x-agent-tool': encodeURIComponent(tool.name),
    ...(conversationId ? { 'x-agent-conversation-id': conversationId } : {}),
  };
  const outcome = await callHttpTool(call, body, headers, ctx.config.TOOLS_ALLOW_PRIVATE_URLS === 'true');
  return outcome.ok ? toolOutput(outcome.output) : toolError(outcome.error);
}

/** Invokes one of the resolved agent's tools; an unknown tool is NOT_FOUND. */
export async function invokeAgentTool(ctx: AgentsCtx, input: InvokeAgentToolArgs): Promise<AgentToolResult> {
  const { tenantId } = actingTenant(ctx);
  assertOwnAgent(ctx, input.agentKey);
  const { toolName, conversationId } = parseArgs(InvokeArgs, input, []);
  const agent = await runnableAgentFor(ctx.db, tenantId, input.agentKey);
  const tool = agent.tools.find((t) => t.name === toolName);
  if (!tool) {
    throw new NotFoundError(`Tool "${toolName}" of agent "${agent.key}"`);
  }
  if (tool.kind === 'provider') {
    return toolError(`The tool "${tool.name}" runs at the provider: pass it to the model as a hosted tool.`);
  }
  const args = input.arguments;
  if (Buffer.byteLength(JSON.stringify(args ?? null)) > MAX_ARGUMENT_BYTES) {
    return toolError(`Invalid arguments: at most ${MAX_ARGUMENT_BYTES} bytes of JSON.`);
  }
  const problem = argumentsProblem(tool.parameters, args);
  if (problem) {
    return toolError(problem);
  }
  if (tool.kind === 'builtin') {
    if (tool.builtinName === 'knowledge_search') {
      return knowledgeSearchTool(ctx, tenantId, agent, (args ?? {}) as Record<string, unknown>);
    }
    return runBuiltinTool(tool.builtinName, (args ?? {}) as Record<string, unknown>);
  }
  return invokeHttp(ctx, tenantId, agent.key, tool, args, conversationId?.toLowerCase() ?? null);
}

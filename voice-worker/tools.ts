/**
 * The run plan's tools as the voice agent's function tools: each runs on the platform through
 * `invokeAgentTool`, exactly as a chat turn's do (builtins such as knowledge_search in process
 * there, http tools signed to the tenant's endpoint). Provider-hosted tools (web search, code
 * interpreter …) have no voice equivalent and are left out. Plain definitions: agent.ts wraps each
 * in `llm.tool(...)`, which accepts the JSON Schema as it is.
 */
import type { PlanTool, RunClient } from './platform-client.js';

/** Longest tool output given back to the model (characters of JSON). */
export const MAX_TOOL_OUTPUT = 16_000;

export interface VoiceToolDefinition {
  description: string;
  /** JSON Schema of the arguments, an object schema. */
  parameters: Record<string, unknown>;
  /** What the model gets back: the tool's output as text, or the error text. */
  execute: (args: Record<string, unknown>) => Promise<string>;
}

/** An object schema for the model: the plan's schema, or an empty object schema. */
function objectSchema(parameters: Record<string, unknown>): Record<string, unknown> {
  if (parameters && parameters.type === 'object') {
    return parameters;
  }
  return { type: 'object', properties: {}, ...(parameters ?? {}) };
}

/** The output as the model reads it (JSON, or the string itself), bounded. */
export function outputText(output: unknown): string {
  const text = typeof output === 'string' ? output : JSON.stringify(output ?? null);
  return text.length > MAX_TOOL_OUTPUT ? `${text.slice(0, MAX_TOOL_OUTPUT)}…` : text;
}

/**
 * The tools of a plan agent, by the name the model calls them. A failure (the tool's, or reaching
 * the platform) is text for the model, never a thrown error that would end the turn.
 */
export function voiceTools(
  tools: readonly PlanTool[],
  run: Pick<RunClient, 'invokeTool'>,
  agentKey: string,
  conversationId: string | null,
): Record<string, VoiceToolDefinition> {
  const out: Record<string, VoiceToolDefinition> = {};
  for (const tool of tools) {
    if (tool.kind === 'provider') {
      continue;
    }
    out[tool.name] = {
      description: tool.description || tool.name,
      parameters: objectSchema(tool.parameters),
      execute: async (args) => {
        try {
          const result = await run.invokeTool(agentKey, tool.name, args ?? {}, conversationId);
          return result.isError ? `Error: ${result.error ?? 'the tool failed'}` : outputText(result.output);
        } catch (error) {
          return `Error: ${(error as Error).message}`;
        }
      },
    };
  }
  return out;
}

import {
  Agent,
  type AgentInputItem,
  assistant,
  Runner,
  type RunStreamEvent,
  setTracingDisabled,
  system,
  tool,
  user,
} from '@openai/agents-core';
import { OpenAIProvider } from '@openai/agents-openai';
import type OpenAI from 'openai';
import { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ConversationMessage } from '../../../generated/prisma/client.js';
import type { Config } from '../../kernel/config.js';
import type { ConversationsCtx } from '../db.js';
import type { AgentRunPlan } from './agents-client.js';
import { agentsClient } from './agents-client.js';
import { type LedgerItem, modelOf, noUsage, type ProviderFailure, type RunOutcome } from './outcome.js';
import type { TurnStream } from './turn-stream.js';

// Traces would go to OpenAI's tracing API; the platform keeps its own ledger instead.
setTracingDisabled(true);

/** A provider failure as the stream's `error` payload says it: timeouts, 429 and 5xx are retryable. */
export function providerFailure(error: unknown): ProviderFailure {
  if (error instanceof APIConnectionTimeoutError) {
    return { message: 'The model provider timed out.', retryable: true, status: null };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const said = (error.error as { message?: unknown } | undefined)?.message;
    return {
      message: `The model provider failed: HTTP ${error.status}${typeof said === 'string' ? `: ${said.slice(0, 300)}` : ''}`,
      retryable: error.status === 429 || error.status >= 500,
      status: error.status,
    };
  }
  if (error instanceof APIError) {
    return { message: 'The model provider is unreachable.', retryable: true, status: null };
  }
  return {
    message: `The agent run failed: ${(error as Error)?.message ?? String(error)}`.slice(0, 500),
    retryable: false,
    status: null,
  };
}

/** The model an agent runs on: CHAT_MODEL overrides every agent's own (for local servers). */
/** The caller's new message as model input. */
export const userInput = (text: string): AgentInputItem => user(text);

/** The history as model input: stored messages, then (for summarize) the summary first. */
export function historyInput(
  messages: readonly ConversationMessage[],
  summary: string | null,
): AgentInputItem[] {
  const items: AgentInputItem[] = [];
  if (summary) {
    items.push(system(`Summary of the earlier conversation:\n${summary}`));
  }
  for (const m of messages) {
    if (m.role === 'user') {
      items.push(user(m.content));
    } else if (m.role === 'assistant') {
      items.push(assistant(m.content));
    } else {
      items.push(system(m.content));
    }
  }
  return items;
}

function toolOutputText(result: { output: unknown; isError: boolean; error: string | null }): string {
  return JSON.stringify(
    result.isError ? { error: result.error ?? 'The tool failed.' } : (result.output ?? null),
  );
}

/** The SDK agents of a plan, handoffs wired between them; tools call the agents subgraph. */
function buildAgents(
  ctx: ConversationsCtx,
  plan: AgentRunPlan,
  conversationId: string,
  signal: AbortSignal,
): Agent {
  // biome-ignore lint/suspicious/noExplicitAny: agents of one plan differ in output type
  const agents = new Map<string, Agent<any, any>>();
  for (const spec of plan.agents) {
    const tools = spec.tools
      .filter((t) => t.kind !== 'provider') // hosted tools run at the provider; not over chat completions
      .map((t) =>
        tool({
          // A model function name allows letters, digits, `_` and `-` only; the platform's tool names are free text.
          name: t.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64),
          description: t.description || t.name,
          parameters: { type: 'object', properties: {}, ...t.parameters } as never,
          strict: false,
          execute: async (args: unknown) =>
            toolOutputText(
              await agentsClient.invokeTool(
                ctx,
                { agentKey: spec.key, toolName: t.name, arguments: args ?? {}, conversationId },
                signal,
              ),
            ),
        }),
      );
    agents.set(
      spec.key,
      // biome-ignore lint/suspicious/noExplicitAny: output type varies per agent
      new Agent<any, any>({
        name: spec.key,
        handoffDescription: spec.displayName,
        instructions: spec.instructions,
        model: modelOf(ctx.config, spec),
        modelSettings: {
          ...(spec.temperature != null ? { temperature: spec.temperature } : {}),
          ...(spec.maxOutputTokens != null ? { maxTokens: spec.maxOutputTokens } : {}),
        },
        tools,
        ...(spec.outputSchema
          ? {
              outputType: {
                type: 'json_schema' as const,
                name: 'structured_output',
                strict: false,
                schema: spec.outputSchema as never,
              },
            }
          : {}),
      }),
    );
  }
  for (const spec of plan.agents) {
    const agent = agents.get(spec.key) as Agent;
    agent.handoffs = spec.handoffs.flatMap((key) => {
      const target = agents.get(key);
      return target && target !== agent ? [target] : [];
    });
  }
  return agents.get(plan.entry.key) as Agent;
}

/** The SDK runner over the platform's OpenAI client (chat completions or responses). */
export function runnerFor(config: Config, client: OpenAI): Runner {
  return new Runner({
    modelProvider: new OpenAIProvider({
      openAIClient: client,
      useResponses: config.OPENAI_API === 'responses',
    }),
    tracingDisabled: true,
  });
}

function textOf(content: unknown): string {
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content)) {
    return content
      .map((c) => (c && typeof c === 'object' && 'text' in c ? String((c as { text: unknown }).text) : ''))
      .join('');
  }
  return '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

/**
 * Runs one turn with the Agents SDK, streaming: text deltas, tool calls and outputs and handoffs
 * become frames of `stream` as they happen, and ledger items for the caller to store. Never throws
 * for a provider failure or a cancel: the outcome says what happened.
 */
export async function runAgents(
  ctx: ConversationsCtx,
  args: {
    client: OpenAI;
    plan: AgentRunPlan;
    input: AgentInputItem[];
    conversationId: string;
    maxTurns: number;
    stream: TurnStream;
    signal: AbortSignal;
  },
): Promise<RunOutcome> {
  const { plan, stream, signal } = args;
  const entry = buildAgents(ctx, plan, args.conversationId, signal);
  const runner = runnerFor(ctx.config, args.client);
  const items: LedgerItem[] = [];
  let agentKey = plan.entry.key;
  let handoffs = 0;
  let responseIndex = 0;
  let text = '';
  const specOf = (key: string) => plan.agents.find((a) => a.key === key) ?? plan.entry;
  const outcome = (
    status: RunOutcome['status'],
    error: ProviderFailure | null,
    result?: { finalOutput?: unknown; usage?: RunOutcome['usage'] },
  ): RunOutcome => ({
    status,
    text,
    structuredOutput:
      specOf(agentKey).outputSchema && typeof result?.finalOutput === 'object' ? result.finalOutput : null,
    agent: agentKey,
    handoffs,
    items,
    usage: result?.usage ?? noUsage(responseIndex),
    model: modelOf(ctx.config, specOf(agentKey)),
    error,
  });
  let result: Awaited<ReturnType<Runner['run']>> & AsyncIterable<RunStreamEvent>;
  try {
    result = (await runner.run(entry, args.input, {
      stream: true,
      signal,
      maxTurns: args.maxTurns,
    })) as never;
    for await (const event of result) {
      if (event.type === 'raw_model_stream_event') {
        const data = event.data as { type: string; delta?: string };
        if (data.type === 'output_text_delta' && data.delta) {
          text += data.delta;
          stream.emit('message.delta', {
            output_index: 0,
            item_id: `msg_${responseIndex}`,
            content_index: 0,
            delta: data.delta,
          });
        } else if (data.type === 'response_done') {
          responseIndex++;
        }
      } else if (event.type === 'agent_updated_stream_event') {
        const next = event.agent.name;
        if (next !== agentKey) {
          stream.emit('agent.updated', { from_agent: agentKey, to_agent: next, handoff_index: handoffs });
          items.push({
            runItemType: 'handoff',
            runItemName: 'handoff_occurred',
            role: null,
            agent: next,
            contentText: `${agentKey} → ${next}`,
          });
          handoffs++;
          agentKey = next;
          stream.agent = next;
          text = ''; // the answer is the last agent's
        }
      } else if (event.type === 'run_item_stream_event') {
        const raw = (event.item as { rawItem?: Record<string, unknown> }).rawItem ?? {};
        if (event.name === 'tool_called') {
          const callId = String(raw.callId ?? raw.id ?? '');
          const name = String(raw.name ?? '');
          const argumentsText = String(raw.arguments ?? '');
          const parsed = parseJson(argumentsText);
          stream.emit('tool.arguments.done', {
            output_index: 0,
            item_id: callId,
            tool_call_id: callId,
            tool_type: 'function',
            tool_name: name,
            arguments_text: argumentsText,
            arguments_json: parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null,
          });
          stream.emit('tool.status', {
            output_index: 0,
            item_id: callId,
            tool: {
              tool_type: 'function',
              tool_call_id: callId,
              status: 'in_progress',
              name,
              arguments_text: argumentsText,
            },
          });
          items.push({
            runItemType: 'tool_call',
            runItemName: 'function_call',
            role: null,
            agent: agentKey,
            toolCallId: callId,
            toolName: name,
            callArguments: parsed,
          });
        } else if (event.name === 'tool_output') {
          const callId = String(raw.callId ?? '');
          const name = String(
            raw.name ?? (event.item as { rawItem?: { name?: string } }).rawItem?.name ?? '',
          );
          const output = (event.item as { output?: unknown }).output;
          const value = typeof output === 'string' ? parseJson(output) : output;
          stream.emit('tool.output', {
            output_index: 0,
            item_id: callId,
            tool_call_id: callId,
            tool_type: 'function',
            output: value ?? null,
          });
          stream.emit('tool.status', {
            output_index: 0,
            item_id: callId,
            tool: {
              tool_type: 'function',
              tool_call_id: callId,
              status: 'completed',
              name: name || 'tool',
              output: value ?? null,
            },
          });
          items.push({
            runItemType: 'tool_result',
            runItemName: 'function_call_output',
            role: null,
            agent: agentKey,
            toolCallId: callId,
            toolName: name || null,
            callOutput: value && typeof value === 'object' ? value : { value },
          });
        } else if (event.name === 'message_output_created') {
          items.push({
            runItemType: 'message',
            runItemName: 'message_output',
            role: 'assistant',
            agent: agentKey,
            contentText: textOf(raw.content),
            model: modelOf(ctx.config, specOf(agentKey)),
          });
        }
      }
    }
    await result.completed;
    if (signal.aborted) {
      return outcome('cancelled', null);
    }
    if (result.error) {
      throw result.error;
    }
    const usage = result.runContext.usage;
    const finalOutput = result.finalOutput;
    if (typeof finalOutput === 'string' && finalOutput && !text) {
      text = finalOutput;
    } else if (finalOutput && typeof finalOutput === 'object' && !text) {
      text = JSON.stringify(finalOutput);
    }
    return outcome('completed', null, {
      finalOutput,
      usage: {
        requests: usage.requests,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        totalTokens: usage.totalTokens,
        cachedInputTokens: Number(usage.inputTokensDetails?.[0]?.cached_tokens ?? 0),
        reasoningTokens: Number(usage.outputTokensDetails?.[0]?.reasoning_tokens ?? 0),
      },
    });
  } catch (error) {
    if (signal.aborted || error instanceof APIUserAbortError || (error as Error)?.name === 'AbortError') {
      return outcome('cancelled', null);
    }
    if ((error as Error)?.constructor?.name === 'MaxTurnsExceededError') {
      return outcome('incomplete', {
        message: `The agent did not finish within ${args.maxTurns} turns.`,
        retryable: false,
        status: null,
      });
    }
    return outcome('failed', providerFailure(error));
  }
}

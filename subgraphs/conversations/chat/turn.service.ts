import type OpenAI from 'openai';
import type { ChatTurn, Conversation, ConversationMessage } from '../../../generated/prisma/client.js';
import { recordActivity } from '../../kernel/activity.js';
import {
  AppError,
  BadRequestError,
  ConflictError,
  isUniqueViolation,
  NotFoundError,
} from '../../kernel/errors.js';
import { mapEvents, publishEvent, type StoredEvent } from '../../kernel/event-bus.js';
import { requireOpenAI } from '../../kernel/openai.js';
import { countUsage } from '../../kernel/usage.js';
import { isUuid, parseArgs } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import { conversationStream } from '../conversation.events.js';
import { conversationUuid } from '../conversation-id.js';
import type { ConversationsCtx, ConversationsTx } from '../db.js';
import { type AgentRunPlan, agentsClient, type GuardrailEvaluationView } from './agents-client.js';
import { ChatRequest, type ChatRequestInput } from './chat-input.js';
import { historyWindow, memoryPlan, userTurns } from './memory.js';
import { type LedgerItem, modelOf, noUsage, type RunOutcome } from './outcome.js';
import {
  chatControlStream,
  chatStream,
  type StoredFrame,
  TERMINAL_KINDS,
  TurnStream,
} from './turn-stream.js';

/** Turns still running in this process, by id: cancel aborts them here at once. */
const running = new Map<string, { abort: AbortController; done: Promise<TurnResult> }>();

/** The agents SDK and the run loop, loaded on the first turn (they are most of what start would load). */
const agentsRuntime = () => import('./run-turn.js');

export type TurnStatus =
  | 'queued'
  | 'in_progress'
  | 'completed'
  | 'failed'
  | 'incomplete'
  | 'refused'
  | 'cancelled';

export interface TurnResult {
  turn: ChatTurn;
  conversationId: string;
  agentUsed: string;
  handoffOccurred: boolean;
  structuredOutput: unknown;
  outputSchema: Record<string, unknown> | null;
  toolsAvailable: string[];
  failure: { message: string; retryable: boolean } | null;
}

export interface StartedTurn {
  /** The conversation id as the client gave it (or the new one). */
  conversationId: string;
  streamId: string;
  done: Promise<TurnResult>;
}

/** The abort reason of a turn stopped by CHAT_TURN_TIMEOUT_MS (a cancel has none). */
const TURN_TIMEOUT = 'turn_timeout';
/** How long past its timeout a turn may still be finishing on a live replica before readers close it. */
const ABANDON_GRACE_MS = 30_000;

const isTerminal = (status: string) => !['queued', 'in_progress'].includes(status);

function callerKey(ctx: ConversationsCtx): string {
  const v = ctx.viewer;
  return v?.kind === 'api-key' ? `key:${v.apiKeyId}` : `user:${v?.userId ?? 'anonymous'}`;
}

/** Rate limits as the legacy: turns per minute per tenant and caller; streams also at most N at once. */
async function enforceLimits(ctx: ConversationsCtx, tenantId: string, streamed: boolean) {
  const key = `${tenantId}:${callerKey(ctx)}`;
  await ctx.limits.consume(
    'chat',
    key,
    [{ points: ctx.config.CHAT_RATE_LIMIT_PER_MINUTE, duration: 60 }],
    'Too many chat requests. Try again later.',
  );
  if (!streamed) {
    return;
  }
  await ctx.limits.consume(
    'chat-stream',
    key,
    [{ points: ctx.config.CHAT_STREAM_RATE_LIMIT_PER_MINUTE, duration: 60 }],
    'Too many chat streams. Try again later.',
  );
  const v = ctx.viewer;
  const open = await ctx.db.chatTurn.count({
    where: {
      tenantId,
      status: { in: ['queued', 'in_progress'] },
      startedAt: { gt: new Date(Date.now() - 300_000) },
      ...(v?.kind === 'api-key' ? { apiKeyId: v.apiKeyId } : { userId: v?.userId ?? null }),
    },
  });
  if (open >= ctx.config.CHAT_STREAM_CONCURRENT_LIMIT) {
    throw new AppError('RATE_LIMITED', 'Too many chat streams at once. Wait for one to finish.', {
      retryAfterSeconds: 5,
    });
  }
}

/** The next ledger numbers of a conversation (its row is locked by the caller's update). */
async function appendItems(
  tx: ConversationsTx,
  conversation: { id: string; tenantId: string },
  turnId: string,
  items: LedgerItem[],
) {
  if (!items.length) {
    return;
  }
  const last = await tx.conversationItem.aggregate({
    where: { conversationId: conversation.id },
    _max: { sequenceNo: true },
  });
  let seq = last._max.sequenceNo ?? 0;
  await tx.conversationItem.createMany({
    data: items.map((item) => ({
      tenantId: conversation.tenantId,
      conversationId: conversation.id,
      turnId,
      sequenceNo: ++seq,
      runItemType: item.runItemType,
      runItemName: item.runItemName,
      role: item.role,
      agent: item.agent,
      toolCallId: item.toolCallId ?? null,
      toolName: item.toolName ?? null,
      model: item.model ?? null,
      contentText: item.contentText ?? null,
      callArguments: (item.callArguments ?? undefined) as never,
      callOutput: (item.callOutput ?? undefined) as never,
      responseId: item.responseId ?? null,
    })),
  });
}

/** Appends a message at the next position (locks the conversation row until commit). */
async function appendMessage(
  tx: ConversationsTx,
  conversationId: string,
  message: { role: string; content: string; agent: string | null; turnId: string },
): Promise<{ conversation: Conversation; message: ConversationMessage }> {
  const conversation = await tx.conversation.update({
    where: { id: conversationId },
    data: {
      messageCount: { increment: 1 },
      lastMessagePreview: message.content.slice(0, 160),
      lastMessageAt: new Date(),
      ...(message.role === 'assistant' && message.agent ? { activeAgent: message.agent } : {}),
    },
  });
  const created = await tx.conversationMessage.create({
    data: {
      tenantId: conversation.tenantId,
      conversationId,
      position: conversation.messageCount,
      role: message.role,
      agent: message.agent,
      content: message.content,
      turnId: message.turnId,
    },
  });
  return { conversation, message: created };
}

function guardrailItems(check: GuardrailEvaluationView, stage: string): LedgerItem[] {
  return check.results.map((r) => ({
    runItemType: 'guardrail_result',
    runItemName: r.guardrailKey,
    role: null,
    agent: null,
    contentText: r.tripwireTriggered ? 'tripwire' : r.flagged ? 'flagged' : 'passed',
    callOutput: { stage, ...r },
  }));
}

function emitGuardrails(stream: TurnStream, check: GuardrailEvaluationView, stage: string) {
  for (const r of check.results) {
    stream.emit('output_item.done', {
      output_index: 0,
      item_id: `guardrail_${stage}_${r.guardrailKey}`,
      item_type: 'guardrail_result',
      role: null,
      status: r.tripwireTriggered ? 'tripped' : r.flagged ? 'flagged' : 'passed',
    });
  }
}

/**
 * Starts a chat turn: validates, applies the rate limits, stores the user message (creating the
 * conversation when new) and the turn, publishes `conversation.run.started`, then runs the agent in
 * the background. The turn's frames go to its event stream as they happen; a disconnected client does
 * not stop it. 503 without a provider, before anything is written.
 */
export async function startTurn(
  ctx: ConversationsCtx,
  input: ChatRequestInput,
  options: { streamed: boolean },
): Promise<StartedTurn> {
  const { tenantId } = actingTenant(ctx);
  const request = parseArgs(ChatRequest, input, ['input']);
  const client = requireOpenAI(ctx.config, 'Chat turns');
  await enforceLimits(ctx, tenantId, options.streamed);
  const viewer = ctx.viewer;
  const clientConversationId = request.conversationId ?? null;
  const conversationId = clientConversationId
    ? conversationUuid(tenantId, clientConversationId)
    : crypto.randomUUID();
  const existing = await ctx.db.conversation.findUnique({ where: { id: conversationId } });
  if (existing && existing.tenantId !== tenantId) {
    throw new NotFoundError('Conversation', clientConversationId ?? conversationId);
  }
  // The agent: the request's, else the conversation's, else the tenant's default (unknown keys fall back).
  const requestedAgent = request.agentType || existing?.activeAgent || existing?.agentEntrypoint || null;
  const variables = {
    ...(request.context ?? {}),
    ...(request.shareLocation && request.location
      ? Object.fromEntries(
          Object.entries(request.location)
            .filter(([, v]) => v != null)
            .map(([k, v]) => [`location_${k}`, v]),
        )
      : {}),
  };
  const primitives = Object.fromEntries(
    Object.entries(variables).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)),
  );
  const [plan, inputCheck] = await Promise.all([
    agentsClient.plan(ctx, requestedAgent, primitives),
    agentsClient.checkGuardrails(ctx, requestedAgent ?? '', 'input', request.message),
  ]);
  const agentKey = plan.entry.key;
  const stored = ctx.db.$transaction(async (tx) => {
    let conversation = existing;
    const created = !conversation;
    if (!conversation) {
      conversation = await tx.conversation.create({
        data: {
          id: conversationId,
          tenantId,
          userId: viewer?.kind === 'user' ? viewer.userId : null,
          apiKeyId: viewer?.kind === 'api-key' ? viewer.apiKeyId : null,
          conversationKey:
            clientConversationId && !isUuid(clientConversationId) ? clientConversationId : null,
          agentEntrypoint: agentKey,
          lastMessagePreview: '',
        },
      });
    }
    const turn = await tx.chatTurn.create({
      data: {
        tenantId,
        conversationId,
        userId: viewer?.kind === 'user' ? viewer.userId : null,
        apiKeyId: viewer?.kind === 'api-key' ? viewer.apiKeyId : null,
        requestedAgent: request.agentType ?? null,
        agentKey,
        status: 'in_progress',
        model: modelOf(ctx.config, plan.entry),
        provider: ctx.config.OPENAI_API,
      },
    });
    const appended = await appendMessage(tx, conversationId, {
      role: 'user',
      content: request.message,
      agent: null,
      turnId: turn.id,
    });
    if (created) {
      await publishEvent(tx, {
        stream: conversationStream(conversationId),
        type: 'conversation.created',
        tenantId,
        payload: {
          kind: 'conversation.created',
          conversationId,
          displayName: null,
          timestamp: new Date().toISOString(),
        },
      });
    }
    if (created) {
      await recordActivity(tx, ctx, {
        tenantId,
        action: 'conversation.created',
        objectType: 'conversation',
        objectId: conversationId,
        metadata: { agent: agentKey },
      });
    }
    await recordActivity(tx, ctx, {
      tenantId,
      action: 'conversation.run.started',
      objectType: 'conversation',
      objectId: conversationId,
      status: 'pending',
      metadata: { stream_id: turn.id, agent: agentKey },
    });
    return { turn, conversation: appended.conversation, created };
  });
  const { turn, conversation, created } = await stored.catch((error: unknown) => {
    // Two first messages for one new client-chosen id at once: the second one's insert loses.
    throw isUniqueViolation(error)
      ? new ConflictError('This conversation is being started by another request; send the message again.')
      : error;
  });
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(TURN_TIMEOUT), ctx.config.CHAT_TURN_TIMEOUT_MS);
  deadline.unref?.();
  const done = runTurn(ctx, { client, plan, request, turn, conversation, inputCheck, abort, isNew: created });
  running.set(turn.id, { abort, done });
  void done
    .finally(() => {
      clearTimeout(deadline);
      running.delete(turn.id);
    })
    .catch(() => undefined);
  return { conversationId: clientConversationId ?? conversationId, streamId: turn.id, done };
}

/** Runs a started turn to its end and stores the outcome. Never rejects. */
async function runTurn(
  ctx: ConversationsCtx,
  args: {
    client: OpenAI;
    plan: AgentRunPlan;
    request: ChatRequest;
    turn: ChatTurn;
    conversation: Conversation;
    inputCheck: GuardrailEvaluationView;
    abort: AbortController;
    isNew: boolean;
  },
): Promise<TurnResult> {
  const { plan, turn, conversation, abort } = args;
  const stream = new TurnStream(
    ctx.bus,
    ctx.log,
    { streamId: turn.id, conversationId: conversation.id, tenantId: turn.tenantId },
    plan.entry.key,
  );
  // A cancel from any replica arrives on the turn's control stream.
  const control = ctx.bus.subscribe(chatControlStream(turn.id), 0n);
  void (async () => {
    for await (const _ of control) {
      abort.abort();
      break;
    }
  })().catch(() => undefined);
  const ledger: LedgerItem[] = [
    {
      runItemType: 'message',
      runItemName: 'user_input',
      role: 'user',
      agent: null,
      contentText: args.request.message,
    },
  ];
  stream.emit('lifecycle', { status: 'in_progress' });
  let outcome: RunOutcome | null = null;
  let refusal: string | null = null;
  try {
    ledger.push(...guardrailItems(args.inputCheck, 'input'));
    emitGuardrails(stream, args.inputCheck, 'input');
    if (args.inputCheck.tripwireTriggered) {
      const tripped = args.inputCheck.results.filter((r) => r.tripwireTriggered).map((r) => r.guardrailKey);
      refusal = `The message was blocked by the guardrail ${tripped.join(', ')}.`;
      stream.emit('refusal.done', {
        output_index: 0,
        item_id: 'refusal_0',
        content_index: 0,
        refusal_text: refusal,
      });
    } else {
      const input = await memoryInput(ctx, args, stream);
      const { runAgents } = await agentsRuntime();
      outcome = await runAgents(ctx, {
        client: args.client,
        plan,
        input,
        conversationId: conversation.id,
        maxTurns: args.request.runOptions?.maxTurns ?? plan.entry.maxTurns,
        stream,
        signal: abort.signal,
      });
      ledger.push(...outcome.items);
      if (outcome.status === 'completed' && outcome.text) {
        const check = await agentsClient.checkGuardrails(ctx, outcome.agent, 'output', outcome.text);
        ledger.push(...guardrailItems(check, 'output'));
        emitGuardrails(stream, check, 'output');
        if (check.tripwireTriggered) {
          refusal = `The answer was withheld by the guardrail ${check.results
            .filter((r) => r.tripwireTriggered)
            .map((r) => r.guardrailKey)
            .join(', ')}.`;
        } else if (check.content !== outcome.text) {
          outcome = { ...outcome, text: check.content }; // masked
        }
      }
    }
  } catch (error) {
    outcome = {
      status: 'failed',
      text: '',
      structuredOutput: null,
      agent: plan.entry.key,
      handoffs: 0,
      items: [],
      usage: noUsage(),
      model: modelOf(ctx.config, plan.entry),
      error: { message: (error as Error)?.message ?? 'The turn failed.', retryable: false, status: null },
    };
  } finally {
    void control.return?.();
  }
  const timedOut = outcome?.status === 'cancelled' && abort.signal.reason === TURN_TIMEOUT;
  if (timedOut && outcome) {
    outcome = { ...outcome, status: 'incomplete' };
  }
  const status: TurnStatus = refusal ? 'refused' : (outcome?.status ?? 'failed');
  const text = refusal ? '' : (outcome?.text ?? '');
  const agent = outcome?.agent ?? plan.entry.key;
  const usage = outcome?.usage;
  const stored = await ctx.db.$transaction(async (tx) => {
    if (text) {
      await appendMessage(tx, conversation.id, { role: 'assistant', content: text, agent, turnId: turn.id });
    }
    if (outcome?.handoffs) {
      await tx.conversation.update({
        where: { id: conversation.id },
        data: { handoffCount: { increment: outcome.handoffs }, activeAgent: agent },
      });
    }
    await appendItems(tx, conversation, turn.id, ledger);
    const updated = await tx.chatTurn.update({
      where: { id: turn.id },
      data: {
        status,
        agentKey: agent,
        responseText: text || null,
        structuredOutput: (outcome?.structuredOutput ?? undefined) as never,
        errorMessage: outcome?.error?.message ?? refusal,
        model: outcome?.model ?? turn.model,
        requests: usage?.requests ?? 0,
        inputTokens: usage?.inputTokens ?? 0,
        outputTokens: usage?.outputTokens ?? 0,
        totalTokens: usage?.totalTokens ?? 0,
        cachedInputTokens: usage?.cachedInputTokens ?? 0,
        reasoningTokens: usage?.reasoningTokens ?? 0,
        completedAt: new Date(),
      },
    });
    await countUsage(tx, {
      tenantId: turn.tenantId,
      requests: 1,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
    });
    await recordActivity(tx, ctx, {
      tenantId: turn.tenantId,
      action: 'conversation.run.completed',
      objectType: 'conversation',
      objectId: conversation.id,
      objectName: conversation.displayName,
      status: status === 'completed' ? 'success' : 'failure',
      metadata: { stream_id: turn.id, agent, status },
    });
    return updated;
  });
  if (outcome?.error && status === 'failed') {
    stream.emit('error', {
      error: {
        code: outcome.error.status ? `provider_http_${outcome.error.status}` : 'run_failed',
        message: outcome.error.message,
        source: 'provider',
        is_retryable: outcome.error.retryable,
      },
    });
  } else {
    stream.emit('final', {
      agent,
      final: {
        status,
        response_text: text || null,
        structured_output: outcome?.structuredOutput ?? null,
        refusal_text: refusal,
        attachments: [],
        usage: usage
          ? {
              input_tokens: usage.inputTokens,
              output_tokens: usage.outputTokens,
              total_tokens: usage.totalTokens,
              cached_input_tokens: usage.cachedInputTokens,
              reasoning_output_tokens: usage.reasoningTokens,
              requests: usage.requests,
            }
          : null,
      },
    });
  }
  await stream.drain().catch(() => undefined);
  if (args.isNew && status === 'completed') {
    void generateTitle(
      ctx,
      args.client,
      conversation,
      args.request.message,
      text,
      modelOf(ctx.config, plan.entry),
    ).catch((error) =>
      ctx.log.warn({ err: error, conversationId: conversation.id }, 'title generation failed'),
    );
  }
  return {
    turn: stored,
    conversationId: conversation.id,
    agentUsed: agent,
    handoffOccurred: (outcome?.handoffs ?? 0) > 0,
    structuredOutput: outcome?.structuredOutput ?? null,
    outputSchema: plan.agents.find((a) => a.key === agent)?.outputSchema ?? null,
    toolsAvailable: (plan.agents.find((a) => a.key === agent) ?? plan.entry).tools.map((t) => t.name),
    failure: outcome?.error && status === 'failed' ? outcome.error : null,
  };
}

/** The model input for this turn: the history under the memory strategy, then the new message. */
async function memoryInput(
  ctx: ConversationsCtx,
  args: {
    client: OpenAI;
    plan: AgentRunPlan;
    request: ChatRequest;
    turn: ChatTurn;
    conversation: Conversation;
    isNew: boolean;
  },
  stream: TurnStream,
) {
  const { conversation, request } = args;
  const { historyInput, userInput } = await agentsRuntime();
  if (args.isNew) {
    return [userInput(request.message)]; // nothing before it: no history to read
  }
  const all = await ctx.db.conversationMessage.findMany({
    where: { conversationId: conversation.id },
    orderBy: { position: 'asc' },
  });
  const current = all.filter((m) => m.turnId === args.turn.id);
  const history = all.filter((m) => m.turnId !== args.turn.id);
  const plan = memoryPlan(request.memoryStrategy, conversation, args.plan.entry.memory);
  const window = historyWindow(history, plan);
  let summary: string | null = null;
  if (window.toSummarize.length) {
    summary = await summaryThrough(ctx, args, window.toSummarize, plan);
  }
  if (plan.mode !== 'none' && (window.toSummarize.length || window.dropped || window.compacted)) {
    stream.emit('memory.checkpoint', {
      checkpoint: {
        strategy: plan.mode,
        trigger_reason: 'turn_limit',
        keep_turns: plan.mode === 'trim' ? plan.maxUserTurns : plan.keepLastUserTurns,
        trigger_turns: plan.mode === 'compact' ? plan.compactTriggerTurns : plan.maxUserTurns,
        compacted_count: window.compacted || window.toSummarize.length || window.dropped,
        total_items_before: history.length,
        total_items_after: window.kept.length + (summary ? 1 : 0),
        turns_before: userTurns(history),
        turns_after: userTurns(window.kept),
      },
    });
  }
  return historyInput([...window.kept, ...current], summary);
}

/** The kept summary of the messages up to the cut, made by the model when there is none yet. */
async function summaryThrough(
  ctx: ConversationsCtx,
  args: { client: OpenAI; plan: AgentRunPlan; conversation: Conversation },
  older: ConversationMessage[],
  plan: ReturnType<typeof memoryPlan>,
): Promise<string> {
  const through = older.at(-1)?.position ?? 0;
  const kept = await ctx.db.conversationSummary.findFirst({
    where: { conversationId: args.conversation.id, throughPosition: through },
    orderBy: { createdAt: 'desc' },
  });
  if (kept) {
    return kept.summaryText;
  }
  const model = plan.summarizerModel ?? modelOf(ctx.config, args.plan.entry);
  const transcript = older.map((m) => `${m.role}: ${m.content}`).join('\n');
  const completion = await args.client.chat.completions.create({
    model,
    max_tokens: plan.summaryMaxTokens,
    messages: [
      {
        role: 'system',
        content:
          'Summarize this conversation for the assistant that continues it: facts, decisions, open questions. Be brief.',
      },
      { role: 'user', content: transcript.slice(-200_000) },
    ],
  });
  const summaryText = (completion.choices[0]?.message?.content ?? '').trim().slice(0, plan.summaryMaxChars);
  await ctx.db.conversationSummary.create({
    data: {
      tenantId: args.conversation.tenantId,
      conversationId: args.conversation.id,
      agentKey: args.plan.entry.key,
      summaryText,
      summaryModel: model,
      throughPosition: through,
    },
  });
  return summaryText;
}

/** Titles a new conversation with the model and publishes `conversation.title.generated`. */
async function generateTitle(
  ctx: ConversationsCtx,
  client: OpenAI,
  conversation: Conversation,
  message: string,
  answer: string,
  model: string,
) {
  const completion = await client.chat.completions.create({
    model,
    max_tokens: 24,
    messages: [
      {
        role: 'system',
        content: 'Write a short title (at most six words) for this conversation. Answer with the title only.',
      },
      { role: 'user', content: `${message.slice(0, 2000)}\n\n${answer.slice(0, 2000)}` },
    ],
  });
  const title = (completion.choices[0]?.message?.content ?? '')
    .replace(/^["'\s]+|["'\s]+$/g, '')
    .slice(0, 200);
  if (!title) {
    return;
  }
  await ctx.db.$transaction(async (tx) => {
    const updated = await tx.conversation.updateMany({
      where: { id: conversation.id, displayName: null },
      data: { displayName: title, topicHint: title, titleGeneratedAt: new Date() },
    });
    if (updated.count) {
      await publishEvent(tx, {
        stream: conversationStream(conversation.id),
        type: 'conversation.title.generated',
        tenantId: conversation.tenantId,
        payload: {
          kind: 'conversation.title.generated',
          conversationId: conversation.id,
          displayName: title,
          timestamp: new Date().toISOString(),
        },
      });
    }
  });
}

/** A turn of the caller's tenant by its stream id; another tenant's is NOT_FOUND. */
export async function getTurn(ctx: ConversationsCtx, streamId: string): Promise<ChatTurn> {
  const { tenantId } = actingTenant(ctx);
  const turn = isUuid(streamId)
    ? await ctx.db.chatTurn.findFirst({ where: { id: streamId, tenantId } })
    : null;
  if (!turn) {
    throw new NotFoundError('Chat stream', streamId);
  }
  return turn;
}

/** Asks the replica running the turn to stop it: the provider request is aborted, the stream ends `cancelled`. */
export async function cancelTurn(ctx: ConversationsCtx, streamId: string): Promise<ChatTurn> {
  const turn = await getTurn(ctx, streamId);
  if (isTerminal(turn.status)) {
    return turn;
  }
  const updated = await ctx.db.chatTurn.update({
    where: { id: turn.id },
    data: { cancelRequestedAt: new Date() },
  });
  running.get(turn.id)?.abort.abort();
  await ctx.bus.publish({
    stream: chatControlStream(turn.id),
    type: 'cancel',
    tenantId: turn.tenantId,
    payload: {},
  });
  return updated;
}

/** A non-streamed turn (`POST /chat`): waits for the answer; a provider failure is a 502. */
export async function chat(ctx: ConversationsCtx, input: ChatRequestInput) {
  const started = await startTurn(ctx, input, { streamed: false });
  const result = await started.done;
  if (result.failure) {
    throw new AppError('BAD_GATEWAY', result.failure.message);
  }
  return {
    conversationId: started.conversationId,
    message: null,
    response: result.turn.responseText ?? '',
    agentUsed: result.agentUsed,
    handoffOccurred: result.handoffOccurred,
    attachments: [],
    structuredOutput: result.structuredOutput,
    outputSchema: result.outputSchema,
    metadata: {
      model_used: result.turn.model,
      tools_available: result.toolsAvailable,
      status: result.turn.status,
      stream_id: result.turn.id,
      usage: {
        input_tokens: result.turn.inputTokens,
        output_tokens: result.turn.outputTokens,
        total_tokens: result.turn.totalTokens,
      },
    },
  };
}

export interface ChatEventView {
  cursor: string;
  eventId: number;
  kind: string;
  frame: Record<string, unknown>;
}

/**
 * The frames of a turn: replayed from the event store after `after`, then live, ending after the
 * terminal frame (`final` or `error`), so a finished turn replays to its end and closes.
 */
export async function subscribeChatEvents(
  ctx: ConversationsCtx,
  streamId: string,
  after: string | null | undefined,
): Promise<AsyncIterableIterator<ChatEventView>> {
  const turn = await getTurn(ctx, streamId);
  if (after != null && !/^\d{1,18}$/.test(after)) {
    throw new BadRequestError('Invalid event cursor.');
  }
  // A turn whose replica died never ends by itself: the reader closes it once it is overdue.
  const overdueIn =
    turn.startedAt.getTime() + ctx.config.CHAT_TURN_TIMEOUT_MS + ABANDON_GRACE_MS - Date.now();
  let overdue: ReturnType<typeof setTimeout> | null = null;
  if (!isTerminal(turn.status)) {
    if (overdueIn <= 0) {
      await closeAbandoned(ctx, turn);
    } else {
      overdue = setTimeout(() => void closeAbandoned(ctx, turn).catch(() => undefined), overdueIn);
      overdue.unref?.();
    }
  }
  const source = ctx.bus.subscribe<StoredFrame>(chatStream(streamId), BigInt(after ?? '0'));
  let ended = false;
  const mapped = mapEvents(
    source,
    (e: StoredEvent<StoredFrame>): ChatEventView => ({
      cursor: e.seq.toString(),
      eventId: Number(e.seq),
      kind: e.payload.kind,
      frame: { ...e.payload, event_id: Number(e.seq) },
    }),
  );
  const iterator: AsyncIterableIterator<ChatEventView> = {
    async next() {
      if (ended) {
        await mapped.return?.();
        return { done: true, value: undefined };
      }
      const r = await mapped.next();
      if (!r.done && TERMINAL_KINDS.has(r.value.kind)) {
        ended = true;
      }
      return r;
    },
    async return() {
      ended = true;
      if (overdue) {
        clearTimeout(overdue);
      }
      await mapped.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/**
 * Ends a turn nobody is running any more (its replica stopped mid-run): `failed`, and a terminal
 * `error` frame so its readers finish. A no-op when the turn ended meanwhile.
 */
async function closeAbandoned(ctx: ConversationsCtx, turn: ChatTurn): Promise<void> {
  if (running.has(turn.id)) {
    return;
  }
  const closed = await ctx.db.chatTurn.updateMany({
    where: { id: turn.id, status: { in: ['queued', 'in_progress'] } },
    data: { status: 'failed', errorMessage: 'The turn was interrupted.', completedAt: new Date() },
  });
  if (!closed.count) {
    return;
  }
  const stream = new TurnStream(
    ctx.bus,
    ctx.log,
    { streamId: turn.id, conversationId: turn.conversationId, tenantId: turn.tenantId },
    turn.agentKey,
  );
  stream.emit('error', {
    error: {
      code: 'turn_interrupted',
      message: 'The turn was interrupted; send the message again.',
      source: 'server',
      is_retryable: true,
    },
  });
  await stream.drain();
}

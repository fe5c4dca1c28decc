import type { ChatTurn } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import { MemoryMode } from '../history/history.graphql.js';
import { MAX_MESSAGE_CHARACTERS } from './chat-input.js';
import {
  type ChatEventView,
  cancelTurn,
  chat,
  getTurn,
  startTurn,
  subscribeChatEvents,
} from './turn.service.js';

const ChatTurnStatus = legacyEnum(
  builder,
  'ChatTurnStatus',
  ['queued', 'in_progress', 'completed', 'failed', 'incomplete', 'refused', 'cancelled'],
  'Where a chat turn is: running, or how it ended.',
);

const HandoffContextPolicy = legacyEnum(
  builder,
  'HandoffContextPolicy',
  ['full', 'fresh', 'last_turn'],
  'What a specialist sees of the conversation after a handoff.',
);

const LocationInput = builder.inputType('ChatLocationInput', {
  description: 'Where the user is, when they share it (filled into prompt variables `location_*`).',
  fields: (t) => ({
    city: t.string({ description: 'City.' }),
    region: t.string({ description: 'Region or state.' }),
    country: t.string({ description: 'Country.' }),
    timezone: t.string({ description: 'IANA time zone.' }),
  }),
});

const RunOptionsInput = builder.inputType('ChatRunOptionsInput', {
  description: 'Per-turn runtime knobs.',
  fields: (t) => ({
    maxTurns: t.int({ description: 'Model round trips allowed (1–50; default the agent’s).' }),
    previousResponseId: t.string({
      description: 'Accepted for compatibility; the platform keeps the history itself.',
    }),
    handoffInputFilter: t.string({ description: 'Accepted for compatibility.' }),
    handoffContextPolicy: t.field({ type: HandoffContextPolicy, description: 'Accepted for compatibility.' }),
    runConfig: t.field({ type: 'JSON', description: 'Accepted for compatibility.' }),
  }),
});

const MemoryStrategyInput = builder.inputType('MemoryStrategyInput', {
  description: 'Memory for this turn; unset fields fall back to the conversation’s, then the agent’s.',
  fields: (t) => ({
    mode: t.field({ type: MemoryMode, description: 'Strategy.' }),
    maxUserTurns: t.int({ description: 'trim / summarize: user turns kept before older ones go.' }),
    keepLastUserTurns: t.int({ description: 'summarize / compact: user turns kept verbatim.' }),
    tokenBudget: t.int({ description: 'Accepted for compatibility.' }),
    tokenSoftBudget: t.int({ description: 'Accepted for compatibility.' }),
    tokenRemainingPct: t.float({ description: 'Accepted for compatibility.' }),
    tokenSoftRemainingPct: t.float({ description: 'Accepted for compatibility.' }),
    contextWindowTokens: t.int({ description: 'Accepted for compatibility.' }),
    compactTriggerTurns: t.int({
      description: 'compact: user turns past which older answers are shortened.',
    }),
    compactKeep: t.int({ description: 'compact: user turns kept verbatim.' }),
    compactClearToolInputs: t.boolean({ description: 'Accepted for compatibility.' }),
    compactExcludeTools: t.stringList({ description: 'Accepted for compatibility.' }),
    compactIncludeTools: t.stringList({ description: 'Accepted for compatibility.' }),
    summarizerModel: t.string({ description: 'summarize: the model that writes the summary.' }),
    summaryMaxTokens: t.int({ description: 'summarize: longest summary, in tokens.' }),
    summaryMaxChars: t.int({ description: 'summarize: longest summary, in characters.' }),
  }),
});

const AttachmentInput = builder.inputType('ChatAttachmentInput', {
  description: 'A stored object to pass to the agent (needs the storage service).',
  fields: (t) => ({
    objectId: t.string({ required: true, description: 'Storage object id.' }),
    kind: t.string({ description: '`image` or `file`.' }),
  }),
});

const ChatInput = builder.inputType('ChatInput', {
  description: 'A user message for an agent.',
  fields: (t) => ({
    message: t.string({
      required: true,
      description: `The message (1–${MAX_MESSAGE_CHARACTERS} characters).`,
    }),
    attachments: t.field({ type: [AttachmentInput], description: 'Stored objects to attach.' }),
    conversationId: t.string({
      description:
        'Conversation to continue, or a new id of the client’s choosing (any string up to 255); absent: a new one.',
    }),
    agentType: t.string({ description: 'Agent key; an unknown key falls back to the default agent.' }),
    shareLocation: t.boolean({ description: 'Whether `location` may be used.' }),
    location: t.field({ type: LocationInput, description: 'Where the user is.' }),
    context: t.field({ type: 'JSON', description: 'Prompt variables (strings, numbers, booleans).' }),
    runOptions: t.field({ type: RunOptionsInput, description: 'Runtime knobs.' }),
    memoryStrategy: t.field({ type: MemoryStrategyInput, description: 'Memory for this turn.' }),
    memoryInjection: t.boolean({ description: 'Accepted for compatibility.' }),
    containerOverrides: t.field({ type: 'JSON', description: 'Accepted for compatibility.' }),
    vectorStoreOverrides: t.field({ type: 'JSON', description: 'Accepted for compatibility.' }),
  }),
});

const ChatAttachment = builder.objectRef<{ objectId: string; filename: string }>('ChatAttachment').implement({
  description: 'A file an agent produced.',
  fields: (t) => ({
    objectId: t.exposeString('objectId', { description: 'Storage object id.' }),
    filename: t.exposeString('filename', { description: 'File name.' }),
  }),
});

interface ChatResponseView {
  conversationId: string;
  message: null;
  response: string;
  agentUsed: string;
  handoffOccurred: boolean;
  attachments: { objectId: string; filename: string }[];
  structuredOutput: unknown;
  outputSchema: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
}

const ChatResponse = builder.objectRef<ChatResponseView>('ChatResponse').implement({
  description: 'An agent’s answer to one message.',
  fields: (t) => ({
    conversationId: t.exposeString('conversationId', {
      description: 'The conversation, as the client named it.',
    }),
    message: t.string({ nullable: true, description: 'Always null (legacy field).', resolve: () => null }),
    response: t.exposeString('response', { description: 'The answer.' }),
    agentUsed: t.exposeString('agentUsed', { description: 'The agent that answered (after handoffs).' }),
    handoffOccurred: t.exposeBoolean('handoffOccurred', { description: 'Whether an agent handed off.' }),
    attachments: t.field({
      type: [ChatAttachment],
      description: 'Files produced.',
      resolve: (r) => r.attachments,
    }),
    structuredOutput: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Structured output, when the agent declares a schema.',
      resolve: (r) => r.structuredOutput,
    }),
    outputSchema: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The schema of the structured output.',
      resolve: (r) => r.outputSchema,
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'model_used, tools_available, status, stream_id, usage.',
      resolve: (r) => r.metadata,
    }),
  }),
});

const ChatTurnStart = builder
  .objectRef<{ conversationId: string; streamId: string }>('ChatTurnStart')
  .implement({
    description: 'A started turn: subscribe to `chatEvents(streamId)` for its frames.',
    fields: (t) => ({
      conversationId: t.exposeString('conversationId', {
        description: 'The conversation, as the client named it.',
      }),
      streamId: t.exposeID('streamId', { description: 'The turn’s stream.' }),
    }),
  });

const ChatUsage = builder.objectRef<ChatTurn>('ChatUsage').implement({
  description: 'Tokens a turn used.',
  fields: (t) => ({
    requests: t.exposeInt('requests', { description: 'Model requests.' }),
    inputTokens: t.exposeInt('inputTokens', { description: 'Input tokens.' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Output tokens.' }),
    totalTokens: t.exposeInt('totalTokens', { description: 'All tokens.' }),
    cachedInputTokens: t.exposeInt('cachedInputTokens', { description: 'Input tokens served from cache.' }),
    reasoningTokens: t.exposeInt('reasoningTokens', { description: 'Reasoning tokens.' }),
  }),
});

const ChatTurnRef = builder.objectRef<ChatTurn>('ChatTurn').implement({
  description: 'One chat turn: a user message and the agent run that answers it.',
  fields: (t) => ({
    streamId: t.exposeID('id', { description: 'The turn’s id, also its stream id.' }),
    conversationId: t.exposeID('conversationId', { description: 'The conversation (stored id).' }),
    status: t.field({ type: ChatTurnStatus, description: 'Status.', resolve: (r) => r.status as never }),
    agent: t.exposeString('agentKey', { description: 'The agent that answered (last after handoffs).' }),
    model: t.exposeString('model', { nullable: true, description: 'Model used.' }),
    responseText: t.exposeString('responseText', {
      nullable: true,
      description: 'The answer so far stored.',
    }),
    error: t.exposeString('errorMessage', { nullable: true, description: 'Why it failed or was refused.' }),
    usage: t.field({ type: ChatUsage, description: 'Token usage.', resolve: (r) => r }),
    cancelRequestedAt: t.expose('cancelRequestedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a cancel was asked.',
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'Start.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'End.' }),
  }),
});

const ChatEvent = builder.objectRef<ChatEventView>('ChatEvent').implement({
  description: 'One frame of a turn’s stream (the `public_sse_v1` schema).',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Resume after this cursor.' }),
    eventId: t.exposeInt('eventId', { description: 'Strictly increasing within the stream.' }),
    kind: t.exposeString('kind', {
      description: 'lifecycle, message.delta, tool.*, agent.updated, final, error …',
    }),
    frame: t.field({
      type: 'JSON',
      description: 'The whole frame as the SSE stream sends it.',
      resolve: (e) => e.frame,
    }),
  }),
});

builder.mutationField('chat', (t) =>
  t.field({
    type: ChatResponse,
    description: 'Send a message and wait for the answer (BAD_GATEWAY when the model provider fails).',
    authScopes: { scope: 'conversations:write' },
    args: { input: t.arg({ type: ChatInput, required: true }) },
    resolve: (_root, { input }, ctx) => chat(ctx, input as never),
  }),
);

builder.mutationField('sendMessage', (t) =>
  t.field({
    type: ChatTurnStart,
    description:
      'Send a message; the answer streams on `chatEvents(streamId)` (the turn runs on without a subscriber).',
    authScopes: { scope: 'conversations:write' },
    args: { input: t.arg({ type: ChatInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const started = await startTurn(ctx, input as never, { streamed: true });
      return { conversationId: started.conversationId, streamId: started.streamId };
    },
  }),
);

builder.mutationField('cancelChatTurn', (t) =>
  t.field({
    type: ChatTurnRef,
    description:
      'Stop a running turn: its provider request is aborted and its stream ends `final` with status `cancelled`.',
    authScopes: { scope: 'conversations:write' },
    args: { streamId: t.arg.id({ required: true, description: 'The turn.' }) },
    resolve: (_root, args, ctx) => cancelTurn(ctx, String(args.streamId)),
  }),
);

builder.queryField('chatTurn', (t) =>
  t.field({
    type: ChatTurnRef,
    description: 'One chat turn of the caller’s tenant.',
    authScopes: { scope: 'conversations:read' },
    args: { streamId: t.arg.id({ required: true, description: 'The turn.' }) },
    resolve: (_root, args, ctx) => getTurn(ctx, String(args.streamId)),
  }),
);

builder.subscriptionField('chatEvents', (t) =>
  t.field({
    type: ChatEvent,
    description:
      'The frames of one turn: replayed from the start (or after `after`), then live; ends after the terminal frame.',
    authScopes: { scope: 'conversations:read' },
    args: {
      streamId: t.arg.id({ required: true, description: 'The turn.' }),
      after: t.arg.string({ description: 'Replay frames after this cursor (an `event_id`).' }),
    },
    subscribe: (_root, args, ctx) => subscribeChatEvents(ctx, String(args.streamId), args.after),
    resolve: (event) => event,
  }),
);

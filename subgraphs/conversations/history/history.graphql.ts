import type {
  Conversation,
  ConversationItem,
  ConversationMessage,
} from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  conversationHistory,
  conversationItems,
  conversationMessages,
  type MessagePage,
} from './history.service.js';
import { MEMORY_MODES, type MemoryConfig, updateConversationMemory } from './memory.service.js';
import { type SearchResult, searchConversations } from './search.service.js';

const MessageDirection = legacyEnum(builder, 'MessageDirection', ['asc', 'desc'], 'Order of a message page.');
/** Also the chat input's `memoryStrategy.mode`. */
export const MemoryMode = legacyEnum(
  builder,
  'MemoryMode',
  MEMORY_MODES,
  'How a conversation’s history is kept short.',
);

const ChatMessage = builder.objectRef<ConversationMessage>('ChatMessage').implement({
  description: 'One message of a conversation.',
  fields: (t) => ({
    messageId: t.exposeID('id', { description: 'Message id (UUID).' }),
    role: t.exposeString('role', { description: '`user`, `assistant` or `system`.' }),
    content: t.exposeString('content', { description: 'Message body.' }),
    timestamp: t.string({
      description: 'When it was written (ISO-8601).',
      resolve: (m) => m.createdAt.toISOString(),
    }),
    attachments: t.field({
      type: 'JSON',
      description: 'Attachments of the message (a list).',
      resolve: (m) => (Array.isArray(m.attachments) ? m.attachments : []),
    }),
  }),
});

const ChatMessagePage = builder.objectRef<MessagePage>('ChatMessagePage').implement({
  description: 'A page of messages (keyset on position).',
  fields: (t) => ({
    items: t.field({ type: [ChatMessage], description: 'Messages of this page.', resolve: (p) => p.items }),
    nextCursor: t.exposeString('nextCursor', {
      nullable: true,
      description: 'Cursor of the next page; null on the last.',
    }),
    prevCursor: t.string({ nullable: true, description: 'Always null (not emitted).', resolve: () => null }),
  }),
});

const AgentContext = builder.objectRef<Conversation>('ConversationAgentContext').implement({
  description: 'Agent metadata of a conversation.',
  fields: (t) => ({
    agentEntrypoint: t.exposeString('agentEntrypoint', {
      description: 'Agent the conversation starts with.',
    }),
    activeAgent: t.exposeString('activeAgent', { nullable: true, description: 'Agent that answered last.' }),
    topicHint: t.exposeString('topicHint', { nullable: true, description: 'Short topic, when known.' }),
    status: t.exposeString('status', { description: 'Lifecycle status.' }),
  }),
});

const ConversationHistory = builder
  .objectRef<{ conversation: Conversation; messages: ConversationMessage[] }>('ConversationHistory')
  .implement({
    description: 'A conversation with its complete message history.',
    fields: (t) => ({
      conversationId: t.id({ description: 'Conversation id.', resolve: (h) => h.conversation.id }),
      displayName: t.string({
        nullable: true,
        description: 'Title.',
        resolve: (h) => h.conversation.displayName,
      }),
      messages: t.field({
        type: [ChatMessage],
        description: 'Every message, oldest first.',
        resolve: (h) => h.messages,
      }),
      createdAt: t.field({
        type: 'DateTime',
        description: 'Creation time.',
        resolve: (h) => h.conversation.createdAt,
      }),
      updatedAt: t.field({
        type: 'DateTime',
        description: 'Last update time.',
        resolve: (h) => h.conversation.updatedAt,
      }),
      agentContext: t.field({
        type: AgentContext,
        description: 'Agent metadata.',
        resolve: (h) => h.conversation,
      }),
    }),
  });

const ConversationItemRef = builder.objectRef<ConversationItem>('ConversationEventItem').implement({
  description: 'One run item of the conversation ledger.',
  fields: (t) => ({
    sequenceNo: t.exposeInt('sequenceNo', { description: 'Position in the conversation’s ledger.' }),
    runItemType: t.exposeString('runItemType', {
      description: 'message, tool_call, tool_result, mcp_call, reasoning, …',
    }),
    runItemName: t.exposeString('runItemName', {
      nullable: true,
      description: 'Provider-specific item name.',
    }),
    role: t.exposeString('role', { nullable: true, description: '`user`, `assistant` or `system`.' }),
    agent: t.exposeString('agent', {
      nullable: true,
      description: 'Agent active when the item was created.',
    }),
    toolCallId: t.exposeString('toolCallId', { nullable: true, description: 'Tool call id.' }),
    toolName: t.exposeString('toolName', { nullable: true, description: 'Tool name.' }),
    model: t.exposeString('model', { nullable: true, description: 'Model.' }),
    contentText: t.exposeString('contentText', { nullable: true, description: 'Text content.' }),
    reasoningText: t.exposeString('reasoningText', { nullable: true, description: 'Reasoning text.' }),
    callArguments: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Tool call arguments.',
      resolve: (i) => i.callArguments,
    }),
    callOutput: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Tool call output.',
      resolve: (i) => i.callOutput,
    }),
    attachments: t.field({
      type: 'JSON',
      description: 'Attachments (a list).',
      resolve: (i) => (Array.isArray(i.attachments) ? i.attachments : []),
    }),
    responseId: t.exposeString('responseId', { nullable: true, description: 'Provider response id.' }),
    workflowRunId: t.exposeString('workflowRunId', {
      nullable: true,
      description: 'Workflow run that produced it.',
    }),
    timestamp: t.string({
      description: 'Creation time (ISO-8601).',
      resolve: (i) => i.createdAt.toISOString(),
    }),
  }),
});

const ConversationItems = builder
  .objectRef<{ conversationId: string; items: ConversationItem[] }>('ConversationEventItems')
  .implement({
    description: 'The run-item ledger of a conversation.',
    fields: (t) => ({
      conversationId: t.exposeID('conversationId', { description: 'The conversation.' }),
      items: t.field({
        type: [ConversationItemRef],
        description: 'Items in sequence order.',
        resolve: (r) => r.items,
      }),
    }),
  });

const MemoryConfigRef = builder.objectRef<MemoryConfig>('ConversationMemoryConfig').implement({
  description: 'Stored memory settings of a conversation (null: the agent’s setting applies).',
  fields: (t) => ({
    mode: t.field({
      type: MemoryMode,
      nullable: true,
      description: 'Memory strategy.',
      resolve: (m) => m.mode,
    }),
    maxUserTurns: t.exposeInt('maxUserTurns', {
      nullable: true,
      description: 'Most user turns kept (trim).',
    }),
    keepLastTurns: t.exposeInt('keepLastTurns', {
      nullable: true,
      description: 'Turns kept verbatim (summarize).',
    }),
    compactTriggerTurns: t.exposeInt('compactTriggerTurns', {
      nullable: true,
      description: 'Turns before compaction.',
    }),
    compactKeep: t.exposeInt('compactKeep', { nullable: true, description: 'Turns kept on compaction.' }),
    clearToolInputs: t.exposeBoolean('clearToolInputs', {
      nullable: true,
      description: 'Drop tool inputs on compaction.',
    }),
    memoryInjection: t.exposeBoolean('memoryInjection', {
      nullable: true,
      description: 'Inject long-term memory.',
    }),
  }),
});

const MemoryConfigInput = builder.inputType('ConversationMemoryConfigInput', {
  description: 'Memory settings to change: absent fields stay, null clears.',
  fields: (t) => ({
    mode: t.field({ type: MemoryMode, description: 'Memory strategy.' }),
    maxUserTurns: t.int({ description: 'Most user turns kept (1–1000).' }),
    keepLastTurns: t.int({ description: 'Turns kept verbatim (1–1000).' }),
    compactTriggerTurns: t.int({ description: 'Turns before compaction (1–1000).' }),
    compactKeep: t.int({ description: 'Turns kept on compaction (1–1000).' }),
    clearToolInputs: t.boolean({ description: 'Drop tool inputs on compaction.' }),
    memoryInjection: t.boolean({ description: 'Inject long-term memory.' }),
  }),
});

const SearchResultRef = builder.objectRef<SearchResult>('ConversationSearchResult').implement({
  description: 'A conversation matching a search, with its best-matching message.',
  fields: (t) => ({
    conversationId: t.exposeID('conversationId', { description: 'The conversation.' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'Title.' }),
    agentEntrypoint: t.exposeString('agentEntrypoint', { nullable: true, description: 'Entry agent.' }),
    activeAgent: t.exposeString('activeAgent', { nullable: true, description: 'Agent that answered last.' }),
    topicHint: t.exposeString('topicHint', { nullable: true, description: 'Short topic.' }),
    status: t.exposeString('status', { nullable: true, description: 'Lifecycle status.' }),
    preview: t.exposeString('preview', { description: 'The best-matching message (first 200 characters).' }),
    lastMessagePreview: t.exposeString('lastMessagePreview', {
      nullable: true,
      description: 'Last message preview.',
    }),
    score: t.exposeFloat('score', {
      nullable: true,
      description: 'Relevance (ts_rank of the best message).',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true, description: 'Last update time.' }),
  }),
});

const SearchPage = builder
  .objectRef<{ items: SearchResult[]; nextCursor: string | null }>('ConversationSearchPage')
  .implement({
    description: 'A page of search results.',
    fields: (t) => ({
      items: t.field({
        type: [SearchResultRef],
        description: 'Results, best first.',
        resolve: (p) => p.items,
      }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

builder.queryField('conversationHistory', (t) =>
  t.field({
    type: ConversationHistory,
    description: 'A conversation with all its messages (NOT_FOUND when unknown, foreign or empty).',
    authScopes: { scope: 'conversations:read' },
    args: { conversationId: t.arg.id({ required: true, description: 'The conversation.' }) },
    resolve: (_root, args, ctx) => conversationHistory(ctx, String(args.conversationId)),
  }),
);

builder.queryField('conversationMessages', (t) =>
  t.field({
    type: ChatMessagePage,
    description: 'A page of a conversation’s messages, newest first by default.',
    authScopes: { scope: 'conversations:read' },
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
      direction: t.arg({ type: MessageDirection, description: 'Order (default desc: newest first).' }),
    },
    resolve: (_root, args, ctx) =>
      conversationMessages(ctx, { ...args, conversationId: String(args.conversationId) }),
  }),
);

builder.queryField('conversationItems', (t) =>
  t.field({
    type: ConversationItems,
    description: 'The run-item ledger of a conversation, in sequence order.',
    authScopes: { scope: 'conversations:read' },
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      workflowRunId: t.arg.string({ description: 'Only the items of this workflow run.' }),
    },
    resolve: (_root, args, ctx) => conversationItems(ctx, String(args.conversationId), args.workflowRunId),
  }),
);

builder.queryField('searchConversations', (t) =>
  t.field({
    type: SearchPage,
    description: 'Full-text search over the tenant’s messages, one result per conversation, best first.',
    authScopes: { scope: 'conversations:read' },
    args: {
      q: t.arg.string({ required: true, description: 'Search text (at least 1 character).' }),
      limit: t.arg.int({ description: 'Page size (1–50, default 20).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
      agent: t.arg.string({ description: 'Only conversations starting with this agent.' }),
    },
    resolve: (_root, args, ctx) => searchConversations(ctx, args),
  }),
);

builder.mutationField('updateConversationMemory', (t) =>
  t.field({
    type: MemoryConfigRef,
    description: 'Change a conversation’s stored memory settings (owners and admins).',
    authScopes: { scope: 'conversations:write' },
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      input: t.arg({ type: MemoryConfigInput, required: true }),
    },
    resolve: (_root, args, ctx) => updateConversationMemory(ctx, String(args.conversationId), args.input),
  }),
);

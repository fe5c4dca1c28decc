import type { Conversation } from '../../generated/prisma/client.js';
import { legacyEnum } from '../kernel/builder.js';
import { builder } from './builder.js';
import type { ConversationEventKind as ConversationEventKindValue } from './conversation.events.js';
import {
  type ConversationEventView,
  createConversation,
  deleteConversation,
  getConversation,
  getConversationRef,
  listConversations,
  listUserConversations,
  renameConversation,
  subscribeConversationEvents,
} from './conversation.service.js';

const ConversationRef = builder.objectRef<Conversation>('Conversation');

const ConversationStatus = legacyEnum(
  builder,
  'ConversationStatus',
  ['active', 'archived'],
  'Lifecycle status of a conversation.',
);

const ConversationEventKind = legacyEnum(
  builder,
  'ConversationEventKind',
  [
    'conversation.created',
    'conversation.title.updated',
    'conversation.title.generated',
    'conversation.deleted',
  ] satisfies ConversationEventKindValue[],
  'What happened to a conversation.',
);

/** `User` belongs to identity; this subgraph adds the user's conversations to it. */
const UserRef = builder.externalRef('User', builder.selection<{ id: string }>('id')).implement({
  externalFields: () => ({}),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'User id (UUID).' }),
    conversations: t.field({
      type: [ConversationRef],
      description: 'Conversations this user started (in the caller’s tenant, most recent first).',
      authScopes: { scope: 'conversations:read' },
      args: { limit: t.arg.int({ description: 'Page size (1–100, default 20).' }) },
      resolve: (user, { limit }, ctx) => listUserConversations(ctx, user.id, limit),
    }),
  }),
});

ConversationRef.implement({
  description: 'A conversation thread between users and agents, visible to every member of its tenant.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Conversation id (UUID).' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'Title of the conversation.' }),
    agentEntrypoint: t.exposeString('agentEntrypoint', {
      description: 'Agent the conversation starts with.',
    }),
    activeAgent: t.exposeString('activeAgent', { nullable: true, description: 'Agent that answered last.' }),
    topicHint: t.exposeString('topicHint', { nullable: true, description: 'Short topic, when known.' }),
    status: t.field({
      type: ConversationStatus,
      description: 'Lifecycle status.',
      resolve: (c) => c.status as 'active' | 'archived',
    }),
    messageCount: t.exposeInt('messageCount', { description: 'Number of messages.' }),
    lastMessagePreview: t.string({
      description: 'First 160 characters of the last message ("" when none).',
      resolve: (c) => (c.lastMessagePreview ?? '').slice(0, 160),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last update time.' }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'User who started the conversation (null when a tenant API key did).',
      resolve: (c) => (c.userId ? { id: c.userId } : null),
    }),
  }),
});

builder.asEntity(ConversationRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => getConversationRef(ctx, ref.id),
});

const ConversationPage = builder
  .objectRef<{ items: Conversation[]; nextCursor: string | null }>('ConversationPage')
  .implement({
    description: 'A page of conversations.',
    fields: (t) => ({
      items: t.field({
        type: [ConversationRef],
        description: 'Conversations of this page.',
        resolve: (p) => p.items,
      }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

const ConversationEvent = builder.objectRef<ConversationEventView>('ConversationEvent').implement({
  description: 'Something that happened to a conversation.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Position in the conversation’s event stream; resume after it.',
    }),
    kind: t.expose('kind', { type: ConversationEventKind, description: 'What happened.' }),
    conversationId: t.exposeID('conversationId', { description: 'The conversation.' }),
    displayName: t.exposeString('displayName', {
      nullable: true,
      description: 'Title at the time of the event.',
    }),
    timestamp: t.exposeString('timestamp', { description: 'When it happened (ISO-8601).' }),
    conversation: t.field({
      type: ConversationRef,
      nullable: true,
      description: 'The conversation now (null once deleted).',
      resolve: (e, _args, ctx) => getConversationRef(ctx, e.conversationId),
    }),
  }),
});

const CreateConversationInput = builder.inputType('CreateConversationInput', {
  description: 'A new, empty conversation.',
  fields: (t) => ({
    displayName: t.string({ description: 'Title (1–200 characters).' }),
    agentEntrypoint: t.string({ description: 'Agent to start with (default: "default").' }),
  }),
});

builder.queryField('conversations', (t) =>
  t.field({
    type: ConversationPage,
    description: 'Conversations of the caller’s tenant, most recently updated first.',
    authScopes: { scope: 'conversations:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
      agent: t.arg.string({ description: 'Only conversations starting with this agent.' }),
    },
    resolve: (_root, args, ctx) => listConversations(ctx, args),
  }),
);

builder.queryField('conversation', (t) =>
  t.field({
    type: ConversationRef,
    description: 'One conversation of the caller’s tenant (NOT_FOUND for unknown or foreign ids).',
    authScopes: { scope: 'conversations:read' },
    args: { conversationId: t.arg.id({ required: true, description: 'The conversation.' }) },
    resolve: (_root, args, ctx) => getConversation(ctx, String(args.conversationId)),
  }),
);

builder.mutationField('createConversation', (t) =>
  t.field({
    type: ConversationRef,
    description: 'Start an empty conversation in the caller’s tenant.',
    authScopes: { scope: 'conversations:write' },
    args: { input: t.arg({ type: CreateConversationInput, required: true }) },
    resolve: (_root, { input }, ctx) => createConversation(ctx, input),
  }),
);

builder.mutationField('renameConversation', (t) =>
  t.field({
    type: ConversationRef,
    description: 'Change the title of a conversation.',
    authScopes: { scope: 'conversations:write' },
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      displayName: t.arg.string({ required: true, description: 'New title (1–200 characters).' }),
    },
    resolve: (_root, args, ctx) => renameConversation(ctx, String(args.conversationId), args.displayName),
  }),
);

builder.mutationField('deleteConversation', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Delete a conversation and its history (owners and admins).',
    authScopes: { scope: 'conversations:delete' },
    args: { conversationId: t.arg.id({ required: true, description: 'The conversation.' }) },
    resolve: (_root, args, ctx) => deleteConversation(ctx, String(args.conversationId)),
  }),
);

builder.subscriptionType({ description: 'Live event streams.' });

builder.subscriptionField('conversationEvents', (t) =>
  t.field({
    type: ConversationEvent,
    description: 'Events of one conversation. Pass the last seen `cursor` as `after` to resume without loss.',
    authScopes: { scope: 'conversations:read' },
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      after: t.arg.string({ description: 'Replay events after this cursor first.' }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeConversationEvents(ctx, String(args.conversationId), args.after),
    resolve: (event) => event,
  }),
);

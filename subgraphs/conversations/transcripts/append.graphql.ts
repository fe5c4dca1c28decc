import { builder } from '../builder.js';
import {
  type AppendOutcome,
  appendConversationMessages,
  MAX_APPEND_CONTENT,
  MAX_APPEND_MESSAGES,
} from './append.service.js';

const AppendOutcomeRef = builder.objectRef<AppendOutcome>('ConversationAppendOutcome').implement({
  description: 'What appendConversationMessages stored.',
  fields: (t) => ({
    conversationId: t.exposeID('conversationId', { description: 'The conversation (UUID).' }),
    created: t.exposeBoolean('created', { description: 'The conversation was created by this call.' }),
    messageCount: t.exposeInt('messageCount', { description: 'Messages in the conversation now.' }),
    positions: t.exposeIntList('positions', { description: 'The positions the messages got, in order.' }),
  }),
});

const AppendMessageInput = builder.inputType('AppendConversationMessageInput', {
  description: 'One message to append.',
  fields: (t) => ({
    role: t.string({ required: true, description: '`user` or `assistant`.' }),
    content: t.string({ required: true, description: `The text (1–${MAX_APPEND_CONTENT} characters).` }),
    agent: t.string({ description: 'The agent that said it (assistant messages).' }),
    at: t.field({ type: 'DateTime', description: 'When it was said (default: now).' }),
  }),
});

const AppendInput = builder.inputType('AppendConversationMessagesInput', {
  description: 'Messages to append to a conversation, and how to name it if this call creates it.',
  fields: (t) => ({
    messages: t.field({
      type: [AppendMessageInput],
      required: true,
      description: `The messages, in order (1–${MAX_APPEND_MESSAGES}).`,
    }),
    displayName: t.string({ description: 'Title, when this call creates the conversation.' }),
    agentEntrypoint: t.string({
      description:
        'Agent the conversation starts with, when this call creates it (default: the run’s agent).',
    }),
  }),
});

builder.mutationField('appendConversationMessages', (t) =>
  t.field({
    type: AppendOutcomeRef,
    description:
      'Appends messages (a voice transcript) at the next positions of a conversation of the caller’s tenant. An agent run may only write its own conversation and creates it on the first append; other callers only an existing one (NOT_FOUND otherwise).',
    authScopes: { scope: 'conversations:write' },
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation (UUID).' }),
      input: t.arg({ type: AppendInput, required: true, description: 'The messages.' }),
    },
    resolve: (_root, args, ctx) => appendConversationMessages(ctx, String(args.conversationId), args.input),
  }),
);

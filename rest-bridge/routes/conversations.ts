import type { FieldAliases, RestRoute } from './types.js';

export const conversationRoutes: RestRoute[] = [
  {
    field: 'Query.conversations',
    method: 'GET',
    path: '/api/v1/conversations',
    tags: ['conversations'],
    summary: 'List conversations',
  },
  {
    field: 'Mutation.createConversation',
    method: 'POST',
    path: '/api/v1/conversations',
    status: 201,
    tags: ['conversations'],
    summary: 'Start an empty conversation (not in the legacy contract)',
  },
  {
    field: 'Mutation.deleteConversation',
    method: 'DELETE',
    path: '/api/v1/conversations/{conversation_id}',
    status: 204,
    tags: ['conversations'],
    summary: 'Delete a conversation',
  },
];

/** The legacy API names a conversation's id `conversation_id`. */
export const conversationAliases: FieldAliases = { Conversation: { id: 'conversation_id' } };

export const conversationIgnored = ['Conversation.user'];

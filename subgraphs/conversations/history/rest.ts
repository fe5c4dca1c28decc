import type { RestRoute } from '../../../rest-bridge/routes/types.js';

/** REST rows of the conversation read/config surface, spread into the domain's rest.ts. */
export const historyRoutes: RestRoute[] = [
  {
    field: 'Query.searchConversations',
    method: 'GET',
    path: '/api/v1/conversations/search',
    tags: ['conversations'],
    summary: 'Search conversations',
  },
  {
    field: 'Query.conversationHistory',
    method: 'GET',
    path: '/api/v1/conversations/{conversation_id}',
    tags: ['conversations'],
    summary: 'Get a conversation with its messages',
  },
  {
    field: 'Query.conversationMessages',
    method: 'GET',
    path: '/api/v1/conversations/{conversation_id}/messages',
    tags: ['conversations'],
    summary: 'List a conversation’s messages',
  },
  {
    field: 'Query.conversationItems',
    method: 'GET',
    path: '/api/v1/conversations/{conversation_id}/events',
    tags: ['conversations'],
    summary: 'List a conversation’s run items',
  },
  {
    field: 'Mutation.updateConversationMemory',
    method: 'PATCH',
    path: '/api/v1/conversations/{conversation_id}/memory',
    tags: ['conversations'],
    summary: 'Update a conversation’s memory settings',
  },
];

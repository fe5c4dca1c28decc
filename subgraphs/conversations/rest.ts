import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { chatRoutes, chatStreams } from './chat/rest.js';
import { historyRoutes } from './history/rest.js';

/** The REST face of conversations: one row per route, and the conversation stream. */
export const conversationsRest: RestSurface = {
  routes: [
    ...chatRoutes,
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
    ...historyRoutes,
  ],
  /** The legacy API names a conversation's id `conversation_id`. */
  aliases: { Conversation: { id: 'conversation_id' } },
  ignored: ['Conversation.user'],
  streams: [
    ...chatStreams,
    {
      method: 'GET',
      path: '/api/v1/conversations/{conversation_id}/stream',
      precheck: 'query ConversationExists($id: ID!) { conversation(conversationId: $id) { id } }',
      subscription: `subscription ConversationStream($id: ID!, $after: String) {
        conversationEvents(conversationId: $id, after: $after) { cursor kind conversationId displayName timestamp }
      }`,
      field: 'conversationEvents',
      eventType: 'ConversationEvent',
      variables: ({ params, after }) => ({ id: params.conversation_id ?? '', after }),
      tags: ['conversations'],
      summary: 'Stream conversation metadata events',
    },
  ],
};

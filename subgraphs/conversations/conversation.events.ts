/** Topics this subgraph publishes: one stream per conversation. */
export const conversationStream = (conversationId: string) => `conversation:${conversationId}`;

export type ConversationEventKind =
  | 'conversation.created'
  | 'conversation.title.updated'
  | 'conversation.title.generated'
  | 'conversation.deleted';

/** The payload stored for every conversation event (the legacy ConversationMetaEvent). */
export interface ConversationEventPayload {
  kind: ConversationEventKind;
  conversationId: string;
  displayName: string | null;
  timestamp: string;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewayContextFromHeaders } from '../../gateway/request-context.js';
import { Casing } from '../casing.js';
import { gql, resumeCursor, type StreamRequest, serveSse } from './sse.js';

const PRECHECK = gql('query ConversationExists($id: ID!) { conversation(conversationId: $id) { id } }');
const EVENTS = gql(`subscription ConversationStream($id: ID!, $after: String) {
  conversationEvents(conversationId: $id, after: $after) { cursor kind conversationId displayName timestamp }
}`);

/** GET /api/v1/conversations/{conversation_id}/stream: ConversationMetaEvent frames. */
export async function conversationStream(req: IncomingMessage, res: ServerResponse, options: StreamRequest) {
  const id = options.params.conversation_id ?? '';
  const after = resumeCursor(req, options.url);
  const casing = new Casing(options.subscriptions.apiSchema, {});
  const eventType = options.subscriptions.apiSchema.getType('ConversationEvent');
  await serveSse(
    req,
    res,
    options,
    gatewayContextFromHeaders(req.headers, req.socket.remoteAddress, options.config.TRUST_PROXY_HOPS),
    {
      precheck: { document: PRECHECK, variables: { id } },
      origin: { conversationId: 'path', after: 'query' },
      subscription: { document: EVENTS, variables: { id, after } },
      frame: (data) => {
        const { cursor, ...event } = data.conversationEvents as { cursor: string } & Record<string, unknown>;
        return { id: cursor, data: eventType ? casing.output(event, eventType) : event };
      },
    },
  );
}

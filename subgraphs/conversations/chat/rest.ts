import type { RestRoute, RestStream } from '../../../rest-bridge/routes/types.js';

const TURN_STREAM = '/api/v1/chat/streams/{stream_id}';

/** Chat turns over REST: a plain turn, a streamed one, resuming and cancelling a stream. */
export const chatRoutes: RestRoute[] = [
  {
    field: 'Mutation.chat',
    method: 'POST',
    path: '/api/v1/chat',
    tags: ['chat'],
    summary: 'Chat with an agent',
  },
  {
    field: 'Mutation.sendMessage',
    method: 'POST',
    path: '/api/v1/chat/stream',
    sse: { stream: TURN_STREAM, params: (data) => ({ stream_id: String(data.stream_id) }) },
    tags: ['chat'],
    summary: 'Chat with an agent, streamed (public_sse_v1 frames)',
  },
  {
    field: 'Mutation.cancelChatTurn',
    method: 'POST',
    path: '/api/v1/chat/streams/{stream_id}/cancel',
    tags: ['chat'],
    summary: 'Cancel a running chat turn (not in the legacy contract)',
  },
];

export const chatStreams: RestStream[] = [
  {
    method: 'GET',
    path: TURN_STREAM,
    precheck: 'query ChatTurnExists($id: ID!) { chatTurn(streamId: $id) { streamId } }',
    subscription: `subscription ChatTurnStream($id: ID!, $after: String) {
      chatEvents(streamId: $id, after: $after) { cursor frame }
    }`,
    field: 'chatEvents',
    eventType: 'ChatEvent',
    dataField: 'frame',
    variables: ({ params, after }) => ({ id: params.stream_id ?? '', after }),
    tags: ['chat'],
    summary: 'Resume a chat turn’s stream (Last-Event-ID or ?after=); a finished turn replays to its end',
  },
];

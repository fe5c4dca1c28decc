import type { IncomingMessage, ServerResponse } from 'node:http';
import { conversationStream } from './conversation-stream.js';
import type { StreamRequest } from './sse.js';

type StreamHandler = (req: IncomingMessage, res: ServerResponse, options: StreamRequest) => Promise<void>;

export interface StreamRoute {
  method: 'GET' | 'POST';
  path: string;
  handle: StreamHandler;
  /** The contract operation whose SSE response this stream serves. */
  tags: string[];
  summary: string;
}

/** The SSE routes of the REST face (sofa does webhooks, not streams). */
export const streamRoutes: readonly StreamRoute[] = [
  {
    method: 'GET',
    path: '/api/v1/conversations/{conversation_id}/stream',
    handle: conversationStream,
    tags: ['conversations'],
    summary: 'Stream conversation metadata events',
  },
];

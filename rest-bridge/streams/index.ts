import type { IncomingMessage, ServerResponse } from 'node:http';
import { restStreams } from '../routes/index.js';
import type { RestStream } from '../routes/types.js';
import { compileStream, serveStream } from './serve-stream.js';
import type { StreamRequest } from './sse.js';

/** A declared stream with the handler that serves it (the bridge's router picks the one route). */
export interface StreamRoute extends RestStream {
  handle: (req: IncomingMessage, res: ServerResponse, options: StreamRequest) => Promise<void>;
}

/** The SSE routes of the REST face (sofa does webhooks, not streams), declared by the domains. */
export const streamRoutes: readonly StreamRoute[] = restStreams.map((stream) => {
  const compiled = compileStream(stream);
  return { ...stream, handle: (req, res, options) => serveStream(req, res, options, compiled) };
});

import type { IncomingMessage, ServerResponse } from 'node:http';
import { compilePath, matchPath } from '../path-pattern.js';
import { restStreams } from '../routes/index.js';
import type { RestStream } from '../routes/types.js';
import { compileStream, serveStream } from './serve-stream.js';
import type { StreamRequest } from './sse.js';

export type StreamRoute = RestStream;

/** The SSE routes of the REST face (sofa does webhooks, not streams), declared by the domains. */
export const streamRoutes: readonly StreamRoute[] = restStreams;

const compiled = streamRoutes.map((stream) => ({
  stream: compileStream(stream),
  path: compilePath(stream.path),
}));

export function matchStream(method: string, pathname: string) {
  for (const c of compiled) {
    const params = c.stream.stream.method === method ? matchPath(c.path, pathname) : null;
    if (params) {
      return {
        params,
        handle: (req: IncomingMessage, res: ServerResponse, options: Omit<StreamRequest, 'params'>) =>
          serveStream(req, res, { ...options, params }, c.stream),
      };
    }
  }
  return null;
}

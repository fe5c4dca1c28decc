import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DocumentNode, type ExecutionResult, type GraphQLFormattedError, parse } from 'graphql';
import type { GatewayContext } from '../../gateway/context.js';
import { trusted } from '../../gateway/hardening.js';
import type { RestBridgeOptions } from '../create-rest-bridge.js';
import { type ArgumentOrigin, errorResponse, withRestLocs } from '../errors.js';

export interface StreamRequest extends RestBridgeOptions {
  params: Record<string, string>;
  url: URL;
  /** Resume after this cursor instead of the request's `Last-Event-ID` / `?after=` ('0': from the start). */
  after?: string;
  /** The caller's access was just established by the operation that started the stream: no precheck. */
  skipPrecheck?: boolean;
}

export interface SseStreamSpec {
  /** A query run first: its errors (401, 403, 404 …) answer as JSON before any stream starts. */
  precheck?: { document: DocumentNode; variables: Record<string, unknown> };
  subscription: { document: DocumentNode; variables: Record<string, unknown> };
  /** One SSE frame's JSON from one subscription payload, plus its id (the resume cursor). */
  frame: (data: Record<string, unknown>) => { id: string; data: unknown };
  /** Where the GraphQL arguments came from, for the `loc` of validation errors. */
  origin: ArgumentOrigin;
  /**
   * The same for every request whose frames are alike (the stream's route): a result the gateway
   * shares between identical subscribers is then framed and serialised once for all of them.
   */
  frameCache?: object;
}

const frameTexts = new WeakMap<object, WeakMap<object, string>>();

/** The SSE frame of a result, serialised once per result and stream route. */
function frameText(spec: SseStreamSpec, value: object, data: Record<string, unknown>): string {
  const texts = spec.frameCache ? frameTexts.get(spec.frameCache) : undefined;
  const cached = texts?.get(value);
  if (cached !== undefined) {
    return cached;
  }
  const frame = spec.frame(data);
  const text = `id: ${frame.id}\ndata: ${JSON.stringify(frame.data)}\n\n`;
  if (spec.frameCache) {
    if (texts) {
      texts.set(value, text);
    } else {
      frameTexts.set(spec.frameCache, new WeakMap([[value, text]]));
    }
  }
  return text;
}

function sendError(res: ServerResponse, errors: readonly GraphQLFormattedError[], origin: ArgumentOrigin) {
  const { status, body, headers } = errorResponse(errors);
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(status === 422 ? withRestLocs(body, origin) : body));
}

export const gql = (source: string) => parse(source);

/**
 * Serves a gateway subscription as `text/event-stream`: `id:` carries the stream cursor so that
 * `Last-Event-ID` resumes without loss, `data:` the JSON payload; comment heartbeats keep proxies
 * from closing idle streams; the upstream subscription ends when the client goes away.
 */
export async function serveSse(
  req: IncomingMessage,
  res: ServerResponse,
  options: StreamRequest,
  context: GatewayContext,
  spec: SseStreamSpec,
): Promise<void> {
  if (spec.precheck) {
    const check = await options.apollo.executeOperation(
      { query: spec.precheck.document, variables: spec.precheck.variables },
      { contextValue: trusted(context) },
    );
    const errors = check.body.kind === 'single' ? check.body.singleResult.errors : undefined;
    if (errors?.length) {
      sendError(res, errors, spec.origin);
      return;
    }
  }
  const result = options.subscriptions.subscribe({
    document: spec.subscription.document,
    variableValues: spec.subscription.variables,
    contextValue: context,
  });
  if (!(Symbol.asyncIterator in result)) {
    sendError(res, (result as ExecutionResult).errors?.map((e) => e.toJSON()) ?? [], spec.origin);
    return;
  }
  const iterator = result;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const heartbeat = setInterval(() => res.write(': ping\n\n'), options.config.SSE_HEARTBEAT_MS);
  const stop = () => {
    clearInterval(heartbeat);
    void iterator.return?.();
  };
  req.on('close', stop);
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        break;
      }
      const value = next.value as {
        data?: Record<string, unknown> | null;
        errors?: readonly GraphQLFormattedError[];
      };
      if (value.errors?.length && !value.data) {
        const { body } = errorResponse(value.errors);
        res.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
        break;
      }
      if (value.data) {
        if (!res.write(frameText(spec, value, value.data))) {
          // A slow reader: pull the next event only once this one is on its way, so a long replay
          // is read page by page as the client takes it instead of piling up in memory.
          await drained(res);
        }
      }
    }
  } finally {
    stop();
    res.end();
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) {
      resolve();
      return;
    }
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The resume cursor: the `Last-Event-ID` header (sent by EventSource on reconnect), or `?after=`. */
export function resumeCursor(req: IncomingMessage, url: URL): string | null {
  const header = req.headers['last-event-id'];
  const value = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('after');
  return value && /^\d{1,18}$/.test(value) ? value : null;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DocumentNode } from 'graphql';
import { gatewayContextFromHeaders } from '../../gateway/request-context.js';
import { Casing, toSnake } from '../casing.js';
import type { ArgumentOrigin } from '../errors.js';
import { fieldAliases } from '../routes/index.js';
import type { RestStream } from '../routes/types.js';
import { legacyEnumSchema } from '../schema.js';
import { gql, resumeCursor, type StreamRequest, serveSse } from './sse.js';

export interface CompiledStream {
  stream: RestStream;
  precheck: DocumentNode | null;
  subscription: DocumentNode;
}

export function compileStream(stream: RestStream): CompiledStream {
  return {
    stream,
    precheck: stream.precheck ? gql(stream.precheck) : null,
    subscription: gql(stream.subscription),
  };
}

/**
 * Serves any declared stream: the precheck, then the subscription, one frame per value of
 * `stream.field`: its `cursor` is the frame's `id:` (Last-Event-ID resumes), the rest, REST-cased, is `data:`.
 */
export async function serveStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: StreamRequest,
  compiled: CompiledStream,
): Promise<void> {
  const { stream } = compiled;
  const variables = stream.variables({
    params: options.params,
    after: options.after ?? resumeCursor(req, options.url),
  });
  const schema = legacyEnumSchema(options.subscriptions.apiSchema);
  const casing = new Casing(schema, fieldAliases);
  const eventType = schema.getType(stream.eventType);
  if (!eventType) {
    throw new Error(`stream ${stream.path}: no type ${stream.eventType} in the schema`);
  }
  // Validation details name the root field's arguments: those of path parameters came from the path.
  const rootField = options.subscriptions.apiSchema.getSubscriptionType()?.getFields()[stream.field];
  const origin: ArgumentOrigin = Object.fromEntries(
    (rootField?.args ?? []).map((a) => [a.name, toSnake(a.name) in options.params ? 'path' : 'query']),
  );
  await serveSse(
    req,
    res,
    options,
    gatewayContextFromHeaders(req.headers, req.socket.remoteAddress, options.config.TRUST_PROXY_HOPS),
    {
      ...(compiled.precheck && !options.skipPrecheck
        ? { precheck: { document: compiled.precheck, variables } }
        : {}),
      origin,
      frameCache: compiled,
      subscription: { document: compiled.subscription, variables },
      frame: (data) => {
        const { cursor, ...event } = data[stream.field] as { cursor: string } & Record<string, unknown>;
        if (stream.dataField) {
          return { id: cursor, data: event[stream.dataField] };
        }
        return { id: cursor, data: casing.output(event, eventType) };
      },
    },
  );
}

import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type GraphQLSchema, parse, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type Ctx, createContext, FORWARDED_HEADERS } from './context.js';
import { formatSubgraphError } from './format-error.js';
import { idempotencyPlugin } from './idempotency.js';
import type { Kernel } from './kernel.js';
import { listen as listenOn } from './listen.js';
import { nulGuardPlugin, nulIssues } from './nul-guard.js';
import { guardViewerStream } from './stream-access.js';

/** A domain subgraph: its name and its federated schema. */
export interface SubgraphModule {
  name: string;
  schema: GraphQLSchema;
  /**
   * Background work of the domain (job workers), started with the subgraph in every process that
   * serves it; the returned function stops it before the subgraph closes.
   */
  start?: (kernel: Kernel) => Promise<() => Promise<void>>;
}

export interface ServedSubgraph {
  name: string;
  url: string;
  close(): Promise<void>;
}

function forwardedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = header(headers[name]);
    if (value !== null) {
      out[name] = value;
    }
  }
  return out;
}

function header(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/**
 * Serves a subgraph: Apollo Server 5 on `/graphql` (HTTP) plus graphql-ws on the same path and
 * port, and `/health`. Subgraphs sit behind the gateway and are never exposed directly.
 */
export async function serveSubgraph(
  kernel: Kernel,
  subgraph: SubgraphModule,
  address: { host: string; port: number },
): Promise<ServedSubgraph> {
  const app = express();
  const httpServer = createServer(app);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const formatError = formatSubgraphError(kernel.log.child({ subgraph: subgraph.name }));
  const wsCleanup = useServer(
    {
      schema: subgraph.schema,
      // The gateway multiplexes one connection per subgraph: each operation carries its caller's credential.
      context: (ctx, _id, payload) =>
        createContext(kernel, {
          authorization:
            (payload.extensions?.authorization as string | undefined) ??
            (ctx.connectionParams?.authorization as string | undefined) ??
            null,
          headers: (payload.extensions?.headers as Record<string, string> | undefined) ?? {},
        }),
      // No string with U+0000 reaches a resolver (PostgreSQL cannot store it); see nul-guard.ts.
      onSubscribe: (_ctx, _id, payload) => {
        let issues: ReturnType<typeof nulIssues> = [];
        try {
          issues = nulIssues(parse(payload.query), payload.operationName, payload.variables ?? {});
        } catch {
          return; // graphql-ws reports the syntax error itself
        }
        return issues.length
          ? [
              new GraphQLError('Request validation failed.', {
                extensions: { code: 'VALIDATION_FAILED', details: issues },
              }),
            ]
          : undefined;
      },
      // Every stream ends when its caller loses access (token expiry, membership, session, API key).
      subscribe: async (args) => {
        const result = await subscribe(args);
        const viewer = (args.contextValue as Ctx).viewer;
        return Symbol.asyncIterator in result && viewer
          ? guardViewerStream(kernel.database.prisma, viewer, result, kernel.config.STREAM_ACCESS_RECHECK_MS)
          : result;
      },
      // An error that ends a stream (thrown by its iterator) gets the same translation as any other.
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? {
              ...result,
              errors: result.errors.map(
                (e) =>
                  new GraphQLError(formatError(e.toJSON(), e).message, {
                    extensions: formatError(e.toJSON(), e).extensions,
                  }),
              ),
            }
          : result,
    },
    wss,
  );
  const server = new ApolloServer({
    schema: subgraph.schema,
    formatError,
    csrfPrevention: false, // only the gateway talks to subgraphs
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      // No @cacheControl in the schemas: its per-field hook wrapped every resolver for nothing.
      ApolloServerPluginCacheControlDisabled(),
      nulGuardPlugin,
      idempotencyPlugin(kernel.idempotency, subgraph.name, formatError),
      {
        // Only the gateway calls subgraphs: answer GraphQL errors (e.g. a bad custom-scalar variable)
        // with 200 so the gateway passes their codes on instead of reporting a failed fetch (a 500).
        async requestDidStart() {
          return {
            async willSendResponse({ response }) {
              response.http.status = 200;
            },
          };
        },
      },
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await server.start();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: subgraph.name });
  });
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json(kernel.keys.jwks());
  });
  app.use(
    '/graphql',
    // Only the gateway calls subgraphs; a file upload travels base64 in its variables.
    express.json({ limit: Math.ceil(kernel.config.FILES_MAX_UPLOAD_MB * 1.4 * 1024 * 1024) + 1024 * 1024 }),
    expressMiddleware(server, {
      context: async ({ req }) =>
        createContext(kernel, {
          authorization: header(req.headers.authorization),
          ip: header(req.headers['x-client-ip']) ?? req.socket.remoteAddress ?? null,
          userAgent: header(req.headers['x-client-user-agent']) ?? header(req.headers['user-agent']),
          requestId: header(req.headers['x-request-id']),
          headers: forwardedHeaders(req.headers),
        }),
    }),
  );
  const port = await listenOn(httpServer, address.host, address.port);
  const url = `http://${address.host}:${port}/graphql`;
  kernel.log.debug({ subgraph: subgraph.name, url }, 'subgraph listening');
  const stopWork = subgraph.start ? await subgraph.start(kernel) : async () => undefined;
  return {
    name: subgraph.name,
    url,
    async close() {
      await stopWork();
      await server.stop();
      httpServer.closeAllConnections();
    },
  };
}

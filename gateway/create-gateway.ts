import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createRestBridge } from '../rest-bridge/create-rest-bridge.js';
import { type BlobStore, LocalBlobStore } from '../subgraphs/kernel/blobs.js';
import type { Config } from '../subgraphs/kernel/config.js';
import { listen as listenOn } from '../subgraphs/kernel/listen.js';
import type { Logger } from '../subgraphs/kernel/logger.js';
import { projectPath } from '../subgraphs/kernel/paths.js';
import type { SubgraphExecutor } from '../subgraphs/kernel/subgraph-executor.js';
import { blobRoutes } from './blob-routes.js';
import type { GatewayContext } from './context.js';
import { subgraphDataSources } from './data-source.js';
import { limitProblems, queryLimitsPlugin } from './hardening.js';
import { mailPagesRouter } from './pages/index.js';
import { playgroundRouter } from './playground.js';
import { gatewayContextFromHeaders } from './request-context.js';
import { replicaUrls, SubscriptionBridge } from './subscription-bridge.js';

/** Directives per operation; legitimate operations use a handful (`@include`, `@skip`). */
const MAX_DIRECTIVES = 50;

/** The committed supergraph (schema/supergraph.graphql), checked current in CI. */
export function readSupergraph(): string {
  return readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8');
}

export interface GatewayOptions {
  config: Config;
  log: Logger;
  supergraphSdl: string;
  /** Subgraph name → its `/graphql` URL, or its replicas' URLs comma-separated (spread round-robin). */
  subgraphUrls: Record<string, string>;
  /** The blob store: the local one's signed URLs are served on `/blobs/` (S3's point at S3). */
  blobs?: BlobStore;
  /**
   * Subgraphs whose queries and mutations run in this process (the embedded layout); the others,
   * and every subscription, go to `subgraphUrls`.
   */
  localSubgraphs?: Record<string, SubgraphExecutor>;
}

export interface RunningGateway {
  url: string;
  port: number;
  httpServer: Server;
  apollo: ApolloServer<GatewayContext>;
  subscriptions: SubscriptionBridge;
  close(): Promise<void>;
}

async function checkSubgraph(url: string): Promise<boolean> {
  try {
    const res = await fetch(url.replace(/\/graphql$/, '/health'), { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The gateway on one port: GraphQL over HTTP and graphql-ws on `/graphql` (with the subscription
 * bridge), the playground for browsers, the pages links in mail open, the REST bridge under `/api`,
 * JWKS and `/health`.
 */
export async function startGateway(
  options: GatewayOptions,
  listen: { host: string; port: number },
): Promise<RunningGateway> {
  const { config, log } = options;
  const replicas = Object.fromEntries(
    Object.entries(options.subgraphUrls).map(([name, value]) => [name, replicaUrls(value)]),
  );
  const dataSources = subgraphDataSources({ config, replicas, local: options.localSubgraphs });
  // @apollo/gateway otherwise reports usage to Apollo's servers and probes cloud metadata endpoints
  // (169.254.169.254) at start-up: a self-hosted platform phones nowhere unless its operator opts in.
  process.env.APOLLO_TELEMETRY_DISABLED ??= config.APOLLO_TELEMETRY === 'true' ? 'false' : 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    // The committed supergraph is composed and validated by `npm run schema:check` (CI); validating
    // it again costs every start about 0.3 s.
    validateSupergraph: false,
    buildService: ({ name, url }) => {
      const source =
        dataSources[name] ?? subgraphDataSources({ config, replicas: { [name]: [url ?? ''] } })[name];
      if (!source) {
        throw new Error(`no data source for subgraph ${name}`);
      }
      dataSources[name] = source;
      return source;
    },
  });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  // Idle keep-alive sockets stay open longer than the usual load balancer and client idle timeouts
  // (60 s), so the gateway is never the side that closes a socket a client is about to reuse
  // (Node's 5 s default turns into ECONNRESETs and proxy 502s after a quiet spell).
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const limits = {
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxCost: config.GRAPHQL_MAX_COST,
    maxDirectives: MAX_DIRECTIVES,
  };
  const production = config.NODE_ENV === 'production';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
    introspection: true,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: !production && config.NODE_ENV !== 'test',
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No @cacheControl anywhere: the plugin would only compute a policy nobody sets.
      ApolloServerPluginCacheControlDisabled(),
      // Client limits (depth, aliases, directives, list-aware cost) once variables are known; the
      // REST bridge's own operations are trusted and skip them.
      queryLimitsPlugin<GatewayContext>(limits),
    ],
  });
  await apollo.start();
  const subscriptions = new SubscriptionBridge(options.supergraphSdl, dataSources, replicas, gateway.schema);

  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1024 * 1024 });
  const wsServer = useServer<Record<string, unknown>, { request: import('node:http').IncomingMessage }>(
    {
      schema: subscriptions.apiSchema,
      // The same limits as over HTTP: tokens while parsing, then validation, then the limits that
      // need the variables. Returning the arguments skips graphql-ws's own parse and validation.
      onSubscribe: (_ctx, _id, payload) => {
        const schema = subscriptions.apiSchema;
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.GRAPHQL_MAX_TOKENS });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const errors = validate(schema, document, specifiedRules);
        const problems = errors.length
          ? errors
          : limitProblems(limits, schema, document, payload.operationName, payload.variables);
        if (problems.length) {
          return problems;
        }
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
        };
      },
      context: (ctx) => {
        const params = ctx.connectionParams ?? {};
        const auth = params.authorization ?? params.Authorization;
        const base = gatewayContextFromHeaders(
          ctx.extra.request.headers,
          ctx.extra.request.socket.remoteAddress,
          config.TRUST_PROXY_HOPS,
        );
        return { ...base, authorization: typeof auth === 'string' ? auth : base.authorization } as never;
      },
      subscribe: (args) =>
        subscriptions.subscribe({
          document: args.document,
          variableValues: args.variableValues as Record<string, unknown> | undefined,
          operationName: args.operationName,
          contextValue: args.contextValue as GatewayContext,
        }) as never,
      execute: async (args) => {
        const response = await apollo.executeOperation(
          {
            query: args.document,
            variables: (args.variableValues ?? {}) as Record<string, unknown>,
            ...(args.operationName ? { operationName: args.operationName } : {}),
          },
          { contextValue: args.contextValue as GatewayContext },
        );
        return (
          response.body.kind === 'single' ? response.body.singleResult : { errors: [] }
        ) as ExecutionResult;
      },
    },
    wss,
  );

  const identityUrl = replicas.identity?.[0];
  app.get('/.well-known/jwks.json', async (_req, res) => {
    const upstream = identityUrl
      ? await fetch(identityUrl.replace(/\/graphql$/, '/.well-known/jwks.json')).catch(() => null)
      : null;
    if (!upstream?.ok) {
      res.status(503).json({
        success: false,
        error: 'ServiceUnavailable',
        message: 'Key service unavailable.',
        details: null,
      });
      return;
    }
    res.set('cache-control', 'public, max-age=300').json(await upstream.json());
  });
  app.get('/health', async (_req, res) => {
    const names = Object.keys(replicas);
    // A subgraph is ok when every one of its replicas answers.
    const results = await Promise.all(
      names.map(async (n) => (await Promise.all((replicas[n] ?? []).map(checkSubgraph))).every(Boolean)),
    );
    const subgraphs = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'ok' : 'unavailable']));
    const healthy = results.every(Boolean);
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'degraded', subgraphs });
  });
  // The committed document (schema/openapi.json, checked current in CI), so running needs no contract file.
  const openapi = readFileSync(projectPath('schema', 'openapi.json'), 'utf8');
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.type('json').send(openapi);
  });
  if (options.blobs instanceof LocalBlobStore) {
    app.use('/blobs', blobRoutes(options.blobs, log));
  }
  app.use(createRestBridge({ apollo, subscriptions, config }));
  app.use(playgroundRouter());
  app.use(mailPagesRouter());
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        gatewayContextFromHeaders(req.headers, req.socket.remoteAddress, config.TRUST_PROXY_HOPS),
    }),
  );

  const port = await listenOn(httpServer, listen.host, listen.port);
  const url = `http://${listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host}:${port}`;
  log.debug({ url }, 'gateway listening');
  return {
    url,
    port,
    httpServer,
    apollo,
    subscriptions,
    async close() {
      await wsServer.dispose();
      await subscriptions.close();
      await apollo.stop();
      httpServer.closeAllConnections();
      await Promise.all(Object.values(dataSources).map((s) => s.close?.()));
    },
  };
}

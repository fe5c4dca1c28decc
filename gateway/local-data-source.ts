import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { RequestCredentials } from '../subgraphs/kernel/context.js';
import type { SubgraphExecutor } from '../subgraphs/kernel/subgraph-executor.js';
import type { GatewayContext } from './context.js';
import { InflightQueries, inflightKey } from './inflight.js';

/**
 * What the subgraph's HTTP server reads from the headers CredentialForwardingDataSource /
 * HttpDataSource send: the credential, client details, request id and forwarded headers.
 */
export function subgraphCredentials(context: Partial<GatewayContext> | undefined): RequestCredentials {
  return {
    authorization: context?.authorization ?? null,
    ip: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
    requestId: context?.requestId ?? null,
    headers: { ...context?.forwarded },
  };
}

/**
 * The embedded layout's data source: the gateway runs the subgraph's schema in this process (no
 * loopback HTTP, no JSON over a socket) with the answers its `/graphql` would give. Identical
 * queries in flight at once run once.
 */
export class LocalDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    readonly executor: SubgraphExecutor,
    private readonly inflight: InflightQueries = new InflightQueries(),
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const context = 'context' in options ? (options.context as Partial<GatewayContext>) : undefined;
    if (!request.query) {
      throw new Error('Missing query');
    }
    const subgraphRequest = {
      query: request.query,
      variables: request.variables,
      operationName: request.operationName ?? null,
    };
    const key =
      this.executor.operationType(request.query, request.operationName) === 'query'
        ? inflightKey(this.executor.name, request, context)
        : null;
    return (await this.inflight.run(key, async () => {
      if (key !== null) {
        // On PGlite a query never waits for I/O, so a fetch would run from start to answer before
        // the next request is even read and nothing identical would ever be in flight beside it.
        // Waiting one event-loop turn lets the requests already arrived join it (DataLoader's window).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return this.executor.execute(subgraphRequest, subgraphCredentials(context));
    })) as GatewayGraphQLResponse;
  }
}

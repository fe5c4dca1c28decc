import type { GraphQLDataSource } from '@apollo/gateway';
import type { Config } from '../subgraphs/kernel/config.js';
import type { SubgraphExecutor } from '../subgraphs/kernel/subgraph-executor.js';
import type { GatewayContext } from './context.js';
import { HttpDataSource } from './http-data-source.js';
import { InflightQueries } from './inflight.js';
import { LocalDataSource } from './local-data-source.js';

export type SubgraphDataSource = GraphQLDataSource<GatewayContext> & { close?(): Promise<void> };

/**
 * The gateway's data source per subgraph: in process where an executor is given (the embedded
 * layout), else HTTP to the subgraph's replicas in turn. One in-flight table for all of them.
 */
export function subgraphDataSources(options: {
  config: Config;
  /** Subgraph name → its replicas' `/graphql` URLs. */
  replicas: Record<string, readonly string[]>;
  /** Subgraph name → its schema run in this process. */
  local?: Record<string, SubgraphExecutor> | undefined;
}): Record<string, SubgraphDataSource> {
  const inflight = new InflightQueries();
  const names = new Set([...Object.keys(options.replicas), ...Object.keys(options.local ?? {})]);
  return Object.fromEntries(
    [...names].map((name) => {
      const executor = options.local?.[name];
      return [
        name,
        executor
          ? new LocalDataSource(executor, inflight)
          : new HttpDataSource({
              name,
              urls: options.replicas[name] ?? [],
              connectTimeoutMs: options.config.SUBGRAPH_CONNECT_TIMEOUT_MS,
              requestTimeoutMs: options.config.SUBGRAPH_REQUEST_TIMEOUT_MS,
              inflight,
            }),
      ];
    }),
  );
}

/**
 * Hive Gateway (`@graphql-hive/gateway-runtime`) serving the committed supergraph in front of the
 * same subgraphs as our gateway, as a side-by-side comparator for `npm run bench`.
 */
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

export interface RunningHive {
  url: string;
  close(): Promise<void>;
}

/**
 * The committed supergraph names placeholder URLs (`http://conversations:4000/graphql`); point
 * every `@join__graph` at the subgraph actually listening on loopback.
 */
export function withSubgraphUrls(supergraphSdl: string, urls: Record<string, string>): string {
  const missing = new Set(Object.keys(urls));
  const sdl = supergraphSdl.replace(
    /@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g,
    (whole, name: string) => {
      const url = urls[name];
      if (!url) {
        return whole;
      }
      missing.delete(name);
      return `@join__graph(name: "${name}", url: "${url}")`;
    },
  );
  if (missing.size) {
    throw new Error(`supergraph has no @join__graph for ${[...missing].join(', ')}`);
  }
  return sdl;
}

export async function startHive(options: {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  /**
   * Hive's HTTP transport merges identical in-flight subgraph queries by default. Every bench
   * request carries the same token, so this helps Hive far more than per-user traffic would.
   */
  deduplicateInflightRequests: boolean;
}): Promise<RunningHive> {
  // Hive's fetch adds one abort listener per in-flight subgraph request to a shared signal; at
  // concurrency 16 Node warns (MaxListenersExceededWarning) although the listeners are released.
  setMaxListeners(256);
  const gateway = createGatewayRuntime({
    supergraph: withSubgraphUrls(options.supergraphSdl, options.subgraphUrls),
    logging: false,
    landingPage: false,
    graphiql: false,
    // Subgraphs verify the caller's bearer token themselves, as behind our gateway.
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
    },
    ...(options.deduplicateInflightRequests
      ? {}
      : { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } }),
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
    },
  };
}

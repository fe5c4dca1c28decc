import { LocalBlobStore } from '../subgraphs/kernel/blobs.js';
import { type Config, loadConfig } from '../subgraphs/kernel/config.js';
import { createKernel, type Kernel, type KernelOptions } from '../subgraphs/kernel/kernel.js';
import { type ServedSubgraph, serveSubgraph } from '../subgraphs/kernel/serve-subgraph.js';
import { createSubgraphExecutor } from '../subgraphs/kernel/subgraph-executor.js';
import { subgraphs } from '../subgraphs/registry.js';
import { type RunningGateway, readSupergraph, startGateway } from './create-gateway.js';

export interface EmbeddedStack {
  kernel: Kernel;
  subgraphs: ServedSubgraph[];
  gateway: RunningGateway;
  close(): Promise<void>;
}

/**
 * The embedded default: one process, one database (PGlite unless DATABASE_URL), migrations applied,
 * every subgraph on a loopback port and the gateway with the REST bridge in front (executing the
 * subgraphs' queries and mutations in process unless GATEWAY_SUBGRAPH_TRANSPORT=http).
 */
export async function startEmbedded(
  config: Config = loadConfig(),
  supergraphSdl = readSupergraph(),
  options: KernelOptions = {},
): Promise<EmbeddedStack> {
  const kernel = await createKernel(config, { ...options, migrate: options.migrate ?? true });
  const served = await Promise.all(
    subgraphs.map((s) => serveSubgraph(kernel, s, { host: '127.0.0.1', port: 0 })),
  );
  for (const s of served) {
    kernel.peers.register(s.name, s.url);
  }
  const gateway = await startGateway(
    {
      config,
      log: kernel.log,
      supergraphSdl,
      subgraphUrls: Object.fromEntries(served.map((s) => [s.name, s.url])),
      blobs: kernel.blobs,
      // Queries and mutations run in this process unless GATEWAY_SUBGRAPH_TRANSPORT=http; the
      // subgraphs' ports still serve subscriptions, peer calls and /health.
      ...(config.GATEWAY_SUBGRAPH_TRANSPORT === 'in-process'
        ? {
            localSubgraphs: Object.fromEntries(
              subgraphs.map((s) => [s.name, createSubgraphExecutor(kernel, s)]),
            ),
          }
        : {}),
    },
    { host: config.HOST, port: config.PORT },
  );
  // On port 0 only the listening gateway knows the address its signed blob URLs must point at.
  if (config.PORT === 0 && kernel.blobs instanceof LocalBlobStore) {
    kernel.blobs.setPublicBaseUrl(gateway.url);
  }
  return {
    kernel,
    subgraphs: served,
    gateway,
    async close() {
      await gateway.close();
      await Promise.all(served.map((s) => s.close()));
      await kernel.close();
    },
  };
}

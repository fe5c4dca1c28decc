/**
 * `npm start`: the embedded default (everything in one process).
 * `npm run start:gateway`: the gateway and REST bridge alone, in front of subgraphs at
 * SUBGRAPH_<NAME>_URL (see README, scale-out layout).
 */
import { loadConfig, subgraphUrlFromEnv } from '../subgraphs/kernel/config.js';
import { openConfiguredDatabase } from '../subgraphs/kernel/kernel.js';
import { createLogger } from '../subgraphs/kernel/logger.js';

// The subgraphs and the gateway are imported in main(), not here: the embedded database starts
// opening first, and loading the code (most of start-up) overlaps with it.

function announce(url: string) {
  console.log(`
  GraphQL      ${url}/graphql   (graphql-ws on the same URL)
  Playground   ${url}/graphql   (open in a browser)
  REST         ${url}/api/v1/…  and ${url}/api/tenants/…
  REST docs    ${url}/api/v1/openapi.json
  Health       ${url}/health
`);
}

async function main() {
  const config = loadConfig();
  if (process.argv.includes('--gateway-only')) {
    const [{ createBlobStore, storageSigningKey }, { subgraphs }, { readSupergraph, startGateway }] =
      await Promise.all([
        import('../subgraphs/kernel/blobs.js'),
        import('../subgraphs/registry.js'),
        import('./create-gateway.js'),
      ]);
    const log = createLogger(config.LOG_LEVEL, 'gateway');
    const urls: Record<string, string> = {};
    for (const s of subgraphs) {
      const url = subgraphUrlFromEnv(s.name);
      if (!url) {
        throw new Error(`SUBGRAPH_${s.name.toUpperCase()}_URL is not set`);
      }
      urls[s.name] = url;
    }
    // The local store's signed URLs are served here: the subgraphs' key and DATA_DIR are needed.
    if (config.STORAGE_PROVIDER === 'local' && !config.STORAGE_SIGNING_KEY) {
      throw new Error(
        'STORAGE_PROVIDER=local: the gateway serves the signed blob URLs, so set STORAGE_SIGNING_KEY (and DATA_DIR) to the storage subgraph’s values.',
      );
    }
    const blobs =
      config.STORAGE_PROVIDER === 'local'
        ? await createBlobStore(config, storageSigningKey(config, null))
        : undefined;
    const gateway = await startGateway(
      { config, log, supergraphSdl: readSupergraph(), subgraphUrls: urls, blobs },
      { host: config.HOST, port: config.PORT },
    );
    announce(gateway.url);
    const stop = () => void gateway.close().then(() => process.exit(0));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    return;
  }
  const database = openConfiguredDatabase(config);
  database.catch(() => undefined); // awaited by the kernel; its error is reported there
  const { startEmbedded } = await import('./embedded.js');
  const stack = await startEmbedded(config, undefined, { database });
  console.log(
    `Agent platform ready ${process.uptime().toFixed(1)}s after start (${stack.kernel.database.kind}).`,
  );
  announce(stack.gateway.url);
  const stop = () => void stack.close().then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

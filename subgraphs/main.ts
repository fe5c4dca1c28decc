/**
 * `npm run start:subgraph -- <name> [--migrate]`: one subgraph as its own process, against
 * DATABASE_URL (PostgreSQL), listening on HOST:SUBGRAPH_PORT. Run any number of replicas.
 */
import { loadConfig } from './kernel/config.js';
import { createKernel } from './kernel/kernel.js';
import { serveSubgraph } from './kernel/serve-subgraph.js';
import { findSubgraph } from './registry.js';

async function main() {
  const name = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!name) {
    throw new Error('usage: npm run start:subgraph -- <name> [--migrate]');
  }
  const subgraph = findSubgraph(name);
  const config = loadConfig();
  if (!config.DATABASE_URL) {
    console.warn(
      'DATABASE_URL is not set: this subgraph uses its own embedded database, which other processes cannot share.',
    );
  }
  const kernel = await createKernel(config, { migrate: process.argv.includes('--migrate') });
  const served = await serveSubgraph(kernel, subgraph, { host: config.HOST, port: config.SUBGRAPH_PORT });
  console.log(`subgraph ${name} listening on ${served.url}`);
  const stop = () =>
    void served
      .close()
      .then(() => kernel.close())
      .then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

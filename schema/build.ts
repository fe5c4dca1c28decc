/**
 * Writes the generated, committed schema files: schema/subgraphs/<name>.graphql,
 * schema/supergraph.graphql and schema/openapi.json. With --check, fails when any is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../rest-bridge/openapi.js';
import { subgraphs } from '../subgraphs/registry.js';
import { composeSupergraph, printSubgraph } from './compose.js';

const here = dirname(fileURLToPath(import.meta.url));

export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const subgraph of subgraphs) {
    files.set(join(here, 'subgraphs', `${subgraph.name}.graphql`), `${printSubgraph(subgraph).trim()}\n`);
  }
  const supergraph = composeSupergraph(subgraphs);
  files.set(join(here, 'supergraph.graphql'), `${supergraph.trim()}\n`);
  files.set(join(here, 'openapi.json'), `${JSON.stringify(buildOpenApiDocument(supergraph), null, 2)}\n`);
  return files;
}

function main() {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [path, content] of generatedFiles()) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === content) {
      continue;
    }
    if (check) {
      stale.push(relative(process.cwd(), path));
    } else {
      writeFileSync(path, content);
      console.log(`wrote ${relative(process.cwd(), path)}`);
    }
  }
  if (stale.length) {
    console.error(`Generated files are stale (run npm run schema:build): ${stale.join(', ')}`);
    process.exit(1);
  }
  if (check) {
    console.log('schema/ is current.');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}

#!/usr/bin/env node
/**
 * Runs a server from dist/ (compiled JavaScript, see scripts/build.mjs), compiling first whatever
 * source is newer than its output, so `npm start` after an edit runs the edit.
 *
 *   node scripts/start.mjs gateway/main [args…]    the args reach the server as its own
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, DIST } from './build.mjs';

const [entry] = process.argv.splice(2, 1);
if (!entry) {
  console.error('usage: node scripts/start.mjs <entry, e.g. gateway/main> [args…]');
  process.exit(2);
}
await build();
await import(pathToFileURL(join(DIST, `${entry}.js`)).href);

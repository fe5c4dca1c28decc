#!/usr/bin/env node
/**
 * Compiles the TypeScript that the servers run into dist/ (git-ignored), file by file with esbuild:
 * the same tree, `x.ts` → `x.js`, imports untouched (they already name `.js`), no bundling, no type
 * check (`npm run typecheck` does that). Runs in `npm install` (postinstall, after `prisma generate`)
 * and again from scripts/start.mjs for any source newer than its output, so an edit is never run stale.
 *
 *   node scripts/build.mjs            only what changed (a source newer than its .js, or removed)
 *   node scripts/build.mjs --clean    everything, from an empty dist/
 *
 * Plain JavaScript on purpose: it runs before anything is compiled and without tsx.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
/** The folders the servers import from (tests, bench and tooling run from the sources with tsx). */
const SOURCE_DIRS = ['gateway', 'subgraphs', 'rest-bridge', 'voice-worker', 'prisma', 'generated'];

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.d.ts');

async function sources(dir, out = []) {
  let entries;
  try {
    entries = await readdir(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return out; // e.g. generated/ before `prisma generate`
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'migrations' && entry.name !== 'node_modules') {
        await sources(path, out);
      }
    } else if (isSource(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

async function outputs(dir = DIST, out = []) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await outputs(path, out);
    } else if (entry.name.endsWith('.js')) {
      out.push(relative(DIST, path));
    }
  }
  return out;
}

const mtime = (path) =>
  stat(path).then(
    (s) => s.mtimeMs,
    () => -1,
  );
const outputOf = (source) => join(DIST, source.replace(/\.ts$/, '.js'));

/** Sources newer than their output, and outputs whose source is gone. */
export async function staleness() {
  const all = await Promise.all(SOURCE_DIRS.map((d) => sources(d)));
  const files = all.flat();
  const stale = [];
  await Promise.all(
    files.map(async (source) => {
      const [s, o] = await Promise.all([mtime(join(ROOT, source)), mtime(outputOf(source))]);
      if (o < s) {
        stale.push(source);
      }
    }),
  );
  const wanted = new Set(files.map((f) => f.replace(/\.ts$/, '.js')));
  const orphans = (await outputs()).filter((o) => !wanted.has(o));
  return { stale, orphans, total: files.length };
}

/** Compiles what is stale; returns how many files were written. */
export async function build({ clean = false } = {}) {
  if (clean) {
    await rm(DIST, { recursive: true, force: true });
  }
  const { stale, orphans } = await staleness();
  await Promise.all(orphans.map((o) => rm(join(DIST, o), { force: true })));
  if (stale.length === 0) {
    return 0;
  }
  const { transform } = await import('esbuild');
  const tsconfigRaw = { compilerOptions: { verbatimModuleSyntax: true, target: 'ES2023' } };
  await Promise.all(
    stale.map(async (source) => {
      const code = await readFile(join(ROOT, source), 'utf8');
      const result = await transform(code, {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        sourcefile: source,
        sourcemap: 'external',
        tsconfigRaw,
      });
      const out = outputOf(source);
      await mkdir(dirname(out), { recursive: true });
      // Written aside then renamed: two servers starting at once never read half a file.
      const tmp = `${out}.${process.pid}.tmp`;
      const map = JSON.parse(result.map);
      map.sources = [relative(dirname(out), join(ROOT, source))];
      await writeFile(`${tmp}.map`, JSON.stringify(map));
      await rename(`${tmp}.map`, `${out}.map`);
      await writeFile(tmp, `${result.code}//# sourceMappingURL=${out.split('/').at(-1)}.map\n`);
      await rename(tmp, out);
    }),
  );
  return stale.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const written = await build({ clean: process.argv.includes('--clean') });
  console.log(`dist/: ${written} file(s) compiled in ${Date.now() - started} ms`);
}

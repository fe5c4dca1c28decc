import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployMigrations } from '../../prisma/migrate.js';
import { openDatabase } from '../../subgraphs/kernel/db.js';
import { dropTemplate, makeTemplate, TEMPLATE_ENV } from './postgres.js';

/** Where the migrated PGlite data directory is, for test/kit/stack.ts (workers inherit the env). */
export const SNAPSHOT_ENV = 'TEST_PGLITE_SNAPSHOT';

/**
 * Migrates once before any test file boots a stack. With DATABASE_URL, the test PostgreSQL, then
 * copied to a template each stack's own database is made from (test/kit/postgres.ts); otherwise a
 * PGlite whose data directory is dumped to a tarball every stack starts from (initdb and migrations
 * cost seconds per stack).
 */
export default async function setup() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openDatabase({ dataDir: 'memory://' });
    const dir = await mkdtemp(join(tmpdir(), 'platform-test-'));
    try {
      await deployMigrations(db);
      const tarball = await db.pglite?.dumpDataDir('none');
      if (!tarball) {
        throw new Error('expected PGlite');
      }
      const file = join(dir, 'pglite.tar');
      await writeFile(file, new Uint8Array(await tarball.arrayBuffer()));
      process.env[SNAPSHOT_ENV] = file;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    } finally {
      await db.close();
    }
    return async () => {
      delete process.env[SNAPSHOT_ENV];
      await rm(dir, { recursive: true, force: true });
    };
  }
  const db = await openDatabase({ url });
  try {
    await deployMigrations(db);
    // Rate-limit counters are keyed by client IP, and every test connects from 127.0.0.1: start clean.
    await db.prisma.rateLimiterFlexible.deleteMany({});
  } finally {
    await db.close();
  }
  const template = await makeTemplate(url);
  process.env[TEMPLATE_ENV] = template;
  return async () => {
    delete process.env[TEMPLATE_ENV];
    await dropTemplate(url, template);
  };
}

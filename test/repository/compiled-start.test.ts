/**
 * The servers run compiled (scripts/build.mjs → dist/, started by scripts/start.mjs): outputs follow
 * their sources, the compiled code reads the repository's files, and the start skips the migration
 * engine only when the database holds exactly the committed migrations.
 */
import { existsSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deployMigrations, migrationsUpToDate } from '../../prisma/migrate.js';
import { openDatabase } from '../../subgraphs/kernel/db.js';

const root = resolve(import.meta.dirname, '..', '..');
const dist = join(root, 'dist');

interface BuildModule {
  build(options?: { clean?: boolean }): Promise<number>;
  staleness(): Promise<{ stale: string[]; orphans: string[]; total: number }>;
}
const loadBuild = () =>
  import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href) as Promise<BuildModule>;

describe('dist/', () => {
  it('holds every server source compiled, and nothing else, after a build', async () => {
    const { build, staleness } = await loadBuild();
    await build();
    const after = await staleness();
    // subgraph-boundaries.test.ts may have a probe source in subgraphs/ at this moment.
    const probe = /zz-boundary-probe-/;
    expect(after.stale.filter((f) => !probe.test(f))).toEqual([]);
    expect(after.orphans.filter((f) => !probe.test(f))).toEqual([]);
    expect(after.total).toBeGreaterThan(100);
    expect(existsSync(join(dist, 'gateway', 'main.js'))).toBe(true);
    expect(existsSync(join(dist, 'generated', 'prisma', 'client.js'))).toBe(true);
  });

  it('recompiles an output older than its source, and removes one whose source is gone', async () => {
    const { build, staleness } = await loadBuild();
    await build();
    const output = join(dist, 'subgraphs', 'kernel', 'paths.js');
    utimesSync(output, new Date(1000), new Date(1000));
    expect((await staleness()).stale).toContain(join('subgraphs', 'kernel', 'paths.ts'));
    const orphan = join(dist, 'gateway', 'removed-source.js');
    mkdirSync(join(dist, 'gateway'), { recursive: true });
    writeFileSync(orphan, 'export {};\n');
    await build();
    expect(statSync(output).mtimeMs).toBeGreaterThan(1_000_000);
    expect(existsSync(orphan)).toBe(false);
  });

  it('reads the repository’s files from the compiled code (the project root is found, not assumed)', async () => {
    const { build } = await loadBuild();
    await build();
    const compiled = (await import(pathToFileURL(join(dist, 'subgraphs', 'kernel', 'paths.js')).href)) as {
      projectRoot: string;
      projectPath: (...s: string[]) => string;
    };
    expect(compiled.projectRoot).toBe(root);
    expect(existsSync(compiled.projectPath('schema', 'supergraph.graphql'))).toBe(true);
    expect(existsSync(compiled.projectPath('prisma', 'migrations'))).toBe(true);
  });
});

describe('migrations at start', () => {
  it('are up to date only when every committed migration is applied, finished and unchanged', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      expect(await migrationsUpToDate(db)).toBe(false); // no table yet
      expect((await deployMigrations(db)).length).toBeGreaterThan(0);
      expect(await migrationsUpToDate(db)).toBe(true);
      expect(await deployMigrations(db)).toEqual([]);

      // An edited migration file (its checksum differs): the engine must look at it.
      const [first] = await db.prisma.$queryRaw<{ name: string; checksum: string }[]>`
        SELECT migration_name AS name, checksum FROM _prisma_migrations ORDER BY migration_name LIMIT 1`;
      await db.prisma
        .$executeRaw`UPDATE _prisma_migrations SET checksum = 'edited' WHERE migration_name = ${first?.name}`;
      expect(await migrationsUpToDate(db)).toBe(false);
      await db.prisma
        .$executeRaw`UPDATE _prisma_migrations SET checksum = ${first?.checksum} WHERE migration_name = ${first?.name}`;
      expect(await migrationsUpToDate(db)).toBe(true);

      // A migration that failed half-way (not finished).
      await db.prisma.$executeRaw`
        INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
        VALUES ('failed-one', 'x', '29991231000000_half_done', now(), 0)`;
      expect(await migrationsUpToDate(db)).toBe(false);
    } finally {
      await db.close();
    }
  });
});

/**
 * Migration runner over `@prisma/schema-engine-wasm` (the Prisma schema engine built to WASM), because
 * the Prisma CLI needs a native engine it cannot download here. Same folders, same `_prisma_migrations`
 * table and checksums as `prisma migrate`, so the real CLI can take over wherever it runs.
 *
 *   tsx prisma/migrate.ts deploy | status | create <name> | resolve-rolled-back <name>
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { type Database, openDatabase } from '../subgraphs/kernel/db.js';
import { projectPath } from '../subgraphs/kernel/paths.js';

// From the repository, also when this module runs compiled from dist/.
const here = projectPath('prisma');
const migrationsDir = join(here, 'migrations');
const filters = { externalTables: [], externalEnums: [] };

type Engine = Awaited<ReturnType<typeof startEngine>>;

let runtime: Promise<typeof import('@prisma/schema-engine-wasm/schema_engine_bg')> | undefined;

/** Instantiates the WASM module once per process: the bindings cache views of its memory. */
function loadRuntime() {
  runtime ??= (async () => {
    const rt = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    const wasmPath = join(
      dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
      'schema_engine_bg.wasm',
    );
    const instance = new WebAssembly.Instance(new WebAssembly.Module(await readFile(wasmPath)), {
      './schema_engine_bg.js': rt as unknown as WebAssembly.ModuleImports,
    });
    rt.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    return rt;
  })();
  return runtime;
}

async function startEngine(factory: SqlMigrationAwareDriverAdapterFactory) {
  const rt = await loadRuntime();
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  const engine = await rt.SchemaEngine.new({ datamodels: undefined }, () => {}, bound);
  return { engine, bound };
}

/** Driver errors reach us as `External error id#N`; swap in the real message from the registry. */
function explain(error: unknown, bound: Engine['bound']): Error {
  const text = String((error as Error)?.message ?? error);
  const id = /id#(\d+)/.exec(text)?.[1];
  if (id) {
    const real = bound.errorRegistry.consumeError(Number(id));
    if (real) {
      return new Error(`${text}: ${JSON.stringify(real.error)}`);
    }
  }
  return error instanceof Error ? error : new Error(text);
}

async function migrationsList() {
  const names = existsSync(migrationsDir)
    ? (await readdir(migrationsDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
  names.sort();
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: {
            tag: 'ok' as const,
            value: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8'),
          },
        },
      })),
    ),
  };
}

async function schemaFiles() {
  const files = [join(here, 'schema.prisma')];
  for (const f of (await readdir(join(here, 'models'))).sort()) {
    files.push(join(here, 'models', f));
  }
  return Promise.all(files.map(async (path) => ({ path, content: await readFile(path, 'utf8') })));
}

/**
 * Whether the database holds exactly the migration folders, each finished, not rolled back and with
 * the checksum of its file (Prisma's: the SHA-256 of migration.sql), and nothing failed. Anything
 * else (a new folder, an edited file, a failed or foreign row, no table yet) goes to the engine,
 * which applies or explains it.
 */
export async function migrationsUpToDate(
  db: Database,
  list?: Awaited<ReturnType<typeof migrationsList>>,
): Promise<boolean> {
  const migrations = list ?? (await migrationsList());
  const [table] = await db.prisma.$queryRaw<{ present: boolean }[]>`
    SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`;
  if (!table?.present) {
    return false;
  }
  const rows = await db.prisma.$queryRaw<
    { name: string; checksum: string; finished: boolean; rolledBack: boolean }[]
  >`SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished,
           rolled_back_at IS NOT NULL AS "rolledBack"
      FROM _prisma_migrations`;
  const applied = new Map<string, string>();
  for (const row of rows) {
    if (row.rolledBack) {
      continue;
    }
    if (!row.finished || applied.has(row.name)) {
      return false;
    }
    applied.set(row.name, row.checksum);
  }
  return (
    applied.size === migrations.migrationDirectories.length &&
    migrations.migrationDirectories.every(
      (m) => applied.get(m.path) === createHash('sha256').update(m.migrationFile.content.value).digest('hex'),
    )
  );
}

/** Applies every pending migration; returns the names applied. */
export async function deployMigrations(db: Database): Promise<string[]> {
  const list = await migrationsList();
  if (await migrationsUpToDate(db, list)) {
    return []; // the common start: nothing for the engine to do, and its WASM is not loaded
  }
  const { engine, bound } = await startEngine(db.migrationAdapter());
  try {
    const out = await engine.applyMigrations({ migrationsList: list, filters });
    return out.appliedMigrationNames;
  } catch (error) {
    throw explain(error, bound);
  } finally {
    engine.free();
  }
}

async function status(db: Database) {
  const { engine, bound } = await startEngine(db.migrationAdapter());
  try {
    return await engine.diagnoseMigrationHistory({
      migrationsList: await migrationsList(),
      optInToShadowDatabase: false,
      filters,
    });
  } catch (error) {
    throw explain(error, bound);
  }
}

/** Diffs the schema against the migration history replayed on a throwaway PGlite; writes a new folder. */
async function create(name: string) {
  const shadow = await openDatabase({ dataDir: 'memory://' });
  await deployMigrations(shadow);
  // Vector indexes are written by hand in migration SQL (PSL has no HNSW); hide them from the diff.
  const pglite = shadow.pglite;
  if (!pglite) {
    throw new Error('shadow database must be PGlite');
  }
  const idx = await pglite.query<{ indexname: string }>(
    `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND (indexdef ILIKE '%USING hnsw%' OR indexdef ILIKE '%USING ivfflat%')`,
  );
  for (const row of idx.rows) {
    await pglite.exec(`DROP INDEX "${row.indexname}"`);
  }
  const { engine, bound } = await startEngine(shadow.migrationAdapter());
  try {
    const files = await schemaFiles();
    const result = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: here },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: true,
      filters,
    });
    const sql = result.stdout ?? '';
    if (result.exitCode === 0 || !sql.trim() || /^-- This is an empty migration/m.test(sql)) {
      return null;
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const folder = join(migrationsDir, `${stamp}_${name}`);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'migration.sql'), sql);
    const lock = join(migrationsDir, 'migration_lock.toml');
    if (!existsSync(lock)) {
      await writeFile(lock, '# Please do not edit this file manually\nprovider = "postgresql"\n');
    }
    return folder;
  } catch (error) {
    throw explain(error, bound);
  } finally {
    await shadow.close();
  }
}

async function main() {
  const [command, name] = process.argv.slice(2);
  if (command === 'create') {
    if (!name || !/^[a-z0-9_]+$/.test(name)) {
      throw new Error('usage: npm run db:migrate:create -- <name_in_snake_case>');
    }
    const folder = await create(name);
    console.log(folder ? `Created ${folder}/migration.sql` : 'No schema changes.');
    return;
  }
  const db = await openDatabase({
    url: process.env.DATABASE_URL,
    dataDir: resolve(process.env.DATA_DIR ?? './.data'),
  });
  try {
    if (command === 'deploy') {
      const applied = await deployMigrations(db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations.');
    } else if (command === 'status') {
      const s = await status(db);
      console.log(JSON.stringify(s, null, 2));
      if (s.history || s.failedMigrationNames.length || s.editedMigrationNames.length) {
        process.exitCode = 1;
      }
    } else if (command === 'resolve-rolled-back' && name) {
      const { engine } = await startEngine(db.migrationAdapter());
      await engine.markMigrationRolledBack({ migrationName: name });
      console.log(`Marked ${name} as rolled back.`);
    } else {
      throw new Error(
        'usage: tsx prisma/migrate.ts deploy | status | create <name> | resolve-rolled-back <name>',
      );
    }
  } finally {
    await db.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main()
    .then(() => process.exit()) // the engine leaves a ~10 s timer behind
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../../generated/prisma/client.js';

export type Db = PrismaClient;
export type { Prisma } from '../../generated/prisma/client.js';
/** A Prisma client or the transaction client handed to `$transaction(async (tx) => …)`. */
export type DbTx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** An open database: the Prisma client plus what migrations and the event bus need. */
export interface Database {
  kind: 'postgres' | 'pglite';
  prisma: PrismaClient;
  /** PostgreSQL connection string (postgres only), for LISTEN/NOTIFY. */
  url?: string;
  /** The embedded PGlite instance (pglite only). */
  pglite?: PGlite;
  /** A fresh adapter factory for the migration engine. */
  migrationAdapter(): SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string | undefined;
  /** Directory of the embedded database; `memory://` for a throwaway one. */
  dataDir?: string | undefined;
  /**
   * PGlite only: a data-directory tarball (`PGlite.dumpDataDir()`) to start a NEW database from, e.g.
   * one already migrated; skips initdb. Tests use it to migrate once instead of once per stack.
   */
  snapshot?: Blob | undefined;
}

/** Opens PostgreSQL when a URL is given, otherwise the embedded PGlite with pgvector. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const url = options.url;
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
    return {
      kind: 'postgres',
      prisma,
      url,
      migrationAdapter: () => new PrismaPg({ connectionString: url, max: 1 }),
      close: () => prisma.$disconnect(),
    };
  }
  const pglite = await openPglite(options.dataDir ?? './.data', options.snapshot);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma,
    pglite,
    migrationAdapter: () => pgliteMigrationAdapter(pglite),
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

export async function openPglite(dataDir: string, snapshot?: Blob): Promise<PGlite> {
  const from = snapshot ? { loadDataDir: snapshot } : {};
  if (dataDir.startsWith('memory://')) {
    return PGlite.create({ dataDir, extensions: { vector }, ...from });
  }
  // PGlite needs the parent directory to exist.
  const dir = resolve(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  return PGlite.create({ dataDir: dir, extensions: { vector }, ...from });
}

/**
 * The PGlite adapter for the migration engine. pglite-prisma-adapter 0.7.2 runs `executeScript`
 * without awaiting and outside a transaction, so errors vanish and a failed migration is left
 * half-applied; run scripts inside a transaction instead.
 */
function pgliteMigrationAdapter(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPGlite(pglite);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    adapter.executeScript = async (script: string) => {
      await pglite.transaction((tx) => tx.exec(script));
    };
    return adapter;
  };
  return factory;
}

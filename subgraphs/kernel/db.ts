import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { type Prisma, PrismaClient } from '../../generated/prisma/client.js';

/** The whole client: for the kernel itself (keys, limits, mail, API-key auth), never for a domain's services. */
export type Db = PrismaClient;
export type { Prisma } from '../../generated/prisma/client.js';

/** A table's key on the client (`user`, `apiKey`, …). */
export type ModelKey = Uncapitalize<Prisma.ModelName>;

type TxClient = Prisma.TransactionClient;
type RawSql = '$queryRaw' | '$executeRaw';

/** Kernel tables every domain writes inside its own transactions, through `recordAudit`, `publishEvent` and `enqueueJob`. */
export const KERNEL_TX_MODELS = ['auditEvent', 'event', 'eventStream', 'job'] as const;

/**
 * Shared kernel tables: the tenancy anchor and who belongs to it. Signup (identity) creates a tenant
 * with its owner's membership in one transaction, and creating a tenant (tenants) may name an owner,
 * so both domains write both tables. They are declared in tenants.prisma and identity.prisma.
 */
export const SHARED_MODELS = ['tenant', 'membership'] as const;

/** A client or transaction seen through the kernel tables only (what kernel helpers need). */
export type DbTx = Pick<TxClient, (typeof KERNEL_TX_MODELS)[number] | RawSql>;

/** Read operations of a table (for the few reads a domain makes of another's table). */
type Reads<K extends ModelKey> = Pick<
  TxClient[K],
  Extract<keyof TxClient[K], 'findUnique' | 'findFirst' | 'findMany' | 'count'>
>;

/**
 * One domain's view of a transaction: its own tables, the shared kernel tables and raw SQL, plus
 * read-only access to the foreign tables it names. Reaching any other table fails `tsc`.
 */
export type DomainTx<Own extends ModelKey, Read extends ModelKey = never> = Pick<
  TxClient,
  Own | (typeof SHARED_MODELS)[number] | (typeof KERNEL_TX_MODELS)[number] | RawSql
> & { [K in Read]: Reads<K> };

/** One domain's view of the client: as `DomainTx`, and interactive transactions typed the same way. */
export type DomainDb<Own extends ModelKey, Read extends ModelKey = never> = DomainTx<Own, Read> & {
  $transaction<R>(
    fn: (tx: DomainTx<Own, Read>) => Promise<R>,
    options?: { maxWait?: number; timeout?: number; isolationLevel?: Prisma.TransactionIsolationLevel },
  ): Promise<R>;
};

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

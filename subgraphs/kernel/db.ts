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

/**
 * Kernel tables every domain writes inside its own transactions, through `recordAudit`,
 * `recordActivity`, `countUsage`, `publishEvent` and `enqueueJob`.
 */
export const KERNEL_TX_MODELS = [
  'auditEvent',
  'activityEvent',
  'usageCounter',
  'event',
  'eventStream',
  'job',
] as const;

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

/** Prisma's codes for a database it cannot reach or lost: unreachable, timed out, connection closed, pool exhausted. */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Driver adapter error kinds of the same. */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** SQLSTATEs of a server going away or not there yet: connection exceptions, shutdown, starting up, too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
/** node-postgres and PGlite say it in words only. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'PGlite is closed',
];

/**
 * Whether an error means the database is down or restarting (not that the query was wrong): the
 * caller then answers SERVICE_UNAVAILABLE (503, try again) instead of masking it as a 500.
 */
/** What a client is told while the database cannot be reached (a 503). */
export const DATABASE_UNAVAILABLE = 'The database is unavailable; try again shortly.';

export function isDatabaseUnavailable(error: unknown): boolean {
  let e = error as
    | {
        code?: unknown;
        kind?: unknown;
        message?: unknown;
        cause?: unknown;
        meta?: { driverAdapterError?: { cause?: unknown } };
      }
    | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) {
      return true;
    }
    if (typeof e.kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(e.kind)) {
      return true;
    }
    const message = typeof e.message === 'string' ? e.message : '';
    if (UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) {
      return true;
    }
    e = (e.meta?.driverAdapterError?.cause ?? e.cause) as typeof e;
  }
  return false;
}

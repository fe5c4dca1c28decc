import { resolve } from 'node:path';
import { deployMigrations } from '../../prisma/migrate.js';
import { assertS3Settings, type BlobStore, createBlobStore, storageSigningKey } from './blobs.js';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db.js';
import { EventBus } from './event-bus.js';
import { IdempotencyStore } from './idempotency.js';
import { JobQueue } from './jobs.js';
import { KeyRing } from './keys.js';
import { createLogger, type Logger } from './logger.js';
import { assertMailDeliverable, Mailer } from './mailer.js';
import { Peers } from './peers.js';
import { RateLimits } from './rate-limit.js';
import { SecretBox } from './secrets.js';

/** What every subgraph of a process shares: config, database, event bus, keys, logger. */
export interface Kernel {
  config: Config;
  database: Database;
  bus: EventBus;
  keys: KeyRing;
  log: Logger;
  mailer: Mailer;
  limits: RateLimits;
  secrets: SecretBox;
  /** Where file bytes live (local disk or S3; see blobs.ts). */
  blobs: BlobStore;
  /** Calls to other domains' subgraphs (see peers.ts). */
  peers: Peers;
  /** Durable background jobs (see jobs.ts). */
  jobs: JobQueue;
  /** Answers of mutations sent with an Idempotency-Key (see idempotency.ts). */
  idempotency: IdempotencyStore;
  close(): Promise<void>;
}

export interface KernelOptions {
  /** Apply pending migrations before serving (the embedded default does). */
  migrate?: boolean;
  /** PGlite only: start the database from this data-dir tarball (see DatabaseOptions.snapshot). */
  snapshot?: Blob;
  /**
   * The database, already opening (from openConfiguredDatabase): gateway/main.ts starts PGlite
   * before it loads the rest of the code, so the two overlap.
   */
  database?: Promise<Database>;
}

/** What must fail before anything is opened: mail that could never be delivered, S3 settings missing. */
export function preflight(config: Config): void {
  assertMailDeliverable(config);
  if (config.STORAGE_PROVIDER === 's3') {
    assertS3Settings(config);
  }
}

/** Checks the configuration (preflight), then opens its database: DATABASE_URL, else PGlite under DATA_DIR. */
export function openConfiguredDatabase(config: Config, snapshot?: Blob): Promise<Database> {
  preflight(config);
  return openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR.startsWith('memory://') ? config.DATA_DIR : resolve(config.DATA_DIR),
    snapshot,
  });
}

export async function createKernel(config: Config, options: KernelOptions = {}): Promise<Kernel> {
  // openConfiguredDatabase ran the preflight checks before opening anything (here or in main.ts).
  const opening = options.database ?? openConfiguredDatabase(config, options.snapshot);
  const log = createLogger(config.LOG_LEVEL);
  const database = await opening;
  if (options.migrate) {
    const applied = await deployMigrations(database);
    if (applied.length) {
      log.info({ applied }, 'migrations applied');
    }
  }
  const keys = new KeyRing(database.prisma, config);
  await keys.load();
  const bus = new EventBus(database, log);
  await bus.start();
  const mailer = new Mailer(database.prisma, config, log);
  const secrets = await SecretBox.open(database.prisma, config.DATA_ENCRYPTION_KEY);
  // The local store's signing key comes from the secret box (S3 ignores it).
  const blobs = await createBlobStore(config, storageSigningKey(config, secrets));
  return {
    config,
    database,
    bus,
    keys,
    log,
    mailer,
    limits: new RateLimits(database.prisma, config.RATE_LIMITS === 'true'),
    secrets,
    blobs,
    peers: new Peers(),
    jobs: new JobQueue(database.prisma, log, {
      leaseMs: config.JOB_LEASE_MS,
      pollMs: config.JOB_POLL_MS,
      ownsDatabase: database.kind === 'pglite',
    }),
    // A first request holds its key twice as long as the gateway waits for any answer.
    idempotency: new IdempotencyStore(database.prisma, log, 2 * config.SUBGRAPH_REQUEST_TIMEOUT_MS),
    async close() {
      mailer.close();
      await bus.stop();
      await database.close();
    },
  };
}

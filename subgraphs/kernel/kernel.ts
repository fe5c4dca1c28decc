import { resolve } from 'node:path';
import { deployMigrations } from '../../prisma/migrate.js';
import { type BlobStore, createBlobStore, storageSigningKey } from './blobs.js';
import { S3BlobStore } from './blobs-s3.js';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db.js';
import { EventBus } from './event-bus.js';
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
  close(): Promise<void>;
}

export interface KernelOptions {
  /** Apply pending migrations before serving (the embedded default does). */
  migrate?: boolean;
  /** PGlite only: start the database from this data-dir tarball (see DatabaseOptions.snapshot). */
  snapshot?: Blob;
}

export async function createKernel(config: Config, options: KernelOptions = {}): Promise<Kernel> {
  assertMailDeliverable(config); // before anything is opened
  // A missing S3 setting fails before anything is opened; the local store's key needs the secret box.
  const s3 = config.STORAGE_PROVIDER === 's3' ? S3BlobStore.fromConfig(config) : null;
  const log = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR.startsWith('memory://') ? config.DATA_DIR : resolve(config.DATA_DIR),
    snapshot: options.snapshot,
  });
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
  const blobs = s3 ?? createBlobStore(config, storageSigningKey(config, secrets));
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
    async close() {
      mailer.close();
      await bus.stop();
      await database.close();
    },
  };
}

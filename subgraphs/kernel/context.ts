import { randomUUID } from 'node:crypto';
import { authenticateApiKey, looksLikeApiKey } from './api-keys.js';
import type { BlobStore } from './blobs.js';
import type { Config } from './config.js';
import { DATABASE_UNAVAILABLE, type Db, type DomainDb, isDatabaseUnavailable, type ModelKey } from './db.js';
import { AppError } from './errors.js';
import type { EventBus } from './event-bus.js';
import type { JobQueue } from './jobs.js';
import type { Kernel } from './kernel.js';
import type { KeyRing } from './keys.js';
import type { Logger } from './logger.js';
import type { Mailer } from './mailer.js';
import type { Peers } from './peers.js';
import type { RateLimits } from './rate-limit.js';
import type { SecretBox } from './secrets.js';
import { type Viewer, viewerFromClaims } from './viewer.js';

/** Client headers the gateway passes on to subgraphs besides the credential (lower-case names). */
export const FORWARDED_HEADERS = [
  'x-tenant-id',
  'x-tenant-role',
  'x-operator-override',
  'x-operator-reason',
  'x-api-key',
  'idempotency-key',
] as const;

/** What services receive: no GraphQL in it, so tests can build one directly. */
export interface Ctx {
  db: Db;
  bus: EventBus;
  keys: KeyRing;
  config: Config;
  log: Logger;
  mailer: Mailer;
  limits: RateLimits;
  secrets: SecretBox;
  /** Where file bytes live (local disk or S3). */
  blobs: BlobStore;
  /** Calls to other domains' subgraphs as this caller. */
  peers: Peers;
  /** Background jobs: `enqueueJob(tx, …)` in the transaction, then `jobs.nudge(queue)` after it. */
  jobs: JobQueue;
  viewer: Viewer | null;
  /** Why a presented credential was refused; fields that need a viewer report it. */
  authError: AppError | null;
  /** The raw bearer credential as presented (for non-JWT credentials such as service-account issuance). */
  credential: string | null;
  requestId: string;
  /** Client details forwarded by the gateway, for sessions and rate limits. */
  client: { ip: string | null; userAgent: string | null };
  /** Forwarded request headers (x-tenant-id, x-tenant-role, x-operator-override …), lower-cased names. */
  headers: Readonly<Record<string, string>>;
}

/** What a domain's services receive: `Ctx` with the database narrowed to the domain's view. */
export type DomainCtx<Own extends ModelKey, Read extends ModelKey = never> = Omit<Ctx, 'db'> & {
  db: DomainDb<Own, Read>;
};

export interface RequestCredentials {
  authorization?: string | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  requestId?: string | null | undefined;
  headers?: Record<string, string> | undefined;
}

/**
 * Verifies the credential (if any) and builds the per-request context: a bearer access token, or a
 * tenant API key as `Authorization: Bearer ak_…` or `x-api-key: ak_…` (the Authorization header wins).
 */
export async function createContext(kernel: Kernel, credentials: RequestCredentials): Promise<Ctx> {
  let viewer: Viewer | null = null;
  let authError: AppError | null = null;
  const header = credentials.authorization?.trim();
  const bearer = header ? (/^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? null) : null;
  const apiKeyHeader = credentials.headers?.['x-api-key']?.trim();
  if (header || apiKeyHeader) {
    try {
      if (header) {
        if (!bearer) {
          throw new AppError('UNAUTHENTICATED', 'Could not validate credentials.');
        }
        viewer = looksLikeApiKey(bearer)
          ? await authenticateApiKey(kernel.database.prisma, bearer)
          : viewerFromClaims(
              await kernel.keys.verify(bearer, 'access'),
              kernel.config.REQUIRE_EMAIL_VERIFICATION === 'true',
            );
      } else if (apiKeyHeader) {
        viewer = await authenticateApiKey(kernel.database.prisma, apiKeyHeader);
      }
    } catch (error) {
      // A key that cannot be looked up (the database is down) is not a refused key: 503, not 401.
      authError =
        error instanceof AppError
          ? error
          : isDatabaseUnavailable(error)
            ? new AppError('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE)
            : new AppError('UNAUTHENTICATED', 'Could not validate credentials.');
    }
  }
  return {
    db: kernel.database.prisma,
    bus: kernel.bus,
    keys: kernel.keys,
    config: kernel.config,
    log: kernel.log,
    mailer: kernel.mailer,
    limits: kernel.limits,
    secrets: kernel.secrets,
    blobs: kernel.blobs,
    peers: kernel.peers,
    jobs: kernel.jobs,
    viewer,
    authError,
    credential: bearer,
    requestId: credentials.requestId ?? randomUUID(),
    client: { ip: credentials.ip ?? null, userAgent: credentials.userAgent ?? null },
    headers: credentials.headers ?? {},
  };
}

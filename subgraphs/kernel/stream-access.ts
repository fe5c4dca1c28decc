import type { Db } from './db.js';
import { type AppError, ForbiddenError, UnauthenticatedError } from './errors.js';
import type { Viewer } from './viewer.js';

/** setTimeout's largest delay; a later token expiry is re-armed by the periodic check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Whether a credential verified when a stream opened still holds: the access token has not expired,
 * its session is not revoked and the user is still a member of the token's tenant; an API key is
 * neither revoked nor expired and its tenant is active. Null when it holds, else the error to end with.
 */
export async function viewerAccessError(db: Db, viewer: Viewer, now = Date.now()): Promise<AppError | null> {
  if (viewer.kind === 'api-key') {
    const key = await db.apiKey.findUnique({
      where: { id: viewer.apiKeyId },
      select: { revokedAt: true, expiresAt: true, tenantId: true },
    });
    const tenant = key
      ? await db.tenant.findUnique({ where: { id: key.tenantId }, select: { status: true } })
      : null;
    if (
      !key ||
      key.revokedAt ||
      (key.expiresAt && key.expiresAt.getTime() <= now) ||
      tenant?.status !== 'active'
    ) {
      return new UnauthenticatedError('Invalid, expired or revoked API key.');
    }
    return null;
  }
  if (typeof viewer.claims.exp === 'number' && viewer.claims.exp * 1000 <= now) {
    return new UnauthenticatedError('Access token expired.');
  }
  // An agent-run token holds until it expires (it is minted per session or call, short-lived).
  if (viewer.kind === 'agent') {
    return null;
  }
  // One statement, one snapshot: a removal (membership deleted and sessions revoked in one
  // transaction) committed between two reads would show as half of itself.
  const [access] = await db.$queryRaw<{ member: boolean | null; sessionLive: boolean | null }[]>`
    SELECT
      CASE WHEN ${viewer.tenantId}::uuid IS NULL THEN NULL ELSE EXISTS (
        SELECT 1 FROM membership WHERE "userId" = ${viewer.userId}::uuid AND "tenantId" = ${viewer.tenantId}::uuid
      ) END AS member,
      CASE WHEN ${viewer.sessionId}::uuid IS NULL THEN NULL ELSE EXISTS (
        SELECT 1 FROM user_session WHERE id = ${viewer.sessionId}::uuid AND "revokedAt" IS NULL
      ) END AS "sessionLive"`;
  if (access?.member === false) {
    return new ForbiddenError('No longer a member of this tenant.');
  }
  if (access?.sessionLive === false) {
    return new UnauthenticatedError('Session revoked.');
  }
  return null;
}

export interface StreamGuardOptions {
  /** Runs every `intervalMs`; a returned error ends the stream with it. */
  check: () => Promise<AppError | null>;
  intervalMs: number;
  /** When the credential stops being valid by itself (token `exp`): the stream ends then. */
  expiresAt?: number | undefined;
  expiredError?: () => AppError;
}

/**
 * Wraps a stream so that it ends when its caller loses access: at the token's expiry, and at the
 * first periodic re-check that fails. The pending (or next) `next()` rejects with the error, which
 * the subgraph's graphql-ws server sends as the operation's `error` message; the source is closed.
 * Not an async generator, so `return()` reaches the source at once.
 */
export function guardStream<T>(
  source: AsyncIterator<T>,
  options: StreamGuardOptions,
): AsyncIterableIterator<T> {
  let failure: AppError | null = null;
  let finished = false;
  /** Rejects the `next()` in flight (a fresh one per call: a shared promise would collect handlers). */
  let rejectPending: ((error: AppError) => void) | null = null;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const stop = () => {
    for (const timer of timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
  };
  const end = (error: AppError) => {
    if (finished || failure) {
      return;
    }
    failure = error;
    stop();
    if (rejectPending) {
      const reject = rejectPending;
      rejectPending = null;
      finished = true;
      reject(error);
    }
    void source.return?.();
  };
  if (options.expiresAt !== undefined) {
    const expiresAt = options.expiresAt;
    const delay = Math.max(0, expiresAt - Date.now());
    if (delay <= MAX_TIMER_MS) {
      const timer = setTimeout(
        () => end(options.expiredError?.() ?? new UnauthenticatedError('Access token expired.')),
        delay,
      );
      timer.unref?.();
      timers.push(timer);
    }
  }
  let checking = false;
  const recheck = () => {
    if (checking) {
      return;
    }
    checking = true;
    options
      .check()
      .then((error) => error && end(error))
      .catch(() => undefined) // a failed check (database down) is retried at the next tick
      .finally(() => {
        checking = false;
      });
  };
  // The first re-check comes at a random point of the first interval: streams opened together (a
  // deploy's reconnects, a page opening many) would otherwise all query the database in one burst,
  // interval after interval.
  const first = setTimeout(
    () => {
      recheck();
      const interval = setInterval(recheck, options.intervalMs);
      interval.unref?.();
      timers.push(interval);
    },
    Math.ceil(Math.random() * options.intervalMs),
  );
  first.unref?.();
  timers.push(first);

  const guarded: AsyncIterableIterator<T> = {
    async next() {
      if (finished) {
        return { done: true, value: undefined };
      }
      if (failure) {
        finished = true;
        throw failure;
      }
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        rejectPending = reject;
        source.next().then(
          (r) => {
            rejectPending = null;
            if (r.done) {
              finished = true;
              stop();
            }
            resolve(r);
          },
          (error: unknown) => {
            rejectPending = null;
            finished = true;
            stop();
            reject(error);
          },
        );
      });
    },
    async return() {
      finished = true;
      stop();
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => guarded,
  };
  return guarded;
}

/** Guards a stream opened for `viewer`: ends at its token's expiry or when a re-check fails. */
export function guardViewerStream<T>(
  db: Db,
  viewer: Viewer,
  source: AsyncIterator<T>,
  intervalMs: number,
): AsyncIterableIterator<T> {
  const exp = viewer.kind === 'api-key' ? undefined : viewer.claims.exp;
  return guardStream(source, {
    check: () => viewerAccessError(db, viewer),
    intervalMs,
    expiresAt: typeof exp === 'number' ? exp * 1000 : undefined,
  });
}

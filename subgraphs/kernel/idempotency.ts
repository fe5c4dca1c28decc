/**
 * Idempotent retries (`Idempotency-Key`, draft-ietf-httpapi-idempotency-key-header). A mutation sent
 * with a key runs once per tenant, caller and key: its answer is kept 24 h and a retry of the same
 * request gets that answer back without the effect happening again (no second call placed, no
 * second message sent). The same key with another request is refused (422), and a retry while the
 * first is still running is told to wait (409).
 *
 * It is applied where each subgraph executes an operation sent by the gateway (serve-subgraph.ts's
 * plugin and the in-process executor), so GraphQL clients (the header on `/graphql`) and the REST
 * bridge (the header on any route) get the same guarantee, in every layout. Only answers whose
 * mutations ran are kept: a refused request changed nothing, so its retry simply runs again (and a
 * 503 while a dependency is down can be retried with the same key).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { type ApolloServerPlugin, type GraphQLResponse, HeaderMap } from '@apollo/server';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Ctx } from './context.js';
import type { Db } from './db.js';
import { ConflictError, ValidationError } from './errors.js';
import type { Logger } from './logger.js';
import { stableJson } from './stable-json.js';

/** The request header (lower-case, as forwarded by the gateway). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** How long an answer is kept. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/** Visible ASCII, as the draft's sf-string allows in practice (UUIDs, ULIDs, random tokens). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** How often (at most) a process deletes expired answers, in ms. */
const PRUNE_EVERY_MS = 60_000;

export interface IdempotentRequest {
  query: string;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | null | undefined;
}

/** A claimed key: the first request runs, then hands its answer over. */
export interface IdempotencyClaim {
  finish(result: FormattedExecutionResult): Promise<void>;
}

export type IdempotencyStart =
  /** No key sent (or the credential was refused: that answer is a 401, nothing to keep). */
  | { kind: 'none' }
  | { kind: 'replay'; result: FormattedExecutionResult }
  | { kind: 'run'; claim: IdempotencyClaim };

interface StoredRow {
  fingerprint: string;
  status: string;
  response: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** AES-256-GCM; the stored text is base64 of iv ‖ tag ‖ ciphertext. */
function seal(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function open(key: Buffer, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * The mutations ran: no error of the request itself (no path) or of a root field (path of one), so
 * every root field has its answer. Errors deeper in the answer (a nested field) do not undo the effect.
 */
export function mutationsRan(result: FormattedExecutionResult): boolean {
  return result.data != null && !(result.errors ?? []).some((e) => !e.path || e.path.length <= 1);
}

function keyProblem(): ValidationError {
  return new ValidationError('Request validation failed.', [
    {
      loc: ['header', 'Idempotency-Key'],
      msg: 'Idempotency-Key must be 1 to 255 visible ASCII characters.',
      type: 'value_error',
    },
  ]);
}

export class IdempotencyStore {
  private lastPrune = 0;

  /**
   * `lockMs`: how long a first request holds its key; past it, a request that died with its process
   * no longer blocks retries (longer than the gateway waits for a subgraph's answer).
   */
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly lockMs: number,
  ) {}

  /** Starts a mutation: nothing to do, the kept answer, or a claim the caller must finish. */
  async begin(
    subgraph: string,
    ctx: Pick<Ctx, 'viewer' | 'authError' | 'headers'>,
    request: IdempotentRequest,
  ): Promise<IdempotencyStart> {
    const key = ctx.headers[IDEMPOTENCY_HEADER];
    if (key === undefined || ctx.authError) {
      return { kind: 'none' };
    }
    if (!KEY_SHAPE.test(key)) {
      throw keyProblem();
    }
    this.prune();
    const viewer = ctx.viewer;
    const tenantId = viewer?.tenantId ?? null;
    // Who may see the answer again: the same tenant (as selected), the same caller, on this subgraph.
    const scope = stableJson([
      tenantId,
      ctx.headers['x-tenant-id'] ?? null,
      viewer?.subject ?? 'anonymous',
      subgraph,
      key,
    ]);
    const id = sha256(`idempotency-id\0${scope}`).toString('hex');
    const sealKey = sha256(`idempotency-seal\0${scope}`);
    const fingerprint = sha256(
      stableJson([request.query, request.operationName ?? null, request.variables ?? {}]),
    ).toString('hex');

    // Two tries: a row deleted between the claim and the read (its first request was refused) is free again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const claimed = await this.db.$queryRaw<{ id: string }[]>`
        INSERT INTO idempotent_request (id, "tenantId", fingerprint, status, "lockedUntil", "expiresAt")
        VALUES (${id}, ${tenantId}::uuid, ${fingerprint}, 'pending',
                now() + ${this.lockMs}::int * interval '1 millisecond',
                now() + ${IDEMPOTENCY_TTL_HOURS}::int * interval '1 hour')
        ON CONFLICT (id) DO UPDATE SET
          fingerprint = EXCLUDED.fingerprint, status = 'pending', response = NULL,
          "lockedUntil" = EXCLUDED."lockedUntil", "expiresAt" = EXCLUDED."expiresAt", "createdAt" = now()
        WHERE idempotent_request."expiresAt" <= now()
           OR (idempotent_request.status = 'pending' AND idempotent_request."lockedUntil" <= now()
               AND idempotent_request.fingerprint = EXCLUDED.fingerprint)
        RETURNING id`;
      if (claimed.length) {
        return { kind: 'run', claim: this.claim(id, fingerprint, sealKey) };
      }
      const [row] = await this.db.$queryRaw<StoredRow[]>`
        SELECT fingerprint, status, response FROM idempotent_request WHERE id = ${id}`;
      if (!row) {
        continue;
      }
      if (row.fingerprint !== fingerprint) {
        throw new ValidationError('Request validation failed.', [
          {
            loc: ['header', 'Idempotency-Key'],
            msg: 'This Idempotency-Key was already used with a different request.',
            type: 'idempotency_key_reused',
          },
        ]);
      }
      if (row.status !== 'done' || row.response === null) {
        throw new ConflictError(
          'A request with this Idempotency-Key is still being processed; retry when it has finished.',
        );
      }
      return { kind: 'replay', result: JSON.parse(open(sealKey, row.response)) as FormattedExecutionResult };
    }
    throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly.');
  }

  private claim(id: string, fingerprint: string, sealKey: Buffer): IdempotencyClaim {
    return {
      finish: async (result) => {
        try {
          if (mutationsRan(result)) {
            await this.db.$executeRaw`
              UPDATE idempotent_request SET status = 'done', response = ${seal(sealKey, JSON.stringify(result))}
              WHERE id = ${id} AND fingerprint = ${fingerprint} AND status = 'pending'`;
          } else {
            await this.db.$executeRaw`
              DELETE FROM idempotent_request
              WHERE id = ${id} AND fingerprint = ${fingerprint} AND status = 'pending'`;
          }
        } catch (error) {
          // The answer still goes out; a retry waits for the lock to lapse, then runs again.
          this.log.warn({ err: error }, 'could not keep the answer of an idempotent request');
        }
      },
    };
  }

  /** Expired answers go, at most once a minute per process, off the request's path. */
  private prune(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) {
      return;
    }
    this.lastPrune = now;
    this.db.$executeRaw`DELETE FROM idempotent_request WHERE "expiresAt" < now()`.catch((error: unknown) =>
      this.log.warn({ err: error }, 'could not delete expired idempotent requests'),
    );
  }
}

/**
 * The store in a subgraph's Apollo Server: a mutation's key is claimed once the operation is known
 * (after validation and the NUL guard), a kept answer is sent instead of executing, and the first
 * answer is handed to the claim before it is sent.
 */
export function idempotencyPlugin(
  store: IdempotencyStore,
  subgraph: string,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): ApolloServerPlugin<Ctx> {
  const answer = (singleResult: FormattedExecutionResult): GraphQLResponse => ({
    http: { status: 200, headers: new HeaderMap() },
    body: { kind: 'single', singleResult },
  });
  return {
    async requestDidStart() {
      let claim: IdempotencyClaim | null = null;
      return {
        async responseForOperation({ operation, contextValue, request }) {
          if (operation?.operation !== 'mutation') {
            return null;
          }
          try {
            const start = await store.begin(subgraph, contextValue, {
              query: request.query ?? '',
              variables: request.variables,
              operationName: request.operationName,
            });
            if (start.kind === 'run') {
              claim = start.claim;
            }
            return start.kind === 'replay' ? answer(start.result) : null;
          } catch (error) {
            return answer({ errors: [formatError({ message: (error as Error).message }, error)] });
          }
        },
        async willSendResponse({ response }) {
          if (claim && response.body.kind === 'single') {
            await claim.finish(response.body.singleResult);
          }
        },
      };
    },
  };
}

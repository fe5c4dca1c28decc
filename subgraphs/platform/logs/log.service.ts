import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ForbiddenError, UnauthenticatedError } from '../../kernel/errors.js';
import { limitPoints } from '../../kernel/rate-limit.js';
import { detail, invalid, parseArgs } from '../../kernel/validation.js';
import type { PlatformCtx } from '../db.js';

/** Largest log event accepted, in bytes (the legacy limit; the REST route answers 413 past it). */
export const MAX_LOG_BYTES = 16_384;

const LogEvent = z.object({
  event: z.string().min(1).max(128),
  scope: z.string().max(64).nullish(),
  level: z.string().max(16).default('info'),
  message: z.string().max(2048).nullish(),
  timestamp: z.string().max(64).nullish(),
  fields: z
    .record(z.string(), z.unknown())
    .refine((f) => Object.keys(f).length <= 32, 'At most 32 fields.')
    .default({}),
});

/** Whether `signature` is the hex HMAC-SHA256 of `body` under `secret` (compared in constant time). */
function signedBy(secret: string, body: string, signature: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signature.trim(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Who may log: a signed-in caller (a bearer token or API key), or, when FRONTEND_LOG_SHARED_SECRET
 * is set, anyone who signs the raw body with it (`X-Log-Signature`). A presented credential that
 * fails is 401 as it is; a signature without the secret configured is 403.
 */
function assertMayLog(ctx: PlatformCtx, body: string, signature: string | null | undefined): void {
  if (ctx.viewer) {
    return;
  }
  if (ctx.authError) {
    throw ctx.authError;
  }
  if (!signature) {
    throw new UnauthenticatedError('Authentication required: a bearer token or X-Log-Signature.');
  }
  const secret = ctx.config.FRONTEND_LOG_SHARED_SECRET;
  if (!secret) {
    throw new ForbiddenError('Anonymous frontend logs are not enabled (FRONTEND_LOG_SHARED_SECRET).');
  }
  if (!signedBy(secret, body, signature)) {
    throw new UnauthenticatedError('Invalid log signature.');
  }
}

/**
 * Writes one frontend log event (at most FRONTEND_LOG_RATE_LIMIT_PER_MINUTE per caller; 429 past it) to the platform's log (`frontend.log`, with the caller's tenant and
 * subject when signed in); nothing is stored. `level` and `message` inside `fields` are dropped
 * (they would shadow the event's own).
 */
export async function ingestFrontendLog(
  ctx: PlatformCtx,
  body: string,
  signature: string | null | undefined,
): Promise<{ accepted: true }> {
  assertMayLog(ctx, body, signature);
  // The log is not a sink for floods: per caller (or client IP when anonymous) and minute.
  await ctx.limits.consume(
    'frontend_log_minute',
    ctx.viewer?.subject ?? ctx.client.ip ?? 'unknown',
    [{ points: limitPoints(ctx.config, ctx.config.FRONTEND_LOG_RATE_LIMIT_PER_MINUTE, 120), duration: 60 }],
    'Too many log events. Try again later.',
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid([detail(['body'], 'Invalid JSON body.', 'json_invalid')]);
  }
  const entry = parseArgs(LogEvent, parsed, ['body']);
  const { level: _level, message: _message, ...fields } = entry.fields;
  ctx.log.info(
    {
      frontend: { ...entry, fields },
      tenantId: ctx.viewer?.tenantId ?? null,
      subject: ctx.viewer?.subject ?? null,
      requestId: ctx.requestId,
    },
    'frontend.log',
  );
  return { accepted: true };
}

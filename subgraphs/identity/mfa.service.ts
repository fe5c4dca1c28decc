import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { HOTP, Secret, TOTP } from 'otpauth';
import { z } from 'zod';
import { recordActivity } from '../kernel/activity.js';
import { recordAudit } from '../kernel/audit.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  isUniqueViolation,
  NotFoundError,
  UnauthenticatedError,
} from '../kernel/errors.js';
import { sha256 } from '../kernel/secrets.js';
import { parseArgs } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx } from './db.js';
import { type IssuedSession, type SessionSubject, startSession, subjectOf } from './session.service.js';

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238): SHA1, 6 digits, 30 s steps, ±1 step accepted.

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;
const TOTP_ALGORITHM = 'SHA1';
const ISSUER = 'Agent Platform';

/** The TOTP code of a time step (RFC 4226 HOTP over the step counter). */
export function totpForStep(secret: Secret, step: number, digits = TOTP_DIGITS): string {
  return HOTP.generate({ secret, algorithm: TOTP_ALGORITHM, digits, counter: step });
}

/** The time step of a Unix time in milliseconds. */
export function totpStep(timestampMs: number): number {
  return Math.floor(timestampMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The TOTP code at a Unix time in milliseconds (what an authenticator app shows). */
export function totpAt(secret: Secret, timestampMs: number, digits = TOTP_DIGITS): string {
  return totpForStep(secret, totpStep(timestampMs), digits);
}

/**
 * The time step a code belongs to, within ±TOTP_WINDOW steps of `timestampMs`, or null when it
 * matches none. Compared in constant time.
 */
export function matchTotpStep(
  secret: Secret,
  code: string,
  timestampMs: number,
  digits = TOTP_DIGITS,
): number | null {
  if (!/^\d+$/.test(code) || code.length !== digits) {
    return null;
  }
  const current = totpStep(timestampMs);
  let matched: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(totpForStep(secret, step, digits));
    if (timingSafeEqual(expected, Buffer.from(code)) && matched === null) {
      matched = step;
    }
  }
  return matched;
}

// ---------------------------------------------------------------------------------------------
// Shapes and validation.

export type MfaMethodView = {
  id: string;
  methodType: string;
  label: string | null;
  verifiedAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

/** What login answers instead of a session when the user has a verified second factor. */
export interface MfaLoginChallenge {
  mfaRequired: true;
  challengeToken: string;
  methods: MfaMethodView[];
}

export interface TotpEnrollment {
  secret: string;
  methodId: string;
  otpauthUrl: string;
}

function view(m: MfaMethodView): MfaMethodView {
  return {
    id: m.id,
    methodType: m.methodType,
    label: m.label,
    verifiedAt: m.verifiedAt,
    lastUsedAt: m.lastUsedAt,
    revokedAt: m.revokedAt,
  };
}

const EnrollInput = z.object({ label: z.string().trim().min(1).max(64).nullish() });
const VerifyInput = z.object({ methodId: z.uuid(), code: z.string().min(6).max(8) });
const MethodIdInput = z.object({ methodId: z.uuid() });
const CompleteInput = z.object({
  challengeToken: z.string().min(10).max(4096),
  methodId: z.uuid(),
  // 6–8 digits for TOTP; longer for a recovery code (10 base32 characters, separators allowed).
  code: z.string().min(6).max(32),
});

/** Unrevoked methods a user may hold at once (verified or pending). */
const MAX_ACTIVE_METHODS = 10;
const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE_LENGTH = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const CHALLENGE_TTL_SECONDS = 5 * 60;
const CHALLENGE_TOKEN_USE = 'mfa_challenge';

/** Code attempts (enrolment verification and login completion) per user and per client IP. */
export const MFA_ATTEMPT_LIMITS = {
  user: { name: 'mfa_attempt_user', rules: [{ points: 10, duration: 3600 }] },
  ip: { name: 'mfa_attempt_ip', rules: [{ points: 20, duration: 3600 }] },
} as const;

async function consumeAttempt(ctx: IdentityCtx, userId: string): Promise<void> {
  const message = 'Too many MFA attempts. Try again later.';
  await ctx.limits.consume(MFA_ATTEMPT_LIMITS.user.name, userId, [...MFA_ATTEMPT_LIMITS.user.rules], message);
  if (ctx.client.ip) {
    await ctx.limits.consume(
      MFA_ATTEMPT_LIMITS.ip.name,
      ctx.client.ip,
      [...MFA_ATTEMPT_LIMITS.ip.rules],
      message,
    );
  }
}

function recoveryCodeHash(userId: string, code: string): string {
  return sha256(`recovery:${userId}:${code}`);
}

/** Lower case without separators, so `ABCDE-FGHIJ` and `abcdefghij` are the same code. */
function normaliseCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

/**
 * Accepts a TOTP code for a method once: the matched step must be later than the last accepted one
 * (claimed atomically, so two concurrent uses of one code cannot both win). Returns false when the
 * code does not match or was already used.
 */
async function acceptTotp(
  ctx: IdentityCtx,
  method: { id: string; secretEncrypted: string },
  code: string,
  markVerified: boolean,
): Promise<boolean> {
  const secret = Secret.fromBase32(ctx.secrets.open(method.secretEncrypted));
  const step = matchTotpStep(secret, code, Date.now());
  if (step === null) {
    return false;
  }
  const now = new Date();
  const claimed = await ctx.db.mfaMethod.updateMany({
    where: {
      id: method.id,
      revokedAt: null,
      OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: BigInt(step) } }],
    },
    data: { lastUsedStep: BigInt(step), lastUsedAt: now },
  });
  if (claimed.count !== 1) {
    return false;
  }
  if (markVerified) {
    await ctx.db.mfaMethod.updateMany({
      where: { id: method.id, verifiedAt: null },
      data: { verifiedAt: now },
    });
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Management (signed-in user).

/** All of the caller's methods, including pending and revoked ones, oldest first. */
export async function listMfaMethods(ctx: IdentityCtx): Promise<MfaMethodView[]> {
  const user = requireUser(ctx.viewer);
  const rows = await ctx.db.mfaMethod.findMany({
    where: { userId: user.userId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(view);
}

/** Starts a TOTP enrolment: a new unverified method whose secret is shown once. */
export async function enrollTotp(
  ctx: IdentityCtx,
  input: { label?: string | null },
): Promise<TotpEnrollment> {
  const viewer = requireUser(ctx.viewer);
  const { label } = parseArgs(EnrollInput, input, []);
  const user = await ctx.db.user.findUnique({ where: { id: viewer.userId }, select: { email: true } });
  if (!user) {
    throw new UnauthenticatedError('User not found.');
  }
  const active = await ctx.db.mfaMethod.count({ where: { userId: viewer.userId, revokedAt: null } });
  if (active >= MAX_ACTIVE_METHODS) {
    throw new ConflictError(`At most ${MAX_ACTIVE_METHODS} MFA methods can be active; revoke one first.`);
  }
  const secret = new Secret({ size: 20 });
  try {
    const method = await ctx.db.$transaction(async (tx) => {
      const created = await tx.mfaMethod.create({
        data: {
          userId: viewer.userId,
          methodType: 'totp',
          label: label ?? null,
          secretEncrypted: ctx.secrets.seal(secret.base32),
        },
      });
      await recordAudit(tx, viewer, {
        action: 'auth.mfa.enrolled',
        targetType: 'mfa_method',
        targetId: created.id,
        metadata: { methodType: 'totp' },
      });
      return created;
    });
    const totp = new TOTP({
      issuer: ISSUER,
      label: user.email,
      secret,
      algorithm: TOTP_ALGORITHM,
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_SECONDS,
    });
    return { secret: secret.base32, methodId: method.id, otpauthUrl: totp.toString() };
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError('An MFA method with this label already exists.');
    }
    throw error;
  }
}

/** Confirms an enrolment (or tests a method) with a current code. */
export async function verifyTotp(
  ctx: IdentityCtx,
  input: { methodId: string; code: string },
): Promise<MfaMethodView> {
  const viewer = requireUser(ctx.viewer);
  const data = parseArgs(VerifyInput, input, ['input']);
  await consumeAttempt(ctx, viewer.userId);
  const method = await ctx.db.mfaMethod.findFirst({ where: { id: data.methodId, userId: viewer.userId } });
  if (method?.methodType !== 'totp') {
    throw new BadRequestError('MFA method not found.');
  }
  if (method.revokedAt) {
    throw new BadRequestError('MFA method has been revoked.');
  }
  if (!(await acceptTotp(ctx, method, data.code, true))) {
    throw new BadRequestError('Invalid MFA code.');
  }
  const updated = await ctx.db.$transaction(async (tx) => {
    await recordAudit(tx, viewer, {
      action: 'auth.mfa.verified',
      targetType: 'mfa_method',
      targetId: method.id,
    });
    return tx.mfaMethod.findUniqueOrThrow({ where: { id: method.id } });
  });
  return view(updated);
}

/**
 * Soft-revokes one of the caller's methods. Unknown ids and other users' methods answer 404 (the
 * legacy API answered 200 for any id); revoking a revoked method is a no-op.
 */
export async function revokeMfaMethod(ctx: IdentityCtx, input: { methodId: string }): Promise<MfaMethodView> {
  const viewer = requireUser(ctx.viewer);
  const { methodId } = parseArgs(MethodIdInput, input, []);
  return ctx.db.$transaction(async (tx) => {
    const method = await tx.mfaMethod.findFirst({ where: { id: methodId, userId: viewer.userId } });
    if (!method) {
      throw new NotFoundError('MFA method');
    }
    if (method.revokedAt) {
      return view(method);
    }
    const revoked = await tx.mfaMethod.update({
      where: { id: method.id },
      data: { revokedAt: new Date(), revokedReason: 'user_request' },
    });
    await recordAudit(tx, viewer, {
      action: 'auth.mfa.revoked',
      targetType: 'mfa_method',
      targetId: method.id,
    });
    return view(revoked);
  });
}

/** Replaces the caller's recovery codes with 10 new ones, returned once (only hashes are kept). */
export async function regenerateRecoveryCodes(ctx: IdentityCtx): Promise<{ codes: string[] }> {
  const viewer = requireUser(ctx.viewer);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: RECOVERY_CODE_LENGTH }, () => BASE32[randomInt(BASE32.length)]).join(''),
  );
  await ctx.db.$transaction(async (tx) => {
    await tx.recoveryCode.deleteMany({ where: { userId: viewer.userId } });
    await tx.recoveryCode.createMany({
      data: codes.map((code) => ({ userId: viewer.userId, codeHash: recoveryCodeHash(viewer.userId, code) })),
    });
    await recordAudit(tx, viewer, {
      action: 'auth.mfa.recovery_codes_regenerated',
      targetType: 'user',
      targetId: viewer.userId,
    });
  });
  return { codes };
}

// ---------------------------------------------------------------------------------------------
// Login challenge.

/**
 * The MFA challenge for a login, or null when the user has no verified, unrevoked method.
 *
 * The challenge token is an EdDSA JWT signed by the kernel key ring (`token_use: mfa_challenge`,
 * 5 minutes) whose `jti` is the id of an `MfaChallenge` row; completing the login marks the row used,
 * so a token works once. It is never accepted as an access or refresh token (their `token_use`
 * differs).
 */
export async function mfaChallengeFor(
  ctx: IdentityCtx,
  who: SessionSubject,
): Promise<MfaLoginChallenge | null> {
  const methods = await ctx.db.mfaMethod.findMany({
    where: { userId: who.userId, revokedAt: null, verifiedAt: { not: null } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (methods.length === 0) {
    return null;
  }
  const id = randomUUID();
  await ctx.db.mfaChallenge.create({
    data: {
      id,
      userId: who.userId,
      tenantId: who.tenantId,
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
    },
  });
  const challengeToken = await ctx.keys.sign(
    { sub: `user:${who.userId}`, tenant_id: who.tenantId, token_use: CHALLENGE_TOKEN_USE, jti: id },
    CHALLENGE_TTL_SECONDS,
    ctx.config.AUTH_AUDIENCE.split(',')[0],
  );
  return { mfaRequired: true, challengeToken, methods: methods.map(view) };
}

const badChallenge = () => new UnauthenticatedError('Invalid or expired MFA challenge.');

/** Verifies the challenge JWT (signature, issuer, audience, time, token_use) and returns its row id. */
async function challengeIdOf(ctx: IdentityCtx, token: string): Promise<string> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(ctx.keys.jwks()), {
      algorithms: ['EdDSA'],
      issuer: ctx.config.AUTH_ISSUER,
      audience: ctx.config.AUTH_AUDIENCE.split(','),
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    });
    if (payload.token_use !== CHALLENGE_TOKEN_USE || typeof payload.jti !== 'string') {
      throw badChallenge();
    }
    const parsed = z.uuid().safeParse(payload.jti);
    if (!parsed.success || payload.sub === undefined) {
      throw badChallenge();
    }
    return parsed.data;
  } catch {
    throw badChallenge();
  }
}

/**
 * Completes a challenged login with a TOTP code of one of the user's verified methods, or with a
 * one-time recovery code (which the legacy API could not redeem). Wrong codes answer 401 and leave
 * the challenge usable until it expires (attempts are rate limited); success consumes it.
 */
export async function completeMfaLogin(
  ctx: IdentityCtx,
  input: { challengeToken: string; methodId: string; code: string },
): Promise<IssuedSession> {
  const data = parseArgs(CompleteInput, input, ['input']);
  const challengeId = await challengeIdOf(ctx, data.challengeToken);
  const challenge = await ctx.db.mfaChallenge.findUnique({ where: { id: challengeId } });
  if (!challenge || challenge.usedAt || challenge.expiresAt <= new Date()) {
    throw badChallenge();
  }
  await consumeAttempt(ctx, challenge.userId);
  const invalidCode = () => new UnauthenticatedError('Invalid MFA code.');
  const method = await ctx.db.mfaMethod.findFirst({
    where: { id: data.methodId, userId: challenge.userId, revokedAt: null, verifiedAt: { not: null } },
  });
  if (!method) {
    throw invalidCode();
  }
  const code = normaliseCode(data.code);
  let factor: 'totp' | 'recovery_code';
  if (/^\d{6,8}$/.test(code)) {
    factor = 'totp';
    if (!(await acceptTotp(ctx, method, code, false))) {
      throw invalidCode();
    }
  } else if (new RegExp(`^[${BASE32}]{${RECOVERY_CODE_LENGTH}}$`).test(code)) {
    factor = 'recovery_code';
  } else {
    throw invalidCode();
  }
  // Any refusal below throws inside the transaction, so a recovery code is never spent on a failure.
  return ctx.db.$transaction(async (tx) => {
    if (factor === 'recovery_code') {
      const used = await tx.recoveryCode.updateMany({
        where: { userId: challenge.userId, codeHash: recoveryCodeHash(challenge.userId, code), usedAt: null },
        data: { usedAt: new Date() },
      });
      if (used.count !== 1) {
        throw invalidCode();
      }
    }
    // Claim the challenge: of two concurrent completions, one wins.
    const claimed = await tx.mfaChallenge.updateMany({
      where: { id: challenge.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) {
      throw badChallenge();
    }
    const user = await tx.user.findUnique({
      where: { id: challenge.userId },
      include: { memberships: true },
    });
    const membership = user?.memberships.find((m) => m.tenantId === challenge.tenantId);
    if (!user || !membership) {
      throw badChallenge();
    }
    if (user.status !== 'active') {
      throw new ForbiddenError(`User is ${user.status}.`);
    }
    await recordAudit(tx, null, {
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      tenantId: membership.tenantId,
      metadata: { mfa: factor, methodId: method.id },
    });
    await recordActivity(tx, ctx, {
      tenantId: membership.tenantId,
      action: 'auth.login.success',
      objectType: 'user',
      objectId: user.id,
      actor: { userId: user.id, role: membership.role },
      metadata: { mfa: factor },
    });
    return startSession(ctx, tx, subjectOf(ctx, user, membership));
  });
}

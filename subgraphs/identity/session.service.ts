import { randomUUID } from 'node:crypto';
import { recordActivity } from '../kernel/activity.js';
import { recordAudit } from '../kernel/audit.js';
import { AppError, BadRequestError, ForbiddenError, UnauthenticatedError } from '../kernel/errors.js';
import { scopesOf } from '../kernel/scopes.js';
import { sha256 } from '../kernel/secrets.js';
import { scopesForRole } from '../kernel/viewer.js';
import type { IdentityCtx, IdentityTx } from './db.js';
import { type MfaLoginChallenge, mfaChallengeFor } from './mfa.service.js';
import { verifyPassword } from './password.js';
import { revokeSessions } from './sessions.service.js';

/** What a successful login, signup or refresh returns (the legacy UserSessionResponse). */
export interface IssuedSession {
  accessToken: string;
  refreshToken: string;
  tokenType: 'bearer';
  expiresAt: Date;
  refreshExpiresAt: Date;
  kid: string;
  refreshKid: string;
  scopes: string[];
  tenantId: string;
  userId: string;
  emailVerified: boolean;
  sessionId: string;
}

/** Who a session is for: the user, the tenant of the membership and its role. */
export interface SessionSubject {
  userId: string;
  tenantId: string;
  role: string;
  emailVerified: boolean;
  /** "operator" for platform operators (extra scopes), else null. */
  platformRole: string | null;
}

/** The scopes of a session: the tenant role's, plus the operator's when the user is one. */
export function sessionScopes(who: Pick<SessionSubject, 'role' | 'platformRole'>): string[] {
  return [...scopesForRole(who.role), ...(who.platformRole === 'operator' ? scopesOf('operator') : [])];
}

/** Signs an access + refresh pair for a session and stores the refresh token's hash. */
export async function issueTokens(
  ctx: IdentityCtx,
  tx: IdentityTx,
  who: SessionSubject,
  sessionId: string,
): Promise<IssuedSession> {
  const scopes = sessionScopes(who);
  const accessTtl = ctx.config.ACCESS_TOKEN_TTL_MINUTES * 60;
  const refreshTtl = ctx.config.REFRESH_TOKEN_TTL_MINUTES * 60;
  const subject = `user:${who.userId}`;
  const common = {
    sub: subject,
    tenant_id: who.tenantId,
    scope: scopes.join(' '),
    email_verified: who.emailVerified,
    sid: sessionId,
  };
  const audience = ctx.config.AUTH_AUDIENCE.split(',')[0];
  const accessToken = await ctx.keys.sign(
    { ...common, roles: [who.role], token_use: 'access' },
    accessTtl,
    audience,
  );
  const refreshJti = randomUUID();
  const refreshToken = await ctx.keys.sign(
    { ...common, token_use: 'refresh', account: subject, jti: refreshJti },
    refreshTtl,
  );
  const now = Date.now();
  const refreshExpiresAt = new Date(now + refreshTtl * 1000);
  await tx.refreshToken.create({
    data: { jti: refreshJti, sessionId, tokenHash: sha256(refreshToken), expiresAt: refreshExpiresAt },
  });
  return {
    accessToken,
    refreshToken,
    tokenType: 'bearer',
    expiresAt: new Date(now + accessTtl * 1000),
    refreshExpiresAt,
    kid: ctx.keys.activeKid,
    refreshKid: ctx.keys.activeKid,
    scopes,
    tenantId: who.tenantId,
    userId: who.userId,
    emailVerified: who.emailVerified,
    sessionId,
  };
}

function maskIp(ip: string | null): string | null {
  if (!ip) {
    return null;
  }
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+)\.\d+$/.exec(ip);
  return v4 ? `${v4[1]}.*` : ip.replace(/:[0-9a-f]*$/i, ':*');
}

/** Opens a new session and issues its first token pair (login, signup, MFA completion). */
export async function startSession(
  ctx: IdentityCtx,
  tx: IdentityTx,
  who: SessionSubject,
): Promise<IssuedSession> {
  const session = await tx.session.create({
    data: {
      userId: who.userId,
      tenantId: who.tenantId,
      userAgent: ctx.client.userAgent?.slice(0, 512) ?? null,
      ipMasked: maskIp(ctx.client.ip),
      lastSeenAt: new Date(),
    },
  });
  return issueTokens(ctx, tx, who, session.id);
}

/** The session subject of a user in one of its memberships. */
export function subjectOf(
  ctx: IdentityCtx,
  user: { id: string; email: string; emailVerifiedAt: Date | null; platformRole: string | null },
  membership: { tenantId: string; role: string },
): SessionSubject {
  const operatorEmails = ctx.config.PLATFORM_OPERATOR_EMAILS.split(',').map((e) => e.trim().toLowerCase());
  const operator = user.platformRole === 'operator' || operatorEmails.includes(user.email.toLowerCase());
  return {
    userId: user.id,
    tenantId: membership.tenantId,
    role: membership.role,
    emailVerified: user.emailVerifiedAt !== null,
    platformRole: operator ? 'operator' : null,
  };
}

export interface LoginInput {
  email: string;
  password: string;
  tenantId?: string | null | undefined;
}

/** Account lockout: this many failures inside the window lock the account for LOCK_MINUTES. */
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_WINDOW_MINUTES = 60;
export const LOCK_MINUTES = 60;

const NETWORK_THROTTLED = 'Too many login attempts from this network segment.';

/**
 * Failed logins per client IP (the legacy network throttle counts failures, not attempts): checked
 * before the password, charged after a failure. The name carries threshold and window, so
 * deployments (or tests) with other settings do not share counters.
 */
function ipFailureRule(ctx: IdentityCtx) {
  const rule = {
    points: ctx.config.AUTH_LOGIN_IP_MAX_FAILURES,
    duration: ctx.config.AUTH_LOGIN_WINDOW_SECONDS,
  };
  return { name: `login_ip_failures_${rule.points}_${rule.duration}`, rule };
}

async function assertIpNotThrottled(ctx: IdentityCtx): Promise<void> {
  const { name, rule } = ipFailureRule(ctx);
  await ctx.limits.assertAvailable(name, ctx.client.ip ?? 'unknown', rule, NETWORK_THROTTLED);
}

async function chargeIpFailure(ctx: IdentityCtx): Promise<void> {
  const { name, rule } = ipFailureRule(ctx);
  await ctx.limits
    .penalize(name, ctx.client.ip ?? 'unknown', rule)
    .catch((error: unknown) => ctx.log.warn({ err: error }, 'login IP failure counter not updated'));
}

function emailLimitRules(ctx: IdentityCtx) {
  return [
    { points: ctx.config.AUTH_LOGIN_EMAIL_MAX_ATTEMPTS, duration: ctx.config.AUTH_LOGIN_WINDOW_SECONDS },
  ];
}

/** Counts a failed password for the account; reaching the threshold locks it (423). */
async function recordLoginFailure(
  ctx: IdentityCtx,
  userId: string,
  memberships: readonly { tenantId: string }[],
): Promise<void> {
  const now = new Date();
  const windowStart = new Date(now.getTime() - LOCKOUT_WINDOW_MINUTES * 60_000);
  const locked = await ctx.db.$transaction(async (tx) => {
    const inWindow = await tx.user.updateMany({
      where: { id: userId, lastFailedAt: { gte: windowStart } },
      data: { failedLogins: { increment: 1 }, lastFailedAt: now },
    });
    if (inWindow.count === 0) {
      await tx.user.update({ where: { id: userId }, data: { failedLogins: 1, lastFailedAt: now } });
    }
    // Each of the user's tenants sees the attempt in its feed (no actor: whoever tried is unknown).
    for (const { tenantId } of memberships) {
      await recordActivity(tx, ctx, {
        tenantId,
        action: 'auth.login.failure',
        objectType: 'user',
        objectId: userId,
        status: 'failure',
      });
    }
    const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { failedLogins: true } });
    if (user.failedLogins < LOCKOUT_THRESHOLD) {
      return false;
    }
    await tx.user.update({
      where: { id: userId },
      data: { lockedUntil: new Date(now.getTime() + LOCK_MINUTES * 60_000) },
    });
    await recordAudit(tx, null, { action: 'auth.lockout', targetType: 'user', targetId: userId });
    return true;
  });
  if (locked) {
    throw new AppError('LOCKED', 'Account locked due to repeated failures.');
  }
}

/** 423 while a lock is live; an expired lock is cleared (with its failure count). */
async function assertNotLocked(
  ctx: IdentityCtx,
  user: { id: string; lockedUntil: Date | null },
): Promise<void> {
  if (!user.lockedUntil) {
    return;
  }
  if (user.lockedUntil > new Date()) {
    throw new AppError('LOCKED', 'Account is locked.');
  }
  await ctx.db.user.update({
    where: { id: user.id },
    data: { lockedUntil: null, failedLogins: 0, lastFailedAt: null },
  });
}

/**
 * Verifies email + password and opens a session in the user's (chosen) tenant. Every call (so every
 * GraphQL alias), whatever its outcome, is charged to the email's limiter; failures are also charged
 * to the client IP's.
 */
export async function login(ctx: IdentityCtx, input: LoginInput): Promise<IssuedSession | MfaLoginChallenge> {
  if (input.email.length > 320 || input.password.length > 256) {
    throw new UnauthenticatedError('Invalid email or password.');
  }
  const email = input.email.trim().toLowerCase();
  await assertIpNotThrottled(ctx);
  await ctx.limits.consume(
    'login_email',
    email,
    emailLimitRules(ctx),
    'Too many login attempts for this account. Try again later.',
  );
  const user = await ctx.db.user.findUnique({
    where: { email },
    include: { memberships: true },
  });
  if (user) {
    await assertNotLocked(ctx, user);
  }
  const passwordOk = await verifyPassword(user?.passwordHash ?? null, input.password);
  if (!user || !passwordOk) {
    await chargeIpFailure(ctx);
    if (user) {
      await recordLoginFailure(ctx, user.id, user.memberships);
    }
    throw new UnauthenticatedError('Invalid email or password.');
  }
  if (user.failedLogins > 0 || user.lastFailedAt || user.lockedUntil) {
    await ctx.db.user.update({
      where: { id: user.id },
      data: { failedLogins: 0, lastFailedAt: null, lockedUntil: null },
    });
  }
  if (user.status !== 'active') {
    throw new ForbiddenError(`User is ${user.status}.`);
  }
  const memberships = input.tenantId
    ? user.memberships.filter((m) => m.tenantId === input.tenantId)
    : user.memberships;
  if (memberships.length === 0) {
    throw new UnauthenticatedError('Invalid email or password.');
  }
  const membership = memberships[0];
  if (memberships.length > 1 || !membership) {
    throw new BadRequestError('Tenant context required for multi-tenant users.');
  }
  const who = subjectOf(ctx, user, membership);
  // A second factor turns the login into a challenge (completed by completeMfaLogin).
  const challenge = await mfaChallengeFor(ctx, who);
  if (challenge) {
    return challenge;
  }
  return ctx.db.$transaction(async (tx) => {
    await recordAudit(tx, null, {
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      tenantId: membership.tenantId,
    });
    await recordActivity(tx, ctx, {
      tenantId: membership.tenantId,
      action: 'auth.login.success',
      objectType: 'user',
      objectId: user.id,
      actor: { userId: user.id, role: membership.role },
    });
    return startSession(ctx, tx, who);
  });
}

/**
 * Rotates a refresh token: the presented one is revoked and a new pair is issued in the same
 * session. Presenting an already rotated token is treated as theft: the whole session is revoked.
 */
export async function refreshSession(ctx: IdentityCtx, refreshToken: string): Promise<IssuedSession> {
  await ctx.limits.consume(
    'refresh_ip',
    ctx.client.ip ?? 'unknown',
    [{ points: ctx.config.AUTH_REFRESH_IP_PER_MINUTE, duration: 60 }],
    'Too many refresh attempts. Try again later.',
  );
  if (refreshToken.length > 4096) {
    throw new UnauthenticatedError('Refresh token verification failed.');
  }
  const claims = await ctx.keys.verify(refreshToken, 'refresh');
  const jti = String(claims.jti);
  const invalid = () => new UnauthenticatedError('Refresh token has been revoked or expired.');
  const outcome = await ctx.db.$transaction(async (tx) => {
    const row = await tx.refreshToken.findUnique({ where: { jti }, include: { session: true } });
    if (!row || row.tokenHash !== sha256(refreshToken)) {
      return invalid();
    }
    if (row.revokedAt) {
      if (row.revokedReason === 'rotated' && !row.session.revokedAt) {
        await revokeSessions(tx, { id: row.sessionId }, 'reuse_detected');
        await recordAudit(tx, null, {
          action: 'auth.refresh.reuse_detected',
          targetType: 'session',
          targetId: row.sessionId,
          tenantId: row.session.tenantId,
        });
        return 'revoked' as const;
      }
      return invalid();
    }
    if (row.expiresAt < new Date() || row.session.revokedAt) {
      return invalid();
    }
    // Claim the row first: of two concurrent refreshes with one token, only one wins.
    const claimed = await tx.refreshToken.updateMany({
      where: { jti, revokedAt: null },
      data: { revokedAt: new Date(), revokedReason: 'rotated' },
    });
    if (claimed.count !== 1) {
      return invalid();
    }
    const user = await tx.user.findUnique({
      where: { id: row.session.userId },
      include: { memberships: true },
    });
    const membership = user?.memberships.find((m) => m.tenantId === row.session.tenantId);
    if (!user || !membership) {
      return invalid();
    }
    if (user.lockedUntil && user.lockedUntil > new Date()) {
      return new AppError('LOCKED', 'Account is locked.');
    }
    if (user.status !== 'active') {
      return new ForbiddenError(`User is ${user.status}.`);
    }
    await tx.session.update({ where: { id: row.sessionId }, data: { lastSeenAt: new Date() } });
    const who = subjectOf(ctx, user, membership);
    return issueTokens(ctx, tx, who, row.sessionId);
  });
  // The reuse revocation must commit, so the error is thrown after the transaction.
  if (outcome === 'revoked') {
    throw invalid();
  }
  if (outcome instanceof AppError) {
    throw outcome;
  }
  return outcome;
}

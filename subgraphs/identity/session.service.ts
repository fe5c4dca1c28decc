import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import type { Ctx } from '../kernel/context.js';
import type { DbTx } from '../kernel/db.js';
import {
  AppError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  isUniqueViolation,
  UnauthenticatedError,
  ValidationError,
} from '../kernel/errors.js';
import { sha256 } from '../kernel/secrets.js';
import { scopesForRole } from '../kernel/viewer.js';
import { type MfaLoginChallenge, mfaChallengeFor } from './mfa.service.js';
import { verifyPassword } from './password.js';

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

/** Scopes only platform operators receive (no tenant role grants them). */
export const OPERATOR_SCOPES = ['platform:operator', 'auth:invites', 'auth:signup_requests', 'status:manage'];

/** The scopes of a session: the tenant role's, plus the operator's when the user is one. */
export function sessionScopes(who: Pick<SessionSubject, 'role' | 'platformRole'>): string[] {
  return [...scopesForRole(who.role), ...(who.platformRole === 'operator' ? OPERATOR_SCOPES : [])];
}

/** Signs an access + refresh pair for a session and stores the refresh token's hash. */
export async function issueTokens(
  ctx: Ctx,
  tx: DbTx,
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
export async function startSession(ctx: Ctx, tx: DbTx, who: SessionSubject): Promise<IssuedSession> {
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
  ctx: Ctx,
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

/** Verifies email + password and opens a session in the user's (chosen) tenant. */
export async function login(ctx: Ctx, input: LoginInput): Promise<IssuedSession | MfaLoginChallenge> {
  if (input.email.length > 320 || input.password.length > 256) {
    throw new UnauthenticatedError('Invalid email or password.');
  }
  const user = await ctx.db.user.findUnique({
    where: { email: input.email.toLowerCase() },
    include: { memberships: true },
  });
  const passwordOk = await verifyPassword(user?.passwordHash ?? null, input.password);
  if (!user || !passwordOk) {
    throw new UnauthenticatedError('Invalid email or password.');
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
    return startSession(ctx, tx, who);
  });
}

/**
 * Rotates a refresh token: the presented one is revoked and a new pair is issued in the same
 * session. Presenting an already rotated token is treated as theft: the whole session is revoked.
 */
export async function refreshSession(ctx: Ctx, refreshToken: string): Promise<IssuedSession> {
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
        const now = new Date();
        await tx.session.update({ where: { id: row.sessionId }, data: { revokedAt: now } });
        await tx.refreshToken.updateMany({
          where: { sessionId: row.sessionId, revokedAt: null },
          data: { revokedAt: now, revokedReason: 'reuse_detected' },
        });
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

import { decodeJwt } from 'jose';
import { z } from 'zod';
import { recordActivity } from '../kernel/activity.js';
import { recordAudit } from '../kernel/audit.js';
import type { Prisma } from '../kernel/db.js';
import { AppError, ForbiddenError } from '../kernel/errors.js';
import { sha256 } from '../kernel/secrets.js';
import { parseArgs, requireUuid } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx, IdentityTx } from './db.js';

/**
 * Revokes the live sessions matching `where` and every live refresh token in them. The one
 * primitive behind logout, logout-all, session revocation and refresh-token reuse detection.
 * Returns how many sessions were revoked.
 */
export async function revokeSessions(
  tx: IdentityTx,
  where: Prisma.SessionWhereInput,
  reason: string,
): Promise<number> {
  const now = new Date();
  const sessions = await tx.session.findMany({ where: { ...where, revokedAt: null }, select: { id: true } });
  if (sessions.length === 0) {
    return 0;
  }
  const ids = sessions.map((s) => s.id);
  await tx.refreshToken.updateMany({
    where: { sessionId: { in: ids }, revokedAt: null },
    data: { revokedAt: now, revokedReason: reason },
  });
  const revoked = await tx.session.updateMany({
    where: { id: { in: ids }, revokedAt: null },
    data: { revokedAt: now, revokedReason: reason },
  });
  return revoked.count;
}

/**
 * Revokes a user's live sessions and their refresh tokens (every tenant), optionally sparing one
 * session (the caller's). Returns how many sessions were revoked.
 */
export function revokeUserSessions(
  tx: IdentityTx,
  userId: string,
  reason: string,
  exceptSessionId?: string | null,
): Promise<number> {
  return revokeSessions(tx, { userId, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) }, reason);
}

export interface LogoutResult {
  message: string;
  revoked: boolean;
}

const LogoutInput = z.object({ refreshToken: z.string().min(1).max(4096) });

/**
 * Revokes one refresh token of the caller and its session. The token is recognised by its stored
 * hash (so an expired token can still be logged out); another user's token is refused (403).
 */
export async function logoutSession(
  ctx: IdentityCtx,
  input: { refreshToken: string },
): Promise<LogoutResult> {
  const viewer = requireUser(ctx.viewer);
  const token = parseArgs(LogoutInput, input, ['input']).refreshToken;
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new ForbiddenError('Refresh token is malformed.');
  }
  if (claims.token_use !== 'refresh' || typeof claims.jti !== 'string') {
    throw new ForbiddenError('Token is not a refresh token.');
  }
  if (claims.sub !== viewer.subject) {
    throw new ForbiddenError('Refresh token does not belong to the authenticated user.');
  }
  const inactive = { message: 'Session already inactive.', revoked: false };
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.refreshToken.findUnique({
      where: { jti: claims.jti as string },
      include: { session: true },
    });
    if (!row || row.tokenHash !== sha256(token)) {
      return inactive;
    }
    if (row.session.userId !== viewer.userId) {
      throw new ForbiddenError('Refresh token does not belong to the authenticated user.');
    }
    const claimed = await tx.refreshToken.updateMany({
      where: { jti: row.jti, revokedAt: null },
      data: { revokedAt: new Date(), revokedReason: 'logout' },
    });
    const sessions = await revokeSessions(tx, { id: row.sessionId }, 'logout');
    if (claimed.count === 0 && sessions === 0) {
      return inactive;
    }
    await recordAudit(tx, viewer, {
      action: 'auth.logout',
      targetType: 'session',
      targetId: row.sessionId,
      tenantId: row.session.tenantId,
    });
    if (row.session.tenantId) {
      await recordActivity(tx, ctx, {
        tenantId: row.session.tenantId,
        action: 'auth.logout',
        objectType: 'session',
        objectId: row.sessionId,
      });
    }
    return { message: 'Session revoked successfully.', revoked: true };
  });
}

export interface LogoutAllResult {
  message: string;
  revoked: number;
}

/** Revokes every live session (and refresh token) of the caller, in every tenant. */
export async function logoutAllSessions(ctx: IdentityCtx): Promise<LogoutAllResult> {
  const viewer = requireUser(ctx.viewer);
  return ctx.db.$transaction(async (tx) => {
    const revoked = await revokeUserSessions(tx, viewer.userId, 'logout_all');
    if (revoked > 0) {
      await recordAudit(tx, viewer, {
        action: 'auth.logout_all',
        targetType: 'user',
        targetId: viewer.userId,
        tenantId: viewer.tenantId,
      });
    }
    return {
      message: revoked > 0 ? 'All sessions revoked successfully.' : 'No active sessions to revoke.',
      revoked,
    };
  });
}

export interface SessionClient {
  platform: string | null;
  browser: string | null;
  device: string | null;
  userAgent: string | null;
}

export interface SessionItem {
  id: string;
  tenantId: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
  ipAddressMasked: string | null;
  fingerprint: string | null;
  client: SessionClient;
  location: null;
  current: boolean;
}

export interface SessionList {
  sessions: SessionItem[];
  total: number;
  limit: number;
  offset: number;
}

/** Platform, browser and device class from a user-agent string (a coarse, dependency-free guess). */
export function describeUserAgent(userAgent: string | null): SessionClient {
  if (!userAgent) {
    return { platform: null, browser: null, device: null, userAgent: null };
  }
  const ua = userAgent;
  const pick = (rules: [RegExp, string][]) => rules.find(([re]) => re.test(ua))?.[1] ?? null;
  const platform = pick([
    [/Windows/i, 'Windows'],
    [/Android/i, 'Android'],
    [/iPhone|iPad|iPod/i, 'iOS'],
    [/Mac OS X|Macintosh/i, 'macOS'],
    [/CrOS/i, 'ChromeOS'],
    [/Linux/i, 'Linux'],
  ]);
  const browser = pick([
    [/Edg\//i, 'Edge'],
    [/OPR\/|Opera/i, 'Opera'],
    [/Firefox\//i, 'Firefox'],
    [/Chrome\/|CriOS/i, 'Chrome'],
    [/Safari\//i, 'Safari'],
    [/curl\//i, 'curl'],
    [/node|undici/i, 'Node.js'],
  ]);
  const device = /bot|crawler|spider/i.test(ua)
    ? 'bot'
    : /iPad|Tablet/i.test(ua)
      ? 'tablet'
      : /Mobi|iPhone|Android/i.test(ua)
        ? 'mobile'
        : 'desktop';
  return { platform, browser, device, userAgent };
}

const ListInput = z.object({
  includeRevoked: z.boolean().nullish(),
  limit: z.number().int().min(1).max(100).nullish(),
  offset: z.number().int().min(0).max(1_000_000).nullish(),
  tenantId: z.uuid().nullish(),
});

/** The caller's sessions, newest activity first; `current` marks the token's own session. */
export async function listSessions(ctx: IdentityCtx, input: z.input<typeof ListInput>): Promise<SessionList> {
  const viewer = requireUser(ctx.viewer);
  const a = parseArgs(ListInput, input, []);
  const limit = a.limit ?? 20;
  const offset = a.offset ?? 0;
  const where = {
    userId: viewer.userId,
    ...(a.includeRevoked ? {} : { revokedAt: null }),
    ...(a.tenantId ? { tenantId: a.tenantId } : {}),
  };
  const [total, rows] = await Promise.all([
    ctx.db.session.count({ where }),
    ctx.db.session.findMany({
      where,
      orderBy: [{ lastSeenAt: { sort: 'desc', nulls: 'last' } }, { createdAt: 'desc' }, { id: 'desc' }],
      skip: offset,
      take: limit,
    }),
  ]);
  return {
    sessions: rows.map((row) => ({
      id: row.id,
      tenantId: row.tenantId,
      createdAt: row.createdAt,
      lastSeenAt: row.lastSeenAt,
      revokedAt: row.revokedAt,
      ipAddressMasked: row.ipMasked,
      fingerprint:
        row.ipMasked || row.userAgent
          ? Buffer.from(`${row.ipMasked ?? ''}:${row.userAgent ?? ''}`).toString('base64url')
          : null,
      client: describeUserAgent(row.userAgent),
      location: null,
      current: row.id === viewer.sessionId,
    })),
    total,
    limit,
    offset,
  };
}

/** Revokes one of the caller's own live sessions; anything else is 404. */
export async function revokeSession(ctx: IdentityCtx, sessionId: string): Promise<LogoutResult> {
  const viewer = requireUser(ctx.viewer);
  requireUuid(sessionId, 'sessionId');
  return ctx.db.$transaction(async (tx) => {
    const revoked = await revokeSessions(tx, { id: sessionId, userId: viewer.userId }, 'user_revoked');
    if (revoked === 0) {
      throw new AppError('NOT_FOUND', 'Session not found or already revoked.');
    }
    await recordAudit(tx, viewer, {
      action: 'auth.session.revoke',
      targetType: 'session',
      targetId: sessionId,
      tenantId: viewer.tenantId,
    });
    return { message: 'Session revoked successfully.', revoked: true };
  });
}

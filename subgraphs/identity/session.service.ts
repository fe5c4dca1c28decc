import { createHash, randomBytes, randomUUID } from 'node:crypto';
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
import { scopesForRole } from '../kernel/viewer.js';
import { hashPassword, passwordProblems, verifyPassword } from './password.js';

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

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

interface SessionSubject {
  userId: string;
  tenantId: string;
  role: string;
  emailVerified: boolean;
}

/** Signs an access + refresh pair for a session and stores the refresh token's hash. */
async function issueTokens(
  ctx: Ctx,
  tx: DbTx,
  who: SessionSubject,
  sessionId: string,
): Promise<IssuedSession> {
  const scopes = scopesForRole(who.role);
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

async function startSession(ctx: Ctx, tx: DbTx, who: SessionSubject): Promise<IssuedSession> {
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

export const RegisterInput = z.object({
  email: z.email().max(320),
  password: z.string().max(256),
  tenantName: z.string().trim().min(2).max(128),
  displayName: z.string().trim().max(128).nullish(),
  planCode: z.string().max(64).nullish(),
  trialDays: z.number().int().min(0).max(365).nullish(),
  acceptTerms: z.literal(true, { error: 'Terms of service must be accepted.' }),
  inviteToken: z.string().max(512).nullish(),
});
export type RegisterInput = z.input<typeof RegisterInput>;

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'tenant';
}

/**
 * Public signup: creates the tenant, the user and the owner membership in one transaction, then
 * opens a session. Other signup policies need an invite (not available yet: 403 with the reason).
 */
export async function registerAccount(
  ctx: Ctx,
  input: RegisterInput,
): Promise<IssuedSession & { tenantSlug: string }> {
  const parsed = RegisterInput.safeParse(input);
  const problems = passwordProblems(input.password ?? '');
  if (!parsed.success || problems.length) {
    const details = [
      ...(parsed.success
        ? []
        : parsed.error.issues.map((i) => ({
            loc: ['body', ...i.path.map(String)],
            msg: i.message,
            type: i.code,
          }))),
      ...problems.map((msg) => ({ loc: ['body', 'password'], msg, type: 'value_error' })),
    ];
    throw new ValidationError('Request validation failed.', details);
  }
  const data = parsed.data;
  if (ctx.config.SIGNUP_ACCESS_POLICY !== 'public') {
    throw new ForbiddenError('Invite token is required for signup.');
  }
  const email = data.email.toLowerCase();
  const passwordHash = await hashPassword(data.password);
  const base = slugify(data.tenantName);
  try {
    return await ctx.db.$transaction(async (tx) => {
      let slug = base;
      for (let attempt = 0; await tx.tenant.findUnique({ where: { slug } }); attempt++) {
        if (attempt >= 10) {
          throw new ConflictError('Could not allocate a unique tenant slug.');
        }
        slug = `${base}-${randomBytes(2).toString('hex')}`;
      }
      const tenant = await tx.tenant.create({ data: { name: data.tenantName, slug } });
      const user = await tx.user.create({
        data: { email, passwordHash, displayName: data.displayName ?? null },
      });
      await tx.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'owner' } });
      const who = { userId: user.id, tenantId: tenant.id, role: 'owner', emailVerified: false };
      await recordAudit(tx, null, {
        action: 'auth.signup',
        targetType: 'user',
        targetId: user.id,
        tenantId: tenant.id,
      });
      return { ...(await startSession(ctx, tx, who)), tenantSlug: tenant.slug };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError('Email already registered.');
    }
    throw error;
  }
}

export interface LoginInput {
  email: string;
  password: string;
  tenantId?: string | null | undefined;
}

/** Verifies email + password and opens a session in the user's (chosen) tenant. */
export async function login(ctx: Ctx, input: LoginInput): Promise<IssuedSession> {
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
  const who = {
    userId: user.id,
    tenantId: membership.tenantId,
    role: membership.role,
    emailVerified: user.emailVerifiedAt !== null,
  };
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
    const who = {
      userId: user.id,
      tenantId: membership.tenantId,
      role: membership.role,
      emailVerified: user.emailVerifiedAt !== null,
    };
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

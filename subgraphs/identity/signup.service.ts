import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { recordActivity } from '../kernel/activity.js';
import { recordAudit } from '../kernel/audit.js';
import { AppError, ConflictError, ForbiddenError, isUniqueViolation } from '../kernel/errors.js';
import { type LimitRule, limitPoints } from '../kernel/rate-limit.js';
import { sha256 } from '../kernel/secrets.js';
import { parseArgs } from '../kernel/validation.js';
import type { IdentityCtx, IdentityTx } from './db.js';
import { hashPassword, passwordProblems } from './password.js';
import { type IssuedSession, startSession } from './session.service.js';

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

export type SignupPolicyName = 'public' | 'invite_only' | 'approval';

/** The deployment's signup policy (the legacy SignupAccessPolicyResponse). */
export interface SignupPolicy {
  policy: SignupPolicyName;
  inviteRequired: boolean;
  requestAccessEnabled: boolean;
}

export function signupPolicy(ctx: IdentityCtx): SignupPolicy {
  const policy = ctx.config.SIGNUP_ACCESS_POLICY;
  return {
    policy,
    inviteRequired: policy !== 'public',
    requestAccessEnabled: policy === 'invite_only' || policy === 'approval',
  };
}

/**
 * The four signup limits (per IP per hour and per day, per email and per domain per day), shared by
 * register (`signup_*`) and request-access (`signup_request_*`). Throws RATE_LIMITED (429).
 */
export async function consumeSignupLimits(ctx: IdentityCtx, prefix: string, email: string): Promise<void> {
  const c = ctx.config;
  const ip = ctx.client.ip ?? 'unknown';
  const domain = email.split('@')[1] ?? email;
  const hour = (points: number): LimitRule[] => [{ points, duration: 3600 }];
  const day = (points: number): LimitRule[] => [{ points, duration: 86400 }];
  const message = (quota: string) => `Rate limit exceeded (${quota}). Try again later.`;
  await ctx.limits.consume(
    `${prefix}_ip_hour`,
    ip,
    hour(limitPoints(ctx.config, c.SIGNUP_RATE_LIMIT_PER_HOUR, 20)),
    message(`${prefix}_per_hour`),
  );
  await ctx.limits.consume(
    `${prefix}_ip_day`,
    ip,
    day(limitPoints(ctx.config, c.SIGNUP_RATE_LIMIT_PER_IP_DAY, 100)),
    message(`${prefix}_per_ip_day`),
  );
  await ctx.limits.consume(
    `${prefix}_email_day`,
    email,
    day(limitPoints(ctx.config, c.SIGNUP_RATE_LIMIT_PER_EMAIL_DAY, 3)),
    message(`${prefix}_per_email_day`),
  );
  await ctx.limits.consume(
    `${prefix}_domain_day`,
    domain,
    day(limitPoints(ctx.config, c.SIGNUP_RATE_LIMIT_PER_DOMAIN_DAY, 20)),
    message(`${prefix}_per_domain_day`),
  );
}

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
 * Checks an invite before the signup transaction: 403 with the legacy message for a missing,
 * unknown, inactive, expired, foreign-email or (approval policy) unapproved invite. An expired
 * invite is marked `expired` on the way (outside any transaction, so it sticks).
 */
async function checkInvite(
  ctx: IdentityCtx,
  token: string | null | undefined,
  email: string,
): Promise<string> {
  if (!token) {
    throw new ForbiddenError('Invite token is required for signup.');
  }
  const invite = await ctx.db.signupInvite.findUnique({ where: { tokenHash: sha256(token) } });
  if (!invite) {
    throw new ForbiddenError('Invite token is invalid.');
  }
  if (invite.status !== 'active' || invite.redeemedCount >= invite.maxRedemptions) {
    throw new ForbiddenError('Invite token is no longer active.');
  }
  if (invite.expiresAt && invite.expiresAt <= new Date()) {
    await ctx.db.signupInvite.updateMany({
      where: { id: invite.id, status: 'active' },
      data: { status: 'expired', revokedAt: new Date(), revokedReason: 'expired' },
    });
    throw new ForbiddenError('Invite token has expired.');
  }
  if (invite.invitedEmail && invite.invitedEmail.toLowerCase() !== email) {
    throw new ForbiddenError('Invite token is restricted to a different email.');
  }
  if (ctx.config.SIGNUP_ACCESS_POLICY === 'approval' && !invite.signupRequestId) {
    throw new ForbiddenError('Approval-required signup must use an approved invite.');
  }
  return invite.id;
}

/**
 * Redeems an invite inside the signup transaction: a compare-and-set on the observed redemption
 * count, so two concurrent signups cannot both take the last redemption. Reaching the maximum
 * moves the invite to `exhausted`. Rolled back with the signup when anything else fails.
 */
async function redeemInvite(tx: IdentityTx, inviteId: string): Promise<void> {
  const now = new Date();
  for (let attempt = 0; attempt < 5; attempt++) {
    const invite = await tx.signupInvite.findUnique({ where: { id: inviteId } });
    if (
      invite?.status !== 'active' ||
      invite.redeemedCount >= invite.maxRedemptions ||
      (invite.expiresAt && invite.expiresAt <= now)
    ) {
      throw new ForbiddenError('Invite token is no longer active.');
    }
    const redeemed = invite.redeemedCount + 1;
    const claimed = await tx.signupInvite.updateMany({
      where: { id: inviteId, status: 'active', redeemedCount: invite.redeemedCount },
      data: {
        redeemedCount: redeemed,
        lastRedeemedAt: now,
        ...(redeemed >= invite.maxRedemptions ? { status: 'exhausted' } : {}),
      },
    });
    if (claimed.count === 1) {
      return;
    }
  }
  throw new ForbiddenError('Invite token is no longer active.');
}

/**
 * Signup: creates the tenant, the user, the owner membership and the first password-history row in
 * one transaction, then opens a session. Under the invite_only and approval policies an invite is
 * required and redeemed in the same transaction.
 */
export async function registerAccount(
  ctx: IdentityCtx,
  input: RegisterInput,
): Promise<IssuedSession & { tenantSlug: string }> {
  const data = parseArgs(
    RegisterInput,
    input,
    ['input'],
    passwordProblems(input.password ?? '').map((msg) => ({
      loc: ['input', 'password'],
      msg,
      type: 'value_error',
    })),
  );
  const email = data.email.toLowerCase();
  await consumeSignupLimits(ctx, 'signup', email);
  const inviteId =
    ctx.config.SIGNUP_ACCESS_POLICY === 'public' ? null : await checkInvite(ctx, data.inviteToken, email);
  const passwordHash = await hashPassword(data.password);
  const base = slugify(data.tenantName);
  try {
    return await ctx.db.$transaction(async (tx) => {
      if (inviteId) {
        await redeemInvite(tx, inviteId);
      }
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
      await tx.passwordHistory.create({ data: { userId: user.id, passwordHash } });
      const who = {
        userId: user.id,
        tenantId: tenant.id,
        role: 'owner',
        emailVerified: false,
        platformRole: null,
      };
      await recordAudit(tx, null, {
        action: 'auth.signup',
        targetType: 'user',
        targetId: user.id,
        tenantId: tenant.id,
        ...(inviteId ? { metadata: { inviteId } } : {}),
      });
      await recordActivity(tx, ctx, {
        tenantId: tenant.id,
        action: 'auth.signup.success',
        objectType: 'user',
        objectId: user.id,
        actor: { userId: user.id, role: 'owner' },
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

export const RequestAccessInput = z.object({
  email: z.email().max(320),
  organization: z.string().trim().min(2).max(128),
  fullName: z.string().trim().min(2).max(128),
  message: z.string().max(1000).nullish(),
  acceptTerms: z.literal(true, { error: 'Terms of service must be accepted.' }),
  honeypot: z.string().max(1000).nullish(),
});
export type RequestAccessInput = z.input<typeof RequestAccessInput>;

/**
 * Public access request (202): stores a pending signup request for operators to approve. A filled
 * honeypot is silently dropped; too many pending requests from one IP answer 429. Returns the policy.
 */
export async function requestSignupAccess(
  ctx: IdentityCtx,
  input: RequestAccessInput,
): Promise<SignupPolicy> {
  const data = parseArgs(RequestAccessInput, input, ['input']);
  const email = data.email.toLowerCase();
  await consumeSignupLimits(ctx, 'signup_request', email);
  if (data.honeypot?.trim()) {
    ctx.log.info({ ip: ctx.client.ip }, 'access request dropped (honeypot)');
    return signupPolicy(ctx);
  }
  const ip = ctx.client.ip;
  const cap = limitPoints(ctx.config, ctx.config.SIGNUP_CONCURRENT_REQUESTS_LIMIT, 3);
  if (ip && (await ctx.db.signupRequest.count({ where: { ipAddress: ip, status: 'pending' } })) >= cap) {
    throw new AppError('RATE_LIMITED', 'Too many pending requests from this IP. Try again soon.', {
      retryAfterSeconds: 3600,
    });
  }
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.signupRequest.create({
      data: {
        email,
        organization: data.organization,
        fullName: data.fullName,
        message: data.message ?? null,
        ipAddress: ip,
        userAgent: ctx.client.userAgent?.slice(0, 512) ?? null,
      },
    });
    await recordAudit(tx, null, {
      action: 'auth.signup_request.created',
      targetType: 'signup_request',
      targetId: row.id,
    });
  });
  return signupPolicy(ctx);
}

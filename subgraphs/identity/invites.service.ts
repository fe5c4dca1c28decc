import { z } from 'zod';
import type { Prisma, SignupInvite as SignupInviteRow } from '../../generated/prisma/client.js';
import { recordAudit } from '../kernel/audit.js';
import { AppError, NotFoundError } from '../kernel/errors.js';
import { mailLink } from '../kernel/mailer.js';
import { randomToken, sha256 } from '../kernel/secrets.js';
import { isUuid, parseArgs, UUID_RE } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx, IdentityTx } from './db.js';

/** An invite as operators see it (never the token, only its first characters). */
export interface SignupInviteView {
  id: string;
  tokenHint: string;
  invitedEmail: string | null;
  status: string;
  maxRedemptions: number;
  redeemedCount: number;
  expiresAt: Date | null;
  createdAt: Date;
  signupRequestId: string | null;
  note: string | null;
}

/** A newly issued invite, with its plaintext token (returned once). */
export interface IssuedSignupInvite extends SignupInviteView {
  inviteToken: string;
}

/** Stored status, with an active invite past its expiry shown as `expired`. */
export function inviteView(row: SignupInviteRow, now = new Date()): SignupInviteView {
  const expired = row.status === 'active' && row.expiresAt !== null && row.expiresAt <= now;
  return {
    id: row.id,
    tokenHint: row.tokenHint,
    invitedEmail: row.invitedEmail,
    status: expired ? 'expired' : row.status,
    maxRedemptions: row.maxRedemptions,
    redeemedCount: row.redeemedCount,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    signupRequestId: row.signupRequestId,
    note: row.note,
  };
}

export interface NewInvite {
  invitedEmail: string | null;
  maxRedemptions: number;
  expiresInHours: number | null;
  note: string | null;
  signupRequestId: string | null;
}

/** Creates an invite row in `tx` (token = randomToken(32); stores sha256 + the first 8 characters). */
export async function createInviteRow(
  ctx: IdentityCtx,
  tx: IdentityTx,
  invite: NewInvite,
): Promise<IssuedSignupInvite> {
  const viewer = requireUser(ctx.viewer);
  const token = randomToken(32);
  const row = await tx.signupInvite.create({
    data: {
      tokenHash: sha256(token),
      tokenHint: token.slice(0, 8),
      invitedEmail: invite.invitedEmail,
      issuerUserId: viewer.userId,
      issuerTenantId: viewer.tenantId,
      signupRequestId: invite.signupRequestId,
      maxRedemptions: invite.maxRedemptions,
      expiresAt:
        invite.expiresInHours === null ? null : new Date(Date.now() + invite.expiresInHours * 3_600_000),
      note: invite.note,
    },
  });
  await recordAudit(tx, viewer, {
    action: 'auth.invite.issued',
    targetType: 'signup_invite',
    targetId: row.id,
    metadata: { invitedEmail: invite.invitedEmail, signupRequestId: invite.signupRequestId },
  });
  return { ...inviteView(row), inviteToken: token };
}

/** Mails an invite (best effort): a link to the signup page carrying the token. */
export async function mailInvite(ctx: IdentityCtx, to: string, token: string): Promise<boolean> {
  const link = mailLink(ctx.config, '/signup', { invite: token });
  try {
    return await ctx.mailer.send({
      to,
      subject: 'Your invitation to the Agent Platform',
      text: `You have been invited to create an account.\n\nSign up here: ${link}\n\nInvite token: ${token}\n`,
      purpose: 'signup_invite',
      link,
    });
  } catch (error) {
    ctx.log.error({ err: error }, 'invite email failed');
    return false;
  }
}

const ListInvitesArgs = z.object({
  status: z.enum(['active', 'revoked', 'expired', 'exhausted']).nullish(),
  email: z.string().max(320).nullish(),
  requestId: z.string().regex(UUID_RE, 'Invalid UUID.').nullish(),
  limit: z.number().int().min(1).max(200).nullish(),
  offset: z.number().int().min(0).nullish(),
});
export type ListInvitesArgs = Omit<z.input<typeof ListInvitesArgs>, 'status'> & { status?: string | null };

/** Invites, newest first, filtered by effective status, email and signup request (scope auth:invites). */
export async function listInvites(
  ctx: IdentityCtx,
  args: ListInvitesArgs,
): Promise<{ invites: SignupInviteView[]; total: number }> {
  const a = parseArgs(ListInvitesArgs, args, []);
  const { status, email, requestId } = a;
  const now = new Date();
  const live: Prisma.SignupInviteWhereInput = { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
  const byStatus: Prisma.SignupInviteWhereInput =
    status === 'active'
      ? { status: 'active', ...live }
      : status === 'expired'
        ? { OR: [{ status: 'expired' }, { status: 'active', expiresAt: { lte: now } }] }
        : status
          ? { status }
          : {};
  const where: Prisma.SignupInviteWhereInput = {
    AND: [
      byStatus,
      email ? { invitedEmail: { equals: email.toLowerCase(), mode: 'insensitive' } } : {},
      requestId ? { signupRequestId: requestId } : {},
    ],
  };
  const [rows, total] = await Promise.all([
    ctx.db.signupInvite.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: a.limit ?? 50,
      skip: a.offset ?? 0,
    }),
    ctx.db.signupInvite.count({ where }),
  ]);
  return { invites: rows.map((r) => inviteView(r, now)), total };
}

const CreateInviteInput = z.object({
  invitedEmail: z.email().max(320).nullish(),
  maxRedemptions: z.number().int().min(1).max(10).nullish(),
  /** Absent: 72 hours; null: no expiry. */
  expiresInHours: z.number().int().min(1).max(336).nullish(),
  note: z.string().max(512).nullish(),
  signupRequestId: z.string().regex(UUID_RE, 'Invalid UUID.').nullish(),
  sendEmail: z.boolean().nullish(),
});
export type CreateInviteInput = z.input<typeof CreateInviteInput>;

/**
 * Issues an invite (scope auth:invites) and returns its plaintext token once. The issuer is
 * recorded. With `sendEmail` and an invited email, the invite is mailed as well.
 */
export async function createInvite(ctx: IdentityCtx, input: CreateInviteInput): Promise<IssuedSignupInvite> {
  const data = parseArgs(CreateInviteInput, input, ['input']);
  const invitedEmail = data.invitedEmail?.toLowerCase() ?? null;
  const issued = await ctx.db.$transaction(async (tx) => {
    if (data.signupRequestId) {
      const request = await tx.signupRequest.findUnique({ where: { id: data.signupRequestId } });
      if (!request) {
        throw new NotFoundError('Signup request');
      }
    }
    return createInviteRow(ctx, tx, {
      invitedEmail,
      maxRedemptions: data.maxRedemptions ?? 1,
      expiresInHours: data.expiresInHours === undefined ? 72 : data.expiresInHours,
      note: data.note ?? null,
      signupRequestId: data.signupRequestId ?? null,
    });
  });
  if (data.sendEmail && invitedEmail) {
    await mailInvite(ctx, invitedEmail, issued.inviteToken);
  }
  return issued;
}

/** Revokes an invite (scope auth:invites); unknown or already revoked → 404. */
export async function revokeInvite(ctx: IdentityCtx, inviteId: string): Promise<SignupInviteView> {
  const viewer = requireUser(ctx.viewer);
  const notFound = new AppError('NOT_FOUND', 'Invite not found or already revoked.');
  if (!isUuid(inviteId)) {
    throw notFound;
  }
  return ctx.db.$transaction(async (tx) => {
    const revoked = await tx.signupInvite.updateMany({
      where: { id: inviteId, status: { not: 'revoked' } },
      data: { status: 'revoked', revokedAt: new Date(), revokedReason: 'operator_action' },
    });
    if (revoked.count !== 1) {
      throw notFound;
    }
    await recordAudit(tx, viewer, {
      action: 'auth.invite.revoked',
      targetType: 'signup_invite',
      targetId: inviteId,
    });
    return inviteView(await tx.signupInvite.findUniqueOrThrow({ where: { id: inviteId } }));
  });
}

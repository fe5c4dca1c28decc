import { z } from 'zod';
import type { SignupRequest as SignupRequestRow } from '../../generated/prisma/client.js';
import { recordAudit } from '../kernel/audit.js';
import { ConflictError, NotFoundError } from '../kernel/errors.js';
import { isUuid, parseArgs } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx } from './db.js';
import { createInviteRow, type IssuedSignupInvite, mailInvite } from './invites.service.js';

/** A signup request as operators see it. */
export interface SignupRequestView {
  id: string;
  email: string;
  organization: string | null;
  fullName: string | null;
  message: string | null;
  status: string;
  createdAt: Date;
  decisionReason: string | null;
  decidedAt: Date | null;
  inviteTokenHint: string | null;
}

/** An operator's decision: the request, and the invite issued on approval (token shown once). */
export interface SignupRequestDecision {
  request: SignupRequestView;
  invite: IssuedSignupInvite | null;
}

function requestView(row: SignupRequestRow): SignupRequestView {
  return {
    id: row.id,
    email: row.email,
    organization: row.organization,
    fullName: row.fullName,
    message: row.message,
    status: row.status,
    createdAt: row.createdAt,
    decisionReason: row.decisionReason,
    decidedAt: row.decidedAt,
    inviteTokenHint: row.inviteTokenHint,
  };
}

const ListArgs = z.object({
  status: z.enum(['pending', 'approved', 'rejected']).nullish(),
  limit: z.number().int().min(1).max(200).nullish(),
  offset: z.number().int().min(0).nullish(),
});
export type ListSignupRequestsArgs = Omit<z.input<typeof ListArgs>, 'status'> & { status?: string | null };

/** Signup requests, newest first (scope auth:signup_requests). */
export async function listSignupRequests(
  ctx: IdentityCtx,
  args: ListSignupRequestsArgs,
): Promise<{ requests: SignupRequestView[]; total: number }> {
  const a = parseArgs(ListArgs, args, []);
  const where = a.status ? { status: a.status } : {};
  const [rows, total] = await Promise.all([
    ctx.db.signupRequest.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: a.limit ?? 50,
      skip: a.offset ?? 0,
    }),
    ctx.db.signupRequest.count({ where }),
  ]);
  return { requests: rows.map(requestView), total };
}

const ApproveInput = z.object({
  note: z.string().max(512).nullish(),
  inviteExpiresInHours: z.number().int().min(1).max(336).nullish(),
  sendEmail: z.boolean().nullish(),
});
export type ApproveSignupRequestInput = z.input<typeof ApproveInput>;

const RejectInput = z.object({ reason: z.string().max(512).nullish() });
export type RejectSignupRequestInput = z.input<typeof RejectInput>;

const alreadyProcessed = () => new ConflictError('Request already processed by another operator.');

/**
 * Approves a pending request: issues a single-use invite bound to its email and id, and moves the
 * request to approved (compare-and-set; a concurrent decision → 409 and the invite is rolled back).
 * The deciding operator is recorded. With `sendEmail`, the invite is mailed to the requester.
 */
export async function approveSignupRequest(
  ctx: IdentityCtx,
  requestId: string,
  input: ApproveSignupRequestInput | null | undefined,
): Promise<SignupRequestDecision> {
  const viewer = requireUser(ctx.viewer);
  const data = parseArgs(ApproveInput, input ?? {}, ['input']);
  if (!isUuid(requestId)) {
    throw new NotFoundError('Signup request');
  }
  const decision = await ctx.db.$transaction(async (tx) => {
    const request = await tx.signupRequest.findUnique({ where: { id: requestId } });
    if (!request) {
      throw new NotFoundError('Signup request');
    }
    if (request.status !== 'pending') {
      throw alreadyProcessed();
    }
    const invite = await createInviteRow(ctx, tx, {
      invitedEmail: request.email.toLowerCase(),
      maxRedemptions: 1,
      expiresInHours: data.inviteExpiresInHours ?? 72,
      note: data.note ?? null,
      signupRequestId: request.id,
    });
    const decided = await tx.signupRequest.updateMany({
      where: { id: requestId, status: 'pending' },
      data: {
        status: 'approved',
        decidedAt: new Date(),
        decidedBy: viewer.userId,
        decisionReason: data.note ?? null,
        inviteTokenHint: invite.tokenHint,
      },
    });
    if (decided.count !== 1) {
      throw alreadyProcessed();
    }
    await recordAudit(tx, viewer, {
      action: 'auth.signup_request.approved',
      targetType: 'signup_request',
      targetId: requestId,
      metadata: { inviteId: invite.id },
    });
    const row = await tx.signupRequest.findUniqueOrThrow({ where: { id: requestId } });
    return { request: requestView(row), invite };
  });
  if (data.sendEmail && decision.invite) {
    await mailInvite(ctx, decision.request.email, decision.invite.inviteToken);
  }
  return decision;
}

/** Rejects a pending request (compare-and-set; already decided → 409), recording the operator. */
export async function rejectSignupRequest(
  ctx: IdentityCtx,
  requestId: string,
  input: RejectSignupRequestInput | null | undefined,
): Promise<SignupRequestDecision> {
  const viewer = requireUser(ctx.viewer);
  const data = parseArgs(RejectInput, input ?? {}, ['input']);
  if (!isUuid(requestId)) {
    throw new NotFoundError('Signup request');
  }
  return ctx.db.$transaction(async (tx) => {
    const decided = await tx.signupRequest.updateMany({
      where: { id: requestId, status: 'pending' },
      data: {
        status: 'rejected',
        decidedAt: new Date(),
        decidedBy: viewer.userId,
        decisionReason: data.reason ?? null,
      },
    });
    const row = await tx.signupRequest.findUnique({ where: { id: requestId } });
    if (!row) {
      throw new NotFoundError('Signup request');
    }
    if (decided.count !== 1) {
      throw alreadyProcessed();
    }
    await recordAudit(tx, viewer, {
      action: 'auth.signup_request.rejected',
      targetType: 'signup_request',
      targetId: requestId,
    });
    return { request: requestView(row), invite: null };
  });
}

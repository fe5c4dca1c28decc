import { z } from 'zod';
import type { StatusSubscription } from '../../../generated/prisma/client.js';
import {
  AppError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
} from '../../kernel/errors.js';
import { enqueueJob } from '../../kernel/jobs.js';
import { mailLink } from '../../kernel/mailer.js';
import { pageSize } from '../../kernel/pagination.js';
import { hourly } from '../../kernel/rate-limit.js';
import { randomToken, sha256 } from '../../kernel/secrets.js';
import { detail, invalid, parseArgs, requireUuid } from '../../kernel/validation.js';
import type { StatusCtx } from '../db.js';
import { assertStatusManager, getIncident } from '../page/page.service.js';
import { NOTICE_QUEUE, type NoticeJobPayload } from './notice.job.js';
import { postWebhook } from './webhook.js';

export const CHANNELS = ['email', 'webhook'] as const;
export const SEVERITY_FILTERS = ['all', 'major', 'maintenance'] as const;
type SeverityFilter = (typeof SEVERITY_FILTERS)[number];

/** A subscription as answered: the secret only on creation, the target only masked. */
export interface SubscriptionView extends StatusSubscription {
  webhookSecret: string | null;
}

const VERIFY_TTL_MS = 60 * 60_000;

const view = (row: StatusSubscription, webhookSecret: string | null = null): SubscriptionView => ({
  ...row,
  webhookSecret,
});

function mask(channel: string, target: string): string {
  if (channel === 'email') {
    const [local = '', domain = ''] = target.split('@');
    return `${local.slice(0, 1)}***@${domain}`;
  }
  return `${target.slice(0, 6)}…`;
}

const CreateInput = z.object({
  channel: z.enum(CHANNELS),
  target: z.string().trim().min(1).max(2048),
  severityFilter: z.enum(SEVERITY_FILTERS).nullish(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((m) => JSON.stringify(m).length <= 4096, 'At most 4 KiB of metadata.')
    .nullish(),
});
export type CreateSubscriptionInput = Omit<z.input<typeof CreateInput>, 'metadata'> & { metadata?: unknown };

/**
 * Subscribes an email address (public; confirmed by a link mailed to it, valid 60 minutes) or an
 * https webhook (operators only; confirmed by a signed challenge it must answer). Signed in, the
 * subscription belongs to the caller's tenant. An active subscription of the same target, filter and
 * tenant is a 409; a pending one is replaced (a new link).
 */
export async function createSubscription(
  ctx: StatusCtx,
  input: CreateSubscriptionInput,
): Promise<SubscriptionView> {
  const data = parseArgs(CreateInput, input, ['input']);
  if (ctx.authError) {
    throw ctx.authError;
  }
  const webhook = data.channel === 'webhook';
  if (webhook) {
    if (!ctx.viewer) {
      throw new UnauthenticatedError('Authentication required for webhook subscriptions.');
    }
    assertStatusManager(ctx);
  }
  const target = webhook ? data.target : data.target.toLowerCase();
  if (!webhook && !z.email().safeParse(target).success) {
    throw invalid([detail(['input', 'target'], 'Input should be a valid email address.', 'value_error')]);
  }
  await ctx.limits.consume(
    `status_subscription_${data.channel}`,
    ctx.client.ip ?? 'unknown',
    webhook
      ? hourly(ctx.config, ctx.config.STATUS_SUBSCRIPTION_WEBHOOK_RATE_LIMIT_PER_HOUR, 20)
      : hourly(ctx.config, ctx.config.STATUS_SUBSCRIPTION_EMAIL_RATE_LIMIT_PER_HOUR, 5),
    'Rate limit exceeded. Try again later.',
  );
  const severityFilter = data.severityFilter ?? 'major';
  const tenantId = ctx.viewer?.tenantId ?? null;
  const targetHash = sha256(`${data.channel}:${target}`);
  const same = { channel: data.channel, targetHash, severityFilter, tenantId };
  if (
    await ctx.db.statusSubscription.findFirst({ where: { ...same, status: 'active' }, select: { id: true } })
  ) {
    throw new ConflictError('Subscription already exists.');
  }
  const token = randomToken();
  const unsubscribe = webhook ? null : randomToken();
  const secret = webhook ? randomToken(32) : null;
  const created = await ctx.db.$transaction(async (tx) => {
    await tx.statusSubscription.deleteMany({ where: { ...same, status: 'pending_verification' } });
    return tx.statusSubscription.create({
      data: {
        ...same,
        targetSealed: ctx.secrets.seal(target),
        targetMasked: mask(data.channel, target),
        status: 'pending_verification',
        createdBy: ctx.viewer?.kind === 'user' ? ctx.viewer.userId : 'public',
        metadata: (data.metadata ?? {}) as object,
        verifyTokenHash: sha256(token),
        verifyExpiresAt: new Date(Date.now() + VERIFY_TTL_MS),
        unsubscribeTokenHash: unsubscribe ? sha256(unsubscribe) : null,
        webhookSecretSealed: secret ? ctx.secrets.seal(secret) : null,
      },
    });
  });
  try {
    if (webhook && secret) {
      await postWebhook(ctx, target, secret, {
        type: 'status.subscription.challenge',
        subscription_id: created.id,
        challenge: token,
        timestamp: new Date().toISOString(),
      });
    } else {
      const link = mailLink(ctx.config, '/status', { subscription_id: created.id, token });
      const leave = mailLink(ctx.config, '/status', {
        subscription_id: created.id,
        unsubscribe_token: unsubscribe ?? '',
      });
      const sent = await ctx.mailer.send({
        to: target,
        subject: 'Confirm your status updates subscription',
        text: `Confirm that you want incident updates (valid 60 minutes):\n${link}\n\nUnsubscribe at any time:\n${leave}\n`,
        purpose: 'status_subscription',
        link,
      });
      if (!sent) {
        throw new AppError(
          'BAD_GATEWAY',
          'The confirmation email could not be sent. Please try again later.',
        );
      }
    }
  } catch (error) {
    await ctx.db.statusSubscription.delete({ where: { id: created.id } });
    throw error;
  }
  return view(created, secret);
}

/** Finds the subscription a link's or challenge's token names; unknown is 404, revoked or expired 410. */
async function pending(ctx: StatusCtx, token: string, unknown: string): Promise<StatusSubscription> {
  const row = token
    ? await ctx.db.statusSubscription.findUnique({ where: { verifyTokenHash: sha256(token) } })
    : null;
  if (!row) {
    throw new NotFoundError(unknown);
  }
  if (row.status === 'revoked') {
    throw new AppError('GONE', 'Subscription revoked.');
  }
  if (row.status === 'pending_verification' && row.verifyExpiresAt && row.verifyExpiresAt < new Date()) {
    throw new AppError('GONE', 'Token expired.');
  }
  return row;
}

async function activate(ctx: StatusCtx, row: StatusSubscription): Promise<SubscriptionView> {
  if (row.status === 'active') {
    return view(row);
  }
  return view(await ctx.db.statusSubscription.update({ where: { id: row.id }, data: { status: 'active' } }));
}

/** The link mailed to an address: the subscription becomes active. */
export async function verifySubscription(ctx: StatusCtx, token: string): Promise<SubscriptionView> {
  const row = await pending(ctx, token, 'Token invalid.');
  if (row.channel !== 'email') {
    throw new NotFoundError('Token invalid.');
  }
  return activate(ctx, row);
}

/** A webhook hands back the challenge it was sent: the subscription becomes active. */
export async function answerChallenge(ctx: StatusCtx, token: string): Promise<SubscriptionView> {
  const row = await pending(ctx, token, 'Challenge invalid.');
  if (row.channel !== 'webhook') {
    throw new NotFoundError('Challenge invalid.');
  }
  return activate(ctx, row);
}

export interface SubscriptionListArgs {
  limit?: number | null;
  cursor?: string | null;
  tenantId?: string | null;
  all?: boolean | null;
}

/**
 * Subscriptions, newest first, for operators. A token bound to a tenant sees that tenant's unless
 * `all` (another tenant without `all` is 403); `tenantId` narrows. The cursor is an offset.
 */
export async function listSubscriptions(
  ctx: StatusCtx,
  args: SubscriptionListArgs,
): Promise<{ items: SubscriptionView[]; nextCursor: string | null }> {
  assertStatusManager(ctx);
  const take = pageSize(args.limit, 20, 100);
  if (args.cursor != null && !/^\d{1,9}$/.test(args.cursor)) {
    throw new BadRequestError('Invalid cursor.');
  }
  const skip = args.cursor ? Number(args.cursor) : 0;
  const asked = args.tenantId == null ? null : requireUuid(args.tenantId, 'tenantId');
  const own = ctx.viewer?.tenantId ?? null;
  if (!args.all && own && asked && asked !== own) {
    throw new ForbiddenError('Listing another tenant’s subscriptions needs all=true.');
  }
  const tenantId = asked ?? (args.all ? undefined : (own ?? undefined));
  const rows = await ctx.db.statusSubscription.findMany({
    where: tenantId === undefined ? {} : { tenantId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    skip,
    take: take + 1,
  });
  return {
    items: rows.slice(0, take).map((r) => view(r)),
    nextCursor: rows.length > take ? String(skip + take) : null,
  };
}

/**
 * Ends a subscription: with the unsubscribe token mailed to the address (public; a token of another
 * subscription is 400), or as an operator. Unknown ids and tokens are 404. Revoking twice is a no-op.
 */
export async function deleteSubscription(
  ctx: StatusCtx,
  subscriptionId: string,
  token: string | null | undefined,
): Promise<boolean> {
  const id = requireUuid(subscriptionId, 'subscriptionId');
  let reason: string;
  if (token) {
    const row = await ctx.db.statusSubscription.findUnique({
      where: { unsubscribeTokenHash: sha256(token) },
    });
    if (!row) {
      throw new NotFoundError('Token invalid.');
    }
    if (row.id !== id) {
      throw new BadRequestError('Token does not match subscription.');
    }
    reason = 'unsubscribed';
  } else {
    if (!ctx.viewer) {
      throw ctx.authError ?? new UnauthenticatedError('Authentication required.');
    }
    assertStatusManager(ctx);
    reason = `revoked-by:${ctx.viewer.subject}`;
  }
  const existing = await ctx.db.statusSubscription.findUnique({ where: { id } });
  if (!existing) {
    throw new NotFoundError('Subscription', subscriptionId);
  }
  if (existing.status !== 'revoked') {
    await ctx.db.statusSubscription.update({
      where: { id },
      data: { status: 'revoked', revokedReason: reason },
    });
  }
  return true;
}

/** Whether a subscription's filter takes a notice of `severity` (`all` reaches every subscription). */
function matches(filter: string, severity: SeverityFilter): boolean {
  return severity === 'all' || filter === 'all' || filter === severity;
}

/**
 * Queues the incident for every active subscription whose filter takes `severity` (default major),
 * only `tenantId`'s when given: one background job each (notice.job.ts: mail, or a signed webhook,
 * retried when delivery fails). Answers how many were queued.
 */
export async function resendIncident(
  ctx: StatusCtx,
  incidentId: string,
  args: { severity?: SeverityFilter | null; tenantId?: string | null },
): Promise<{ dispatched: number }> {
  assertStatusManager(ctx);
  const incident = await getIncident(ctx, incidentId);
  const severity = args.severity ?? 'major';
  const tenantId = args.tenantId == null ? undefined : requireUuid(args.tenantId, ['input', 'tenantId']);
  const subscribers = (
    await ctx.db.statusSubscription.findMany({
      where: { status: 'active', ...(tenantId ? { tenantId } : {}) },
      select: { id: true, severityFilter: true, tenantId: true },
    })
  ).filter((s) => matches(s.severityFilter, severity));
  await ctx.db.$transaction(async (tx) => {
    for (const s of subscribers) {
      await enqueueJob(
        tx,
        NOTICE_QUEUE,
        { subscriptionId: s.id, incidentId: incident.id } satisfies NoticeJobPayload,
        { tenantId: s.tenantId, maxAttempts: 5 },
      );
    }
  });
  ctx.jobs.nudge(NOTICE_QUEUE);
  return { dispatched: subscribers.length };
}

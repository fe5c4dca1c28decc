import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import { ForbiddenError, isUniqueViolation } from '../kernel/errors.js';
import { parseArgs } from '../kernel/validation.js';
import { actingTenant, requireUser } from '../kernel/viewer.js';
import type { IdentityCtx } from './db.js';

export interface ConsentView {
  policyKey: string;
  version: string;
  acceptedAt: Date;
}

export interface NotificationPreferenceView {
  id: string;
  channel: string;
  category: string;
  enabled: boolean;
  tenantId: string | null;
}

export const RecordConsentInput = z.object({
  policyKey: z.string().trim().min(1).max(64),
  version: z.string().trim().min(1).max(32),
  ipHash: z.string().max(128).nullish(),
  userAgentHash: z.string().max(128).nullish(),
});
export type RecordConsentInput = z.input<typeof RecordConsentInput>;

export const SetNotificationPreferenceInput = z.object({
  channel: z.string().trim().min(1).max(16),
  category: z.string().trim().min(1).max(64),
  enabled: z.boolean().nullish(),
  tenantId: z.uuid().nullish(),
});
export type SetNotificationPreferenceInput = z.input<typeof SetNotificationPreferenceInput>;

/** Consents listed per user (the legacy limit). */
const CONSENT_LIST_LIMIT = 50;

/**
 * Records that the caller accepted a policy version. Idempotent per (user, policy, version): a
 * repeat keeps the first acceptance time.
 */
export async function recordConsent(ctx: IdentityCtx, input: RecordConsentInput): Promise<ConsentView> {
  const viewer = requireUser(ctx.viewer);
  const data = parseArgs(RecordConsentInput, input, ['input']);
  const key = { userId: viewer.userId, policyKey: data.policyKey, version: data.version };
  return ctx.db.$transaction(async (tx) => {
    const created = await tx.consent.createMany({
      data: [{ ...key, ipHash: data.ipHash ?? null, userAgentHash: data.userAgentHash ?? null }],
      skipDuplicates: true,
    });
    if (created.count === 1) {
      await recordAudit(tx, viewer, {
        action: 'user.consent.recorded',
        targetType: 'user',
        targetId: viewer.userId,
        metadata: { policyKey: data.policyKey, version: data.version },
      });
    }
    const row = await tx.consent.findUniqueOrThrow({ where: { userId_policyKey_version: key } });
    return { policyKey: row.policyKey, version: row.version, acceptedAt: row.acceptedAt };
  });
}

/** The caller's consents, newest first (at most 50). */
export async function listConsents(ctx: IdentityCtx): Promise<ConsentView[]> {
  const viewer = requireUser(ctx.viewer);
  const rows = await ctx.db.consent.findMany({
    where: { userId: viewer.userId },
    orderBy: [{ acceptedAt: 'desc' }, { id: 'asc' }],
    take: CONSENT_LIST_LIMIT,
  });
  return rows.map((r) => ({ policyKey: r.policyKey, version: r.version, acceptedAt: r.acceptedAt }));
}

function preferenceView(row: {
  id: string;
  channel: string;
  category: string;
  enabled: boolean;
  tenantId: string;
}): NotificationPreferenceView {
  return {
    id: row.id,
    channel: row.channel,
    category: row.category,
    enabled: row.enabled,
    tenantId: row.tenantId,
  };
}

/**
 * Sets one of the caller's notification preferences in the caller's tenant (upsert on user, tenant,
 * channel, category). A `tenantId` other than the caller's is refused with 403.
 */
export async function setNotificationPreference(
  ctx: IdentityCtx,
  input: SetNotificationPreferenceInput,
): Promise<NotificationPreferenceView> {
  const viewer = requireUser(ctx.viewer);
  const { tenantId } = actingTenant(ctx);
  const data = parseArgs(SetNotificationPreferenceInput, input, ['input']);
  if (data.tenantId && data.tenantId !== tenantId) {
    throw new ForbiddenError('Tenant context mismatch for notification preferences.');
  }
  const key = { userId: viewer.userId, tenantId, channel: data.channel, category: data.category };
  const enabled = data.enabled ?? true;
  const upsert = () =>
    ctx.db.notificationPreference.upsert({
      where: { userId_tenantId_channel_category: key },
      create: { ...key, enabled },
      update: { enabled },
    });
  try {
    return preferenceView(await upsert());
  } catch (error) {
    // Two concurrent first writes: the loser updates the winner's row.
    if (isUniqueViolation(error)) {
      return preferenceView(await upsert());
    }
    throw error;
  }
}

/** The caller's notification preferences in the caller's tenant. */
export async function listNotificationPreferences(ctx: IdentityCtx): Promise<NotificationPreferenceView[]> {
  const viewer = requireUser(ctx.viewer);
  const { tenantId } = actingTenant(ctx);
  const rows = await ctx.db.notificationPreference.findMany({
    where: { userId: viewer.userId, tenantId },
    orderBy: [{ channel: 'asc' }, { category: 'asc' }],
  });
  return rows.map(preferenceView);
}

import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import { parseArgs } from '../kernel/validation.js';
import { actingTenant } from '../kernel/viewer.js';
import type { TenantsCtx } from './db.js';

const BillingContact = z.strictObject({
  name: z.string().trim().min(1).max(128),
  email: z.email(),
  role: z.string().max(64).nullish(),
  phone: z.string().max(64).nullish(),
  notifyBilling: z.boolean().default(true),
});

/** A full replacement of the tenant's settings (the legacy PUT semantics). */
export const UpdateTenantSettingsInput = z.strictObject({
  billingContacts: z.array(BillingContact).max(10, 'At most 10 billing contacts are allowed.'),
  billingWebhookUrl: z
    .url({
      protocol: /^https?$/,
      hostname: z.regexes.hostname,
      error: 'Webhook must be an http(s) URL with a host.',
    })
    .nullish(),
  planMetadata: z.record(z.string(), z.unknown()),
  flags: z.record(z.string(), z.unknown()),
});
export type UpdateTenantSettingsInput = z.input<typeof UpdateTenantSettingsInput>;

export interface TenantSettingsView {
  tenantId: string;
  billingContacts: z.infer<typeof BillingContact>[];
  billingWebhookUrl: string | null;
  planMetadata: Record<string, string>;
  flags: Record<string, boolean>;
  version: number;
  updatedAt: Date | null;
}

/** The caller's tenant settings; defaults (empty lists and maps) when none were saved. */
export async function getTenantSettings(ctx: TenantsCtx): Promise<TenantSettingsView> {
  const { tenantId } = actingTenant(ctx);
  const row = await ctx.db.tenantSettings.findUnique({ where: { tenantId } });
  if (!row) {
    return {
      tenantId,
      billingContacts: [],
      billingWebhookUrl: null,
      planMetadata: {},
      flags: {},
      version: 0,
      updatedAt: null,
    };
  }
  return {
    tenantId,
    billingContacts: row.billingContacts as TenantSettingsView['billingContacts'],
    billingWebhookUrl: row.billingWebhookUrl,
    planMetadata: row.planMetadata as Record<string, string>,
    flags: row.flags as Record<string, boolean>,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

/** Replaces the settings; drops empty keys and coerces map values to string / boolean. */
export async function updateTenantSettings(
  ctx: TenantsCtx,
  input: UpdateTenantSettingsInput,
): Promise<TenantSettingsView> {
  const { tenantId } = actingTenant(ctx);
  const data = parseArgs(UpdateTenantSettingsInput, input, ['input']);
  const planMetadata = Object.fromEntries(
    Object.entries(data.planMetadata)
      .filter(([k]) => k.trim() !== '')
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const flags = Object.fromEntries(
    Object.entries(data.flags)
      .filter(([k]) => k.trim() !== '')
      .map(([k, v]) => [k, v === true || v === 'true' || v === 1]),
  );
  const settings = {
    billingContacts: data.billingContacts,
    billingWebhookUrl: data.billingWebhookUrl ?? null,
    planMetadata,
    flags,
  };
  await ctx.db.$transaction(async (tx) => {
    await tx.tenantSettings.upsert({
      where: { tenantId },
      create: { tenantId, ...settings },
      update: { ...settings, version: { increment: 1 } },
    });
    await recordAudit(tx, ctx.viewer, {
      action: 'tenant.settings.updated',
      targetType: 'tenant',
      targetId: tenantId,
    });
  });
  return getTenantSettings(ctx);
}

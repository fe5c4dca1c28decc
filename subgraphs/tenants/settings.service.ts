import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import type { Ctx } from '../kernel/context.js';
import { ValidationError } from '../kernel/errors.js';
import { requireTenant } from '../kernel/viewer.js';

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

/** Turns zod issues into the contract's validation details (`loc`, `msg`, `type`). */
export function validationFailed(error: z.ZodError, root: string): ValidationError {
  return new ValidationError(
    'Request validation failed.',
    error.issues.map((i) => ({
      loc: ['body', root, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      msg: i.message,
      type: i.code,
    })),
  );
}

/** The caller's tenant settings; defaults (empty lists and maps) when none were saved. */
export async function getTenantSettings(ctx: Ctx): Promise<TenantSettingsView> {
  const tenantId = requireTenant(ctx.viewer);
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
  ctx: Ctx,
  input: UpdateTenantSettingsInput,
): Promise<TenantSettingsView> {
  const tenantId = requireTenant(ctx.viewer);
  const parsed = UpdateTenantSettingsInput.safeParse(input);
  if (!parsed.success) {
    throw validationFailed(parsed.error, 'settings');
  }
  const planMetadata = Object.fromEntries(
    Object.entries(parsed.data.planMetadata)
      .filter(([k]) => k.trim() !== '')
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const flags = Object.fromEntries(
    Object.entries(parsed.data.flags)
      .filter(([k]) => k.trim() !== '')
      .map(([k, v]) => [k, v === true || v === 'true' || v === 1]),
  );
  const data = {
    billingContacts: parsed.data.billingContacts,
    billingWebhookUrl: parsed.data.billingWebhookUrl ?? null,
    planMetadata,
    flags,
  };
  await ctx.db.$transaction(async (tx) => {
    await tx.tenantSettings.upsert({
      where: { tenantId },
      create: { tenantId, ...data },
      update: { ...data, version: { increment: 1 } },
    });
    await recordAudit(tx, ctx.viewer, {
      action: 'tenant.settings.updated',
      targetType: 'tenant',
      targetId: tenantId,
    });
  });
  return getTenantSettings(ctx);
}

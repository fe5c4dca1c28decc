import { z } from 'zod';
import { generateApiKey } from '../kernel/api-keys.js';
import { recordAudit } from '../kernel/audit.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../kernel/errors.js';
import { keyset, type Page, type PageArgs } from '../kernel/pagination.js';
import { tenantScopes } from '../kernel/scopes.js';
import { invalid, parseArgs, requireUuid } from '../kernel/validation.js';
import { actingTenant, hasScope, requireUser } from '../kernel/viewer.js';
import type { TenantsCtx } from './db.js';

/** Active (unrevoked) keys a tenant may hold at once. */
export const MAX_ACTIVE_KEYS = 50;

export interface ApiKeyView {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdBy: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** A key just created: the only time its full text is returned. */
export interface CreatedApiKeyView extends ApiKeyView {
  key: string;
}

export const CreateApiKeyInput = z.strictObject({
  name: z.string().trim().min(1).max(128),
  scopes: z
    .array(z.string().min(1).max(64))
    .min(1)
    .refine((s) => s.length <= tenantScopes().length, { error: 'Too many scopes.' })
    .refine((s) => new Set(s).size === s.length, 'Scopes must not repeat.'),
  // A string, not the DateTime scalar: bad values must be a validation error, not a gateway failure.
  expiresAt: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .refine((d) => d.getTime() > Date.now(), 'Expiry must be in the future.')
    .nullish(),
});
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

/**
 * Creates an API key for the caller's own tenant (owners and admins). Its scopes must be tenant
 * scopes the caller holds. The full key is returned once; only the SHA-256 of its secret is stored.
 */
export async function createApiKey(
  ctx: TenantsCtx,
  tenantId: string,
  input: CreateApiKeyInput,
): Promise<CreatedApiKeyView> {
  const access = actingTenant(ctx, { tenantId, manage: true });
  const viewer = requireUser(access.viewer);
  const data = parseArgs(CreateApiKeyInput, input, ['input']);
  const allowed: readonly string[] = tenantScopes();
  const unknown = data.scopes.filter((s) => !allowed.includes(s));
  if (unknown.length) {
    throw invalid(
      unknown.map((s) => ({
        loc: ['input', 'scopes', data.scopes.indexOf(s)],
        msg: `Unknown scope ${s}; allowed: ${allowed.join(', ')}.`,
        type: 'value_error',
      })),
    );
  }
  const missing = data.scopes.filter((s) => !hasScope(viewer, s));
  if (missing.length) {
    throw new ForbiddenError(`A key cannot carry scopes its creator lacks: ${missing.join(', ')}.`);
  }
  const generated = generateApiKey();
  const row = await ctx.db.$transaction(async (tx) => {
    const active = await tx.apiKey.count({ where: { tenantId: access.tenantId, revokedAt: null } });
    if (active >= MAX_ACTIVE_KEYS) {
      throw new ConflictError(`A tenant can hold at most ${MAX_ACTIVE_KEYS} active API keys.`);
    }
    const created = await tx.apiKey.create({
      data: {
        tenantId: access.tenantId,
        name: data.name,
        prefix: generated.prefix,
        keyHash: generated.keyHash,
        scopes: data.scopes,
        expiresAt: data.expiresAt ?? null,
        createdBy: viewer.subject,
      },
    });
    await recordAudit(tx, viewer, {
      action: 'tenant.api_key.created',
      targetType: 'api_key',
      targetId: created.id,
      metadata: { name: created.name, prefix: created.prefix, scopes: created.scopes },
    });
    return created;
  });
  return { ...view(row), key: generated.key };
}

function view(row: ApiKeyView & { keyHash?: string }): ApiKeyView {
  const { keyHash: _hash, ...rest } = row;
  return rest;
}

export type ListApiKeysInput = PageArgs;

/** The tenant's keys, newest first, revoked ones included (never a secret or hash). */
export async function listApiKeys(
  ctx: TenantsCtx,
  tenantId: string,
  input: ListApiKeysInput,
): Promise<Page<ApiKeyView>> {
  const access = actingTenant(ctx, { tenantId, manage: true });
  const page = keyset(input, 'createdAt', 'desc');
  const rows = await ctx.db.apiKey.findMany({
    where: { tenantId: access.tenantId, ...page.where },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows.map(view));
}

/** Revokes a key of the caller's tenant; it stops authenticating at once. Revoking twice is a no-op. */
export async function revokeApiKey(ctx: TenantsCtx, tenantId: string, keyId: string): Promise<boolean> {
  const access = actingTenant(ctx, { tenantId, manage: true });
  const id = requireUuid(keyId, 'keyId');
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.apiKey.findFirst({ where: { id, tenantId: access.tenantId } });
    if (!row) {
      throw new NotFoundError('API key', keyId);
    }
    if (!row.revokedAt) {
      await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
      await recordAudit(tx, access.viewer, {
        action: 'tenant.api_key.revoked',
        targetType: 'api_key',
        targetId: id,
        metadata: { prefix: row.prefix },
      });
    }
    return true;
  });
}

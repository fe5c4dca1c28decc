import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import { ConflictError, ForbiddenError, isUniqueViolation, NotFoundError } from '../kernel/errors.js';
import { invalid, parseArgs } from '../kernel/validation.js';
import { actingTenant, isPlatformOperator } from '../kernel/viewer.js';
import type { TenantsCtx } from './db.js';

export interface TenantView {
  id: string;
  name: string;
  slug: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Tenant lifecycle states; only platform operators change them. */
export const TENANT_STATUSES = ['active', 'suspended'] as const;

const Slug = z
  .string()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'Slug must be lowercase letters, digits and inner hyphens.');

export const CreateTenantInput = z.strictObject({
  name: z.string().trim().min(2).max(128),
  slug: Slug.nullish(),
  ownerEmail: z.email().max(320).nullish(),
});
export type CreateTenantInput = z.input<typeof CreateTenantInput>;

export const UpdateTenantInput = z
  .strictObject({
    name: z.string().trim().min(2).max(128).nullish(),
    status: z.enum(TENANT_STATUSES).nullish(),
  })
  .refine((v) => v.name != null || v.status != null, { message: 'Nothing to update: give name or status.' });
export interface UpdateTenantInput {
  name?: string | null | undefined;
  status?: string | null | undefined;
}

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return slug.length >= 2 ? slug : 'tenant';
}

/** A tenant by id, visible only to its own members (anyone else gets null, as for a missing row). */
export async function getTenantRef(ctx: TenantsCtx, id: string) {
  if (!ctx.viewer || ctx.viewer.tenantId !== id) {
    return null;
  }
  return ctx.db.tenant.findUnique({ where: { id } });
}

/** The caller's own tenant. */
export async function getCurrentTenant(ctx: TenantsCtx) {
  return ctx.viewer?.tenantId ? getTenantRef(ctx, ctx.viewer.tenantId) : null;
}

/**
 * Creates a tenant (platform operators only). With `ownerEmail`, that existing user becomes its
 * owner in the same transaction. The slug is derived from the name when not given.
 */
export async function createTenant(ctx: TenantsCtx, input: CreateTenantInput): Promise<TenantView> {
  if (!isPlatformOperator(ctx.viewer)) {
    throw new ForbiddenError('Only platform operators can create tenants.');
  }
  const data = parseArgs(CreateTenantInput, input, ['input']);
  try {
    return await ctx.db.$transaction(async (tx) => {
      let slug = data.slug ?? slugify(data.name);
      if (data.slug) {
        if (await tx.tenant.findUnique({ where: { slug } })) {
          throw new ConflictError(`Slug ${slug} is already taken.`);
        }
      } else {
        const base = slug;
        for (let attempt = 0; await tx.tenant.findUnique({ where: { slug } }); attempt++) {
          if (attempt >= 10) {
            throw new ConflictError('Could not allocate a unique tenant slug.');
          }
          slug = `${base}-${randomBytes(2).toString('hex')}`;
        }
      }
      const owner = data.ownerEmail
        ? await tx.user.findUnique({ where: { email: data.ownerEmail.toLowerCase() } })
        : null;
      if (data.ownerEmail && !owner) {
        throw invalid([
          { loc: ['input', 'ownerEmail'], msg: 'No user has this email.', type: 'value_error' },
        ]);
      }
      const tenant = await tx.tenant.create({ data: { name: data.name, slug } });
      if (owner) {
        await tx.membership.create({ data: { userId: owner.id, tenantId: tenant.id, role: 'owner' } });
      }
      await recordAudit(tx, ctx.viewer, {
        action: 'tenant.created',
        targetType: 'tenant',
        targetId: tenant.id,
        tenantId: tenant.id,
        metadata: { slug, ownerUserId: owner?.id ?? null },
      });
      return tenant;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError('Slug is already taken.');
    }
    throw error;
  }
}

/** A tenant by id: its own members (and API keys), or a platform operator; anyone else NOT_FOUND. */
export async function getTenant(ctx: TenantsCtx, tenantId: string): Promise<TenantView> {
  const access = actingTenant(ctx, { tenantId, operators: true });
  const tenant = await ctx.db.tenant.findUnique({ where: { id: access.tenantId } });
  if (!tenant) {
    throw new NotFoundError('Tenant', tenantId);
  }
  return tenant;
}

/**
 * Renames a tenant (its owners and admins, or operators) or changes its status (operators only:
 * a suspended tenant's API keys stop working).
 */
export async function updateTenant(
  ctx: TenantsCtx,
  tenantId: string,
  input: UpdateTenantInput,
): Promise<TenantView> {
  const access = actingTenant(ctx, { tenantId, manage: true, operators: true });
  const { name, status } = parseArgs(UpdateTenantInput, input, ['input']);
  if (status != null && !isPlatformOperator(access.viewer)) {
    throw new ForbiddenError('Only platform operators can change a tenant’s status.');
  }
  return ctx.db.$transaction(async (tx) => {
    const existing = await tx.tenant.findUnique({ where: { id: access.tenantId } });
    if (!existing) {
      throw new NotFoundError('Tenant', tenantId);
    }
    const tenant = await tx.tenant.update({
      where: { id: access.tenantId },
      data: { ...(name != null ? { name } : {}), ...(status != null ? { status } : {}) },
    });
    await recordAudit(tx, access.viewer, {
      action: 'tenant.updated',
      targetType: 'tenant',
      targetId: tenant.id,
      tenantId: tenant.id,
      metadata: { name: name ?? null, status: status ?? null },
    });
    return tenant;
  });
}

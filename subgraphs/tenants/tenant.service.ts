import type { Ctx } from '../kernel/context.js';

/** A tenant by id, visible only to its own members (anyone else gets null, as for a missing row). */
export async function getTenantRef(ctx: Ctx, id: string) {
  if (!ctx.viewer || ctx.viewer.tenantId !== id) {
    return null;
  }
  return ctx.db.tenant.findUnique({ where: { id } });
}

/** The caller's own tenant. */
export async function getCurrentTenant(ctx: Ctx) {
  return ctx.viewer?.tenantId ? getTenantRef(ctx, ctx.viewer.tenantId) : null;
}

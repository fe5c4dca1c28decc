import type { Ctx } from '../kernel/context.js';
import { UnauthenticatedError } from '../kernel/errors.js';
import { requireUser } from '../kernel/viewer.js';

/** A user, visible only to members of a tenant the user belongs to (null otherwise). */
export async function getUserRef(ctx: Ctx, id: string) {
  const tenantId = ctx.viewer?.tenantId;
  if (!tenantId) {
    return null;
  }
  return ctx.db.user.findFirst({ where: { id, memberships: { some: { tenantId } } } });
}

/** The caller and the claims of the token they presented. */
export function getCurrentUser(ctx: Ctx) {
  if (!ctx.viewer) {
    throw ctx.authError ?? new UnauthenticatedError();
  }
  return { userId: requireUser(ctx.viewer).userId, tokenPayload: ctx.viewer.claims };
}

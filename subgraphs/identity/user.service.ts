import { UnauthenticatedError } from '../kernel/errors.js';
import { loaderFor } from '../kernel/loaders.js';
import { isUuid } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx } from './db.js';

/**
 * A user, visible only to members of a tenant the user belongs to (null otherwise). Batched per
 * request, so an entity fetch for many representations is one query.
 */
export async function getUserRef(ctx: IdentityCtx, id: string) {
  const tenantId = ctx.viewer?.tenantId;
  if (!tenantId || !isUuid(id)) {
    return null;
  }
  return loaderFor(ctx, 'user', (ids) =>
    ctx.db.user.findMany({ where: { id: { in: [...ids] }, memberships: { some: { tenantId } } } }),
  ).load(id);
}

/** The caller and the claims of the token they presented. */
export function getCurrentUser(ctx: IdentityCtx) {
  if (!ctx.viewer) {
    throw ctx.authError ?? new UnauthenticatedError();
  }
  return { userId: requireUser(ctx.viewer).userId, tokenPayload: ctx.viewer.claims };
}

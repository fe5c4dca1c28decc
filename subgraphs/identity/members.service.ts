import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import { ConflictError, ForbiddenError, isUniqueViolation, NotFoundError } from '../kernel/errors.js';
import { keyset, type Page, type PageArgs } from '../kernel/pagination.js';
import { invalid, parseArgs, requireUuid } from '../kernel/validation.js';
import { actingTenant, isPlatformOperator, type TenantRole, type Viewer } from '../kernel/viewer.js';
import type { IdentityCtx, IdentityTx } from './db.js';
import { hashPassword, passwordProblems } from './password.js';
import { revokeSessions } from './sessions.service.js';

export const TENANT_ROLES: readonly TenantRole[] = ['owner', 'admin', 'member', 'viewer'];

/** A user as a member of one tenant. */
export interface TenantUserView {
  userId: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  role: string;
  status: string;
  emailVerified: boolean;
  joinedAt: Date;
}

const Role = z.enum(['owner', 'admin', 'member', 'viewer']);

export const AddTenantUserInput = z.strictObject({
  email: z.email().max(320),
  role: Role,
  password: z.string().max(256).nullish(),
  displayName: z.string().trim().min(1).max(128).nullish(),
});
export type AddTenantUserInput = { email: string; role: string } & Partial<
  Record<'password' | 'displayName', string | null | undefined>
>;

export const UpdateTenantUserInput = z.strictObject({ role: Role });
export type UpdateTenantUserInput = { role: string };

type MembershipWithUser = {
  tenantId: string;
  role: string;
  createdAt: Date;
  user: {
    id: string;
    email: string;
    displayName: string | null;
    status: string;
    emailVerifiedAt: Date | null;
  };
};

function view(m: MembershipWithUser): TenantUserView {
  return {
    userId: m.user.id,
    tenantId: m.tenantId,
    email: m.user.email,
    displayName: m.user.displayName,
    role: m.role,
    status: m.user.status,
    emailVerified: m.user.emailVerifiedAt !== null,
    joinedAt: m.createdAt,
  };
}

/** Owners and admins of the tenant (or operators); an operator's target tenant must exist. */
async function manageAccess(ctx: IdentityCtx, tenantId: string) {
  const access = actingTenant(ctx, { tenantId, manage: true, operators: true });
  if (access.asOperator && !(await ctx.db.tenant.findUnique({ where: { id: access.tenantId } }))) {
    throw new NotFoundError('Tenant', tenantId);
  }
  return access;
}

/** Only owners (and operators) hand out, change or take away the owner role. */
function assertMayTouchOwners(viewer: Viewer, ...roles: string[]) {
  if (roles.includes('owner') && viewer.role !== 'owner' && !isPlatformOperator(viewer)) {
    throw new ForbiddenError('Only owners can grant, change or remove the owner role.');
  }
}

/** Serialises membership changes of one tenant (the last-owner check must not race). */
async function lockTenant(tx: IdentityTx, tenantId: string) {
  await tx.$queryRaw`SELECT id FROM tenant WHERE id = ${tenantId}::uuid FOR UPDATE`;
}

async function otherOwners(tx: IdentityTx, tenantId: string, userId: string): Promise<number> {
  return tx.membership.count({ where: { tenantId, role: 'owner', userId: { not: userId } } });
}

/**
 * Adds a user to the tenant with a role: an existing account by email (no password), or a new account
 * created with the given password. Admins cannot grant the owner role.
 */
export async function addTenantUser(
  ctx: IdentityCtx,
  tenantId: string,
  input: AddTenantUserInput,
): Promise<TenantUserView> {
  const access = await manageAccess(ctx, tenantId);
  const data = parseArgs(AddTenantUserInput, input, ['input']);
  assertMayTouchOwners(access.viewer, data.role);
  const email = data.email.toLowerCase();
  const existing = await ctx.db.user.findUnique({ where: { email } });
  if (existing && data.password != null) {
    throw new ConflictError('A user with this email already exists; add them without a password.');
  }
  let passwordHash: string | null = null;
  if (!existing) {
    if (data.password == null) {
      throw invalid([
        {
          loc: ['input', 'password'],
          msg: 'No user has this email: a password is required to create one.',
          type: 'missing',
        },
      ]);
    }
    const problems = passwordProblems(data.password);
    if (problems.length) {
      throw invalid(problems.map((msg) => ({ loc: ['input', 'password'], msg, type: 'value_error' })));
    }
    passwordHash = await hashPassword(data.password);
  }
  try {
    const membership = await ctx.db.$transaction(async (tx) => {
      const user =
        existing ??
        (await tx.user.create({
          data: { email, passwordHash: passwordHash ?? '', displayName: data.displayName ?? null },
        }));
      const created = await tx.membership.create({
        data: { userId: user.id, tenantId: access.tenantId, role: data.role },
        include: { user: true },
      });
      await recordAudit(tx, access.viewer, {
        action: 'tenant.user.added',
        targetType: 'user',
        targetId: user.id,
        tenantId: access.tenantId,
        metadata: { role: data.role, created: !existing },
      });
      return created;
    });
    return view(membership);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError(
        existing ? 'User is already a member of this tenant.' : 'Email already registered.',
      );
    }
    throw error;
  }
}

export type ListTenantUsersInput = PageArgs;

/** Members of the tenant, oldest first (owners and admins, or operators). */
export async function listTenantUsers(
  ctx: IdentityCtx,
  tenantId: string,
  input: ListTenantUsersInput,
): Promise<Page<TenantUserView>> {
  const access = await manageAccess(ctx, tenantId);
  const page = keyset(input, 'createdAt', 'asc');
  const rows = await ctx.db.membership.findMany({
    where: { tenantId: access.tenantId, ...page.where },
    include: { user: true },
    orderBy: page.orderBy,
    take: page.take,
  });
  const { items, nextCursor } = page.page(rows);
  return { items: items.map(view), nextCursor };
}

/** One member of the tenant (owners and admins, or operators). */
export async function getTenantUser(
  ctx: IdentityCtx,
  tenantId: string,
  userId: string,
): Promise<TenantUserView> {
  const access = await manageAccess(ctx, tenantId);
  const id = requireUuid(userId, 'userId');
  const membership = await ctx.db.membership.findUnique({
    where: { userId_tenantId: { userId: id, tenantId: access.tenantId } },
    include: { user: true },
  });
  if (!membership) {
    throw new NotFoundError('User', userId);
  }
  return view(membership);
}

/** Changes a member's role. Demoting the last owner is a CONFLICT. Takes effect at the next refresh. */
export async function updateTenantUser(
  ctx: IdentityCtx,
  tenantId: string,
  userId: string,
  input: UpdateTenantUserInput,
): Promise<TenantUserView> {
  const access = await manageAccess(ctx, tenantId);
  const id = requireUuid(userId, 'userId');
  const { role } = parseArgs(UpdateTenantUserInput, input, ['input']);
  return ctx.db.$transaction(async (tx) => {
    await lockTenant(tx, access.tenantId);
    const membership = await membershipOrNotFound(tx, access.tenantId, id, userId);
    assertMayTouchOwners(access.viewer, membership.role, role);
    if (
      membership.role === 'owner' &&
      role !== 'owner' &&
      (await otherOwners(tx, access.tenantId, id)) === 0
    ) {
      throw new ConflictError('A tenant must keep at least one owner.');
    }
    const updated = await tx.membership.update({
      where: { id: membership.id },
      data: { role },
      include: { user: true },
    });
    await recordAudit(tx, access.viewer, {
      action: 'tenant.user.role_changed',
      targetType: 'user',
      targetId: id,
      tenantId: access.tenantId,
      metadata: { from: membership.role, to: role },
    });
    return view(updated);
  });
}

/** The membership of `userId` in the tenant, read inside the tenant lock; NOT_FOUND when absent. */
async function membershipOrNotFound(tx: IdentityTx, tenantId: string, id: string, userId: string) {
  const membership = await tx.membership.findUnique({ where: { userId_tenantId: { userId: id, tenantId } } });
  if (!membership) {
    throw new NotFoundError('User', userId);
  }
  return membership;
}

/**
 * Removes a member from the tenant (the account stays) and ends their sessions in it. Removing the
 * last owner is a CONFLICT.
 */
export async function removeTenantUser(ctx: IdentityCtx, tenantId: string, userId: string): Promise<boolean> {
  const access = await manageAccess(ctx, tenantId);
  const id = requireUuid(userId, 'userId');
  return ctx.db.$transaction(async (tx) => {
    await lockTenant(tx, access.tenantId);
    const membership = await membershipOrNotFound(tx, access.tenantId, id, userId);
    assertMayTouchOwners(access.viewer, membership.role);
    if (membership.role === 'owner' && (await otherOwners(tx, access.tenantId, id)) === 0) {
      throw new ConflictError('A tenant must keep at least one owner.');
    }
    await tx.membership.delete({ where: { id: membership.id } });
    await revokeSessions(tx, { userId: id, tenantId: access.tenantId }, 'membership_removed');
    await recordAudit(tx, access.viewer, {
      action: 'tenant.user.removed',
      targetType: 'user',
      targetId: id,
      tenantId: access.tenantId,
      metadata: { role: membership.role },
    });
    return true;
  });
}

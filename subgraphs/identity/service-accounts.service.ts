import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Prisma, ServiceAccountToken as TokenRow } from '../../generated/prisma/client.js';
import { recordAudit } from '../kernel/audit.js';
import {
  AppError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
} from '../kernel/errors.js';
import { sha256 } from '../kernel/secrets.js';
import { isUuid, parseArgs } from '../kernel/validation.js';
import { actingTenant, type TenantRole, type UserViewer, type Viewer } from '../kernel/viewer.js';
import type { IdentityCtx } from './db.js';

/** One service account of the catalog: what it may hold and for how long. */
export interface ServiceAccountSpec {
  scopes: readonly string[];
  requiresTenant: boolean;
  defaultTtlMinutes: number;
  maxTtlMinutes: number;
}

/** The service-account catalog (the legacy core/service_accounts.yaml). */
export const SERVICE_ACCOUNTS: Readonly<Record<string, ServiceAccountSpec>> = {
  'analytics-batch': {
    scopes: ['conversations:read'],
    requiresTenant: true,
    defaultTtlMinutes: 43200,
    maxTtlMinutes: 43200,
  },
  'billing-worker': {
    scopes: ['billing:read', 'billing:manage', 'activity:read'],
    requiresTenant: true,
    defaultTtlMinutes: 43200,
    maxTtlMinutes: 43200,
  },
  'support-console': {
    scopes: ['support:*', 'activity:read'],
    requiresTenant: false,
    defaultTtlMinutes: 10080,
    maxTtlMinutes: 10080,
  },
  'synthetic-monitor': {
    scopes: ['conversations:write', 'tools:read', 'billing:read'],
    requiresTenant: true,
    defaultTtlMinutes: 1440,
    maxTtlMinutes: 1440,
  },
  'demo-bot': {
    scopes: ['chat:write', 'conversations:read'],
    requiresTenant: false,
    defaultTtlMinutes: 43200,
    maxTtlMinutes: 43200,
  },
};

/** An issued service-account refresh token (the legacy ServiceAccountTokenResponse). */
export interface IssuedServiceAccountToken {
  refreshToken: string;
  expiresAt: Date;
  issuedAt: Date;
  scopes: string[];
  tenantId: string | null;
  kid: string;
  account: string;
  tokenUse: 'refresh';
  sessionId: null;
}

/** A stored token as admins list it (no secret). */
export interface ServiceAccountTokenView {
  jti: string;
  account: string;
  tenantId: string | null;
  scopes: string[];
  issuedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  fingerprint: string | null;
  signingKid: string;
}

function tokenView(row: TokenRow): ServiceAccountTokenView {
  return {
    jti: row.jti,
    account: row.account,
    tenantId: row.tenantId,
    scopes: row.scopes,
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    revokedReason: row.revokedReason,
    fingerprint: row.fingerprint,
    signingKid: row.signingKid,
  };
}

const IssueFields = {
  account: z.string().min(1).max(128),
  scopes: z.array(z.string().max(128)).max(32),
  tenantId: z.string().max(64).nullish(),
  lifetimeMinutes: z.number().int().nullish(),
  fingerprint: z.string().max(256).nullish(),
  force: z.boolean().nullish(),
};
const IssueInput = z.object(IssueFields);
export type IssueServiceAccountInput = z.input<typeof IssueInput>;
const BrowserIssueInput = z.object({ ...IssueFields, reason: z.string().trim().min(10).max(512) });
export type BrowserIssueServiceAccountInput = z.input<typeof BrowserIssueInput>;

/** Who acts on the service-account admin routes. */
type Actor =
  | { kind: 'operator'; viewer: UserViewer; reason: string }
  | { kind: 'tenant_admin'; viewer: Viewer; tenantId: string; role: TenantRole }
  | { kind: 'credential' };

/**
 * `require_service_account_actor`: an operator override (`x-operator-override` + `x-operator-reason`
 * with scope platform:operator or support:*), or an owner/admin of the token's tenant (the
 * `x-tenant-id` header may only repeat it, `x-tenant-role` may only down-scope).
 */
function requireActor(ctx: IdentityCtx): Exclude<Actor, { kind: 'credential' }> {
  const acting = actingTenant(ctx, {
    manage: true,
    operatorOverride: true,
    deniedMessage: 'Tenant admin privileges required or set X-Operator-Override header to act as operator.',
  });
  if (acting.override) {
    return { kind: 'operator', viewer: acting.viewer, reason: acting.reason };
  }
  return {
    kind: 'tenant_admin',
    viewer: acting.viewer,
    tenantId: acting.tenantId,
    // `manage` admitted only owners and admins.
    role: acting.role ?? 'admin',
  };
}

/** The issuance rules, the burst limits, reuse protection and storage; shared by both issue paths. */
async function issueToken(
  ctx: IdentityCtx,
  input: z.output<typeof IssueInput>,
  actor: Actor,
  reason: string | null,
): Promise<IssuedServiceAccountToken> {
  const spec = SERVICE_ACCOUNTS[input.account];
  if (!spec) {
    throw new BadRequestError(`Unknown service account '${input.account}'.`);
  }
  const tenantId = input.tenantId ?? null;
  if (spec.requiresTenant && !tenantId) {
    throw new BadRequestError(`Service account '${input.account}' requires tenant_id.`);
  }
  if (!spec.requiresTenant && tenantId) {
    throw new BadRequestError(`Service account '${input.account}' does not accept tenant_id.`);
  }
  if (tenantId && !isUuid(tenantId)) {
    throw new BadRequestError('tenant_id must be a UUID.');
  }
  const scopes = [...new Set(input.scopes.map((s) => s.trim()).filter(Boolean))].sort();
  if (scopes.length === 0) {
    throw new BadRequestError('At least one scope is required.');
  }
  const disallowed = scopes.filter((s) => !spec.scopes.includes(s));
  if (disallowed.length) {
    throw new BadRequestError(
      `Scopes not allowed for service account '${input.account}': ${disallowed.join(', ')}.`,
    );
  }
  const ttlMinutes = input.lifetimeMinutes ?? spec.defaultTtlMinutes;
  if (ttlMinutes <= 0 || ttlMinutes > spec.maxTtlMinutes) {
    throw new BadRequestError(`lifetime_minutes must be between 1 and ${spec.maxTtlMinutes}.`);
  }
  if (tenantId && !(await ctx.db.tenant.findUnique({ where: { id: tenantId }, select: { id: true } }))) {
    throw new NotFoundError('Tenant', tenantId);
  }
  const message = 'Service-account issuance rate limit exceeded. Try again later.';
  await ctx.limits.consume(
    'service_account_issue',
    `${input.account}:${tenantId ?? 'global'}`,
    [{ points: ctx.config.SERVICE_ACCOUNT_ISSUE_PER_ACCOUNT_MINUTE, duration: 60 }],
    message,
  );
  await ctx.limits.consume(
    'service_account_issue_all',
    'all',
    [{ points: ctx.config.SERVICE_ACCOUNT_ISSUE_PER_MINUTE, duration: 60 }],
    message,
  );
  const scopeKey = scopes.join(' ');
  const now = new Date();
  const sameKey: Prisma.ServiceAccountTokenWhereInput = {
    account: input.account,
    tenantId,
    scopeKey,
    revokedAt: null,
    expiresAt: { gt: now },
  };
  const jti = randomUUID();
  const refreshToken = await ctx.keys.sign(
    {
      sub: `service-account:${input.account}`,
      account: input.account,
      token_use: 'refresh',
      scope: scopeKey,
      jti,
      ...(tenantId ? { tenant_id: tenantId } : {}),
      ...(input.fingerprint ? { fingerprint: input.fingerprint } : {}),
    },
    ttlMinutes * 60,
  );
  const expiresAt = new Date(now.getTime() + ttlMinutes * 60_000);
  const kid = ctx.keys.activeKid;
  const viewer = actor.kind === 'credential' ? null : actor.viewer;
  await ctx.db.$transaction(async (tx) => {
    const existing = await tx.serviceAccountToken.findFirst({ where: sameKey, select: { jti: true } });
    if (existing && !input.force) {
      throw new ConflictError(
        'An active token with the same account, tenant and scopes already exists; pass force=true to replace it.',
      );
    }
    await tx.serviceAccountToken.updateMany({
      where: sameKey,
      data: { revokedAt: now, revokedReason: 'replaced' },
    });
    await tx.serviceAccountToken.create({
      data: {
        jti,
        account: input.account,
        tenantId,
        scopeKey,
        scopes,
        tokenHash: sha256(refreshToken),
        signingKid: kid,
        fingerprint: input.fingerprint ?? null,
        issuedAt: now,
        expiresAt,
      },
    });
    await recordAudit(tx, viewer, {
      action: 'auth.service_account.issued',
      targetType: 'service_account_token',
      targetId: jti,
      tenantId,
      metadata: { account: input.account, scopes, actor: actor.kind, reason },
    });
  });
  return {
    refreshToken,
    expiresAt,
    issuedAt: now,
    scopes,
    tenantId,
    kid,
    account: input.account,
    tokenUse: 'refresh',
    sessionId: null,
  };
}

/** The raw bearer credential as presented (`ctx.credential`, set by the kernel's createContext). */
function presentedCredential(ctx: IdentityCtx): string | null {
  return ctx.credential;
}

/**
 * Machine issuance (`Authorization: Bearer <credential>`). Vault verification is not available in
 * this deployment: only the development credential `dev-local` is accepted, and only when
 * SERVICE_ACCOUNT_DEV_LOCAL_ISSUANCE=true; otherwise 503.
 */
export async function issueServiceAccountToken(
  ctx: IdentityCtx,
  input: IssueServiceAccountInput,
): Promise<IssuedServiceAccountToken> {
  if (ctx.config.SERVICE_ACCOUNT_DEV_LOCAL_ISSUANCE !== 'true') {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'Service-account issuance needs Vault verification, which is not configured on this deployment. Use POST /api/v1/auth/service-accounts/browser-issue as a tenant admin or operator.',
    );
  }
  if (presentedCredential(ctx) !== 'dev-local') {
    throw new UnauthenticatedError('Vault-signed credential required for service-account issuance.');
  }
  return issueToken(ctx, parseArgs(IssueInput, input, ['input']), { kind: 'credential' }, null);
}

/**
 * Issuance from the console: a tenant owner/admin (confined to tenant-scoped accounts of their own
 * tenant) or an operator with the override headers.
 */
export async function browserIssueServiceAccountToken(
  ctx: IdentityCtx,
  input: BrowserIssueServiceAccountInput,
): Promise<IssuedServiceAccountToken> {
  const actor = requireActor(ctx);
  const data = { ...parseArgs(BrowserIssueInput, input, ['input']) };
  if (actor.kind === 'tenant_admin') {
    const spec = SERVICE_ACCOUNTS[data.account];
    if (spec && !spec.requiresTenant) {
      throw new ForbiddenError('Tenant admins can only issue tenant-scoped service accounts.');
    }
    data.tenantId = data.tenantId ?? actor.tenantId;
    if (data.tenantId !== actor.tenantId) {
      throw new ForbiddenError('Tenant mismatch for service-account issuance.');
    }
  }
  return issueToken(ctx, data, actor, data.reason);
}

const ListArgs = z.object({
  account: z.string().max(128).nullish(),
  fingerprint: z.string().max(256).nullish(),
  status: z.enum(['active', 'revoked', 'all']).nullish(),
  tenantId: z
    .string()
    .regex(/^[0-9a-f-]{36}$/i, 'Invalid UUID.')
    .nullish(),
  includeGlobal: z.boolean().nullish(),
  limit: z.number().int().min(1).max(100).nullish(),
  offset: z.number().int().min(0).nullish(),
});
export type ListServiceAccountTokensArgs = Omit<z.input<typeof ListArgs>, 'status'> & {
  status?: string | null;
};

/** Service-account tokens, newest first. Tenant admins see only their tenant's, never global ones. */
export async function listServiceAccountTokens(
  ctx: IdentityCtx,
  args: ListServiceAccountTokensArgs,
): Promise<{ items: ServiceAccountTokenView[]; total: number; limit: number; offset: number }> {
  const actor = requireActor(ctx);
  const a = parseArgs(ListArgs, args, []);
  let tenantFilter: Prisma.ServiceAccountTokenWhereInput = {};
  if (actor.kind === 'tenant_admin') {
    if (a.tenantId && a.tenantId !== actor.tenantId) {
      throw new ForbiddenError('Tenant admins may only list their own tenant’s tokens.');
    }
    tenantFilter = { tenantId: actor.tenantId };
  } else if (a.tenantId) {
    tenantFilter = a.includeGlobal
      ? { OR: [{ tenantId: a.tenantId }, { tenantId: null }] }
      : { tenantId: a.tenantId };
  }
  const status = a.status ?? 'active';
  const where: Prisma.ServiceAccountTokenWhereInput = {
    AND: [
      tenantFilter,
      status === 'active' ? { revokedAt: null } : status === 'revoked' ? { revokedAt: { not: null } } : {},
      a.account ? { account: { contains: a.account, mode: 'insensitive' } } : {},
      a.fingerprint ? { fingerprint: a.fingerprint } : {},
    ],
  };
  const limit = a.limit ?? 20;
  const offset = a.offset ?? 0;
  const [rows, total] = await Promise.all([
    ctx.db.serviceAccountToken.findMany({
      where,
      orderBy: [{ issuedAt: 'desc' }, { jti: 'desc' }],
      take: limit,
      skip: offset,
    }),
    ctx.db.serviceAccountToken.count({ where }),
  ]);
  return { items: rows.map(tokenView), total, limit, offset };
}

const RevokeInput = z.object({ reason: z.string().trim().max(256).nullish() });
export type RevokeServiceAccountTokenInput = z.input<typeof RevokeInput>;

/**
 * Revokes a token by jti. A tenant admin may revoke only their own tenant's tokens: another tenant's
 * (or a global, or an unknown) jti answers 404. Operators must give a reason (body or header).
 */
export async function revokeServiceAccountToken(
  ctx: IdentityCtx,
  jti: string,
  input: RevokeServiceAccountTokenInput | null | undefined,
): Promise<{ jti: string }> {
  const actor = requireActor(ctx);
  let reason = parseArgs(RevokeInput, input ?? {}, ['input']).reason || null;
  if (actor.kind === 'operator') {
    reason = reason ?? actor.reason;
    if (!reason) {
      throw new BadRequestError('Operators must give a reason to revoke a service-account token.');
    }
  } else {
    reason = reason ?? 'tenant_admin_manual_revoke';
  }
  const where: Prisma.ServiceAccountTokenWhereInput =
    actor.kind === 'tenant_admin' ? { jti, tenantId: actor.tenantId } : { jti };
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.serviceAccountToken.findFirst({ where });
    if (!row) {
      throw new NotFoundError('Service-account token');
    }
    if (!row.revokedAt) {
      await tx.serviceAccountToken.updateMany({
        where: { jti, revokedAt: null },
        data: { revokedAt: new Date(), revokedReason: reason },
      });
    }
    await recordAudit(tx, actor.viewer, {
      action: 'auth.service_account.revoked',
      targetType: 'service_account_token',
      targetId: jti,
      tenantId: row.tenantId,
      metadata: { account: row.account, reason, actor: actor.kind },
    });
    return { jti };
  });
}

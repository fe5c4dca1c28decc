import type { JWTPayload } from 'jose';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from './errors.js';
import { type Scope, scopesOf } from './scopes.js';

export type TenantRole = (typeof TENANT_ROLES)[number];

interface ViewerBase {
  /** Audit subject: `user:<uuid>` or `api-key:<uuid>`. */
  subject: string;
  tenantId: string | null;
  role: TenantRole | null;
  scopes: ReadonlySet<string>;
  claims: JWTPayload;
}

/** A person signed in with an access token. */
export interface UserViewer extends ViewerBase {
  kind: 'user';
  /** `user:<uuid>`, the token subject. */
  subject: string;
  userId: string;
  sessionId: string | null;
  emailVerified: boolean;
  /** The deployment requires verified emails and this token's is not: tenant operations are refused. */
  mustVerifyEmail: boolean;
}

/** A tenant API key (`ak_<prefix>_<secret>`): bound to one tenant, holds only its own scopes, no role. */
export interface ApiKeyViewer extends ViewerBase {
  kind: 'api-key';
  /** `api-key:<uuid>`. */
  subject: string;
  apiKeyId: string;
  tenantId: string;
  role: null;
  userId: null;
  sessionId: null;
  emailVerified: false;
}

/** Who is calling, as verified by the kernel: a user (access token) or a tenant API key. */
export type Viewer = UserViewer | ApiKeyViewer;

/** The tenant roles, highest first. */
export const TENANT_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
const ROLES: readonly TenantRole[] = TENANT_ROLES;

/**
 * The scopes a tenant role grants, fixed into the access token at login (an unknown role gets the
 * viewer's). Each domain declares its grants (`scopes` in its module); subgraphs/registry.ts installs them.
 */
export function scopesForRole(role: string): Scope[] {
  return [...scopesOf(ROLES.includes(role as TenantRole) ? (role as TenantRole) : 'viewer')];
}

/** Exact match, `<namespace>:*`, or the `support:*` superuser scope. */
export function hasScope(viewer: Viewer | null, scope: string): boolean {
  if (!viewer) {
    return false;
  }
  const namespace = scope.split(':')[0];
  return viewer.scopes.has(scope) || viewer.scopes.has(`${namespace}:*`) || viewer.scopes.has('support:*');
}

function asRole(value: unknown): TenantRole | null {
  return ROLES.includes(value as TenantRole) ? (value as TenantRole) : null;
}

/** Builds the viewer from verified access-token claims. */
export function viewerFromClaims(
  claims: JWTPayload & Record<string, unknown>,
  requireVerifiedEmail = false,
): UserViewer {
  const subject = String(claims.sub ?? '');
  if (!subject.startsWith('user:')) {
    throw new UnauthenticatedError('Token subject must reference a user account.');
  }
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  return {
    kind: 'user',
    subject,
    userId: subject.slice('user:'.length),
    tenantId: typeof claims.tenant_id === 'string' ? claims.tenant_id : null,
    role: asRole(roles[0]),
    scopes: new Set(typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []),
    sessionId: typeof claims.sid === 'string' ? claims.sid : null,
    emailVerified: claims.email_verified === true,
    // Tokens without the claim pass, as in the legacy API.
    mustVerifyEmail: requireVerifiedEmail && claims.email_verified === false,
    claims,
  };
}

/** The caller's tenant; every tenant-owned read and write filters by it. */
export function requireTenant(viewer: Viewer | null): string {
  if (!viewer) {
    throw new UnauthenticatedError();
  }
  assertEmailVerified(viewer);
  if (!viewer.tenantId) {
    throw new UnauthenticatedError('Authenticated token is missing tenant context.');
  }
  return viewer.tenantId;
}

/** Tenant-scoped operations need a verified email when the deployment says so (REQUIRE_EMAIL_VERIFICATION). */
export function assertEmailVerified(viewer: Viewer): void {
  if (viewer.kind === 'user' && viewer.mustVerifyEmail) {
    throw new ForbiddenError('Email verification required.');
  }
}

/** The signed-in user: UNAUTHENTICATED without a viewer, FORBIDDEN for credentials that are not a user's. */
export function requireUser(viewer: Viewer | null): UserViewer {
  if (!viewer) {
    throw new UnauthenticatedError();
  }
  if (viewer.kind !== 'user') {
    throw new ForbiddenError('This operation requires a user credential, not an API key.');
  }
  return viewer;
}

/** A platform operator signed in as a user (scope `platform:operator`; API keys never are). */
export function isPlatformOperator(viewer: Viewer | null): boolean {
  return viewer?.kind === 'user' && hasScope(viewer, 'platform:operator');
}

/** Throws FORBIDDEN unless the viewer holds the scope (UNAUTHENTICATED without a viewer). */
export function assertScope(viewer: Viewer | null, scope: Scope): asserts viewer is Viewer {
  if (!viewer) {
    throw new UnauthenticatedError();
  }
  if (!hasScope(viewer, scope)) {
    throw new ForbiddenError('Insufficient scopes for this operation.');
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a UUID (ids in paths are checked before any lookup). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

export interface TenantAccessRule {
  /** Owners and admins only (members, viewers and API keys get FORBIDDEN). */
  manage?: boolean;
  /** Platform operators may act on any tenant. */
  operators?: boolean;
}

/**
 * Access to a tenant named in the request (`/api/tenants/{tenant_id}/…`): no credential is
 * UNAUTHENTICATED, a malformed id is a validation error, another tenant is NOT_FOUND (never data),
 * and a credential without the needed role is FORBIDDEN. Returns whether the caller acts as operator
 * on a tenant that is not its own (the caller must then check that the tenant exists).
 */
export function assertTenantAccess(
  viewer: Viewer | null,
  authError: Error | null,
  tenantId: string,
  rule: TenantAccessRule = {},
): { viewer: Viewer; asOperator: boolean; tenantId: string } {
  if (!viewer) {
    throw authError ?? new UnauthenticatedError();
  }
  assertEmailVerified(viewer);
  if (!isUuid(tenantId)) {
    throw new ValidationError('Request validation failed.', [
      { loc: ['path', 'tenant_id'], msg: 'Input should be a valid UUID.', type: 'uuid_parsing' },
    ]);
  }
  const id = tenantId.toLowerCase();
  const operator = rule.operators === true && isPlatformOperator(viewer);
  if (viewer.tenantId !== id) {
    if (operator) {
      return { viewer, asOperator: true, tenantId: id };
    }
    throw new NotFoundError('Tenant', tenantId);
  }
  if (rule.manage && !operator && viewer.role !== 'owner' && viewer.role !== 'admin') {
    throw new ForbiddenError('Insufficient tenant privileges for this operation.');
  }
  return { viewer, asOperator: false, tenantId: id };
}

import type { JWTPayload } from 'jose';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

export type TenantRole = 'owner' | 'admin' | 'member' | 'viewer';

/** Who is calling, as verified by the kernel. Later kinds: service accounts and tenant API keys. */
export interface Viewer {
  kind: 'user';
  /** `user:<uuid>`, the token subject. */
  subject: string;
  userId: string;
  tenantId: string | null;
  role: TenantRole | null;
  scopes: ReadonlySet<string>;
  sessionId: string | null;
  emailVerified: boolean;
  claims: JWTPayload;
}

const ROLE_SCOPES: Record<TenantRole, string[]> = {
  owner: [
    'conversations:read',
    'conversations:write',
    'conversations:delete',
    'workflows:delete',
    'tools:read',
    'billing:read',
    'billing:manage',
    'support:read',
    'activity:read',
    'tenant:settings',
  ],
  admin: [
    'conversations:read',
    'conversations:write',
    'conversations:delete',
    'workflows:delete',
    'tools:read',
    'billing:read',
    'billing:manage',
    'support:read',
    'activity:read',
    'tenant:settings',
  ],
  member: ['conversations:read', 'conversations:write', 'tools:read'],
  viewer: ['conversations:read', 'tools:read'],
};

/** The scopes a tenant role grants, fixed into the access token at login. */
export function scopesForRole(role: string): string[] {
  return ROLE_SCOPES[role as TenantRole] ?? ROLE_SCOPES.viewer;
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
  return value === 'owner' || value === 'admin' || value === 'member' || value === 'viewer' ? value : null;
}

/** Builds the viewer from verified access-token claims. */
export function viewerFromClaims(claims: JWTPayload & Record<string, unknown>): Viewer {
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
    claims,
  };
}

/** The caller's tenant; every tenant-owned read and write filters by it. */
export function requireTenant(viewer: Viewer | null): string {
  if (!viewer) {
    throw new UnauthenticatedError();
  }
  if (!viewer.tenantId) {
    throw new UnauthenticatedError('Authenticated token is missing tenant context.');
  }
  return viewer.tenantId;
}

/** Throws FORBIDDEN unless the viewer holds the scope (UNAUTHENTICATED without a viewer). */
export function assertScope(viewer: Viewer | null, scope: string): asserts viewer is Viewer {
  if (!viewer) {
    throw new UnauthenticatedError();
  }
  if (!hasScope(viewer, scope)) {
    throw new ForbiddenError('Insufficient scopes for this operation.');
  }
}

import type { JWTPayload } from 'jose';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from './errors.js';
import { type Scope, scopesOf } from './scopes.js';
import { requireUuid } from './validation.js';

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

/**
 * An agent run acting for its tenant: the short-lived access token the platform mints for one voice
 * session or call (`subgraphs/kernel/agent-tokens.ts`), held by the voice worker. Only its own
 * scopes, no role, and only its own conversation.
 */
export interface AgentViewer extends ViewerBase {
  kind: 'agent';
  /** `agent-run:<run>`. */
  subject: string;
  tenantId: string;
  role: null;
  userId: null;
  sessionId: null;
  emailVerified: false;
  /** What the run is: `voice-session:<uuid>` or `voice-call:<uuid>`. */
  run: string;
  /** The one conversation the run may read and write (null: none). */
  conversationId: string | null;
  /** The key of the agent that runs. */
  agentKey: string | null;
  /** The user who created the session or call (owns the conversation the run creates), if a user did. */
  ownerUserId: string | null;
  /** The tenant API key that created it, if one did. */
  ownerApiKeyId: string | null;
}

/** Who is calling, as verified by the kernel: a user (access token), a tenant API key, or an agent run. */
export type Viewer = UserViewer | ApiKeyViewer | AgentViewer;

/** Subject prefix of agent-run tokens. */
export const AGENT_RUN_SUBJECT = 'agent-run:';

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
): UserViewer | AgentViewer {
  const subject = String(claims.sub ?? '');
  const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []);
  if (subject.startsWith(AGENT_RUN_SUBJECT)) {
    if (typeof claims.tenant_id !== 'string') {
      throw new UnauthenticatedError('Agent-run token is missing its tenant.');
    }
    return {
      kind: 'agent',
      subject,
      tenantId: claims.tenant_id,
      role: null,
      userId: null,
      sessionId: null,
      emailVerified: false,
      scopes,
      run: subject.slice(AGENT_RUN_SUBJECT.length),
      conversationId: typeof claims.conversation_id === 'string' ? claims.conversation_id : null,
      agentKey: typeof claims.agent_key === 'string' ? claims.agent_key : null,
      ownerUserId: typeof claims.owner_user_id === 'string' ? claims.owner_user_id : null,
      ownerApiKeyId: typeof claims.owner_api_key_id === 'string' ? claims.owner_api_key_id : null,
      claims,
    };
  }
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
    scopes,
    sessionId: typeof claims.sid === 'string' ? claims.sid : null,
    emailVerified: claims.email_verified === true,
    // Tokens without the claim pass, as in the legacy API.
    mustVerifyEmail: requireVerifiedEmail && claims.email_verified === false,
    claims,
  };
}

/** Tenant-scoped operations need a verified email when the deployment says so (REQUIRE_EMAIL_VERIFICATION). */
function assertEmailVerified(viewer: Viewer): void {
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

/** What the acting-tenant resolver reads from the request context. */
export interface Caller {
  viewer: Viewer | null;
  authError: Error | null;
  /** Forwarded headers, lower-case names (x-tenant-id, x-tenant-role, x-operator-override, x-operator-reason). */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface TenantAccessRule {
  /** The tenant named in the request (a `tenantId` argument); absent: the token's tenant. */
  tenantId?: string | undefined;
  /** Owners and admins only (members, viewers and API keys get FORBIDDEN). */
  manage?: boolean;
  /** Platform operators may act on any tenant named in the request. */
  operators?: boolean;
  /**
   * Platform operators act as operators only with `X-Operator-Override: true` and an
   * `X-Operator-Reason` (the legacy service-account rule); the tenant is then the named one, if any.
   */
  operatorOverride?: boolean;
  /** The FORBIDDEN message when `manage` refuses. */
  deniedMessage?: string;
}

/** Who acts on which tenant. `asOperator`: a platform operator acting on a tenant that is not its own. */
export interface ActingTenant {
  override: false;
  asOperator: boolean;
  viewer: Viewer;
  tenantId: string;
  /** The token's role, narrowed by X-Tenant-Role; null for operators on another tenant and API keys. */
  role: TenantRole | null;
}

/** A platform operator acting through the override headers, on the named tenant or none. */
export interface OperatorOverride {
  override: true;
  asOperator: true;
  viewer: UserViewer;
  tenantId: string | null;
  role: null;
  reason: string;
}

const ROLE_RANK: Record<TenantRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

function truthy(value: string | undefined): boolean {
  return ['true', '1', 'yes', 'on'].includes((value ?? '').trim().toLowerCase());
}

/**
 * The one resolver of the acting tenant; every tenant-owned read and write filters by its result.
 * No credential is UNAUTHENTICATED, a malformed tenant id a validation error at `tenantId`, another
 * tenant NOT_FOUND (never data) unless an operator may act on it, and a role short of `manage`
 * FORBIDDEN. The forwarded headers may only narrow the token: `X-Tenant-Id` must repeat its tenant,
 * `X-Tenant-Role` may only name a lower role (both FORBIDDEN otherwise). When an operator acts on a
 * tenant other than its own, the caller must check that the tenant exists.
 */
export function actingTenant(
  caller: Caller,
  rule: TenantAccessRule & { operatorOverride: true },
): ActingTenant | OperatorOverride;
export function actingTenant(
  caller: Caller,
  rule?: TenantAccessRule & { operatorOverride?: false },
): ActingTenant;
export function actingTenant(caller: Caller, rule: TenantAccessRule = {}): ActingTenant | OperatorOverride {
  const viewer = caller.viewer;
  if (!viewer) {
    throw caller.authError ?? new UnauthenticatedError();
  }
  assertEmailVerified(viewer);
  const named = rule.tenantId === undefined ? null : requireUuid(rule.tenantId, 'tenantId');
  const operator = viewer.kind === 'user' && isPlatformOperator(viewer);
  if (rule.operatorOverride && operator && truthy(caller.headers['x-operator-override'])) {
    const reason = caller.headers['x-operator-reason']?.trim() ?? '';
    if (!reason) {
      throw new ForbiddenError('Operator override requires the X-Operator-Reason header.');
    }
    return {
      override: true,
      asOperator: true,
      viewer,
      tenantId: named,
      role: null,
      reason: reason.slice(0, 512),
    };
  }
  if (named && viewer.tenantId !== named) {
    if (rule.operators && operator) {
      return { override: false, asOperator: true, viewer, tenantId: named, role: null };
    }
    throw new NotFoundError('Tenant', rule.tenantId);
  }
  const headerTenant = caller.headers['x-tenant-id']?.trim();
  if (headerTenant && viewer.tenantId && headerTenant !== viewer.tenantId) {
    throw new ForbiddenError('Tenant mismatch between token and X-Tenant-Id header.');
  }
  let role = viewer.role;
  const headerRole = caller.headers['x-tenant-role']?.trim().toLowerCase();
  if (headerRole && role) {
    if (!(headerRole in ROLE_RANK) || ROLE_RANK[headerRole as TenantRole] > ROLE_RANK[role]) {
      throw new ForbiddenError('Requested tenant role exceeds privileges granted by token.');
    }
    role = headerRole as TenantRole;
  }
  const denied = () =>
    new ForbiddenError(rule.deniedMessage ?? 'Insufficient tenant privileges for this operation.');
  if (!viewer.tenantId) {
    throw rule.manage ? denied() : new UnauthenticatedError('Authenticated token is missing tenant context.');
  }
  // Operators manage the tenants they act on, their own included.
  if (rule.manage && !(rule.operators && operator) && role !== 'owner' && role !== 'admin') {
    throw denied();
  }
  return { override: false, asOperator: false, viewer, tenantId: viewer.tenantId, role };
}

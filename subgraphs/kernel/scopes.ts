import type { Scope } from '../registry.js';
import type { TenantRole } from './viewer.js';

export type { Scope } from '../registry.js';

/** Who a scope is granted to at login: a tenant role, or platform operators (on top of their role). */
export type Grantee = TenantRole | 'operator';

/** A domain's scopes, each with the grantees that receive it: the one declaration of a scope. */
export type ScopeGrants<S extends string = string> = { readonly [K in S]: readonly Grantee[] };

/** Declares a domain's scopes, keeping their names as literal types (they make up `Scope`). */
export function defineScopes<const T extends Record<string, readonly Grantee[]>>(grants: T): T {
  return grants;
}

interface Catalogue {
  byGrantee: ReadonlyMap<Grantee, readonly string[]>;
  tenant: readonly string[];
}

let catalogue: Catalogue | null = null;

/**
 * Installs the platform's scopes, assembled from every domain's declaration by subgraphs/registry.ts
 * (which every process imports before serving). The kernel lists no domain's scopes itself.
 */
export function installScopes(declarations: readonly ScopeGrants[]): void {
  const byGrantee = new Map<Grantee, string[]>();
  for (const grants of declarations) {
    for (const [scope, grantees] of Object.entries(grants)) {
      for (const grantee of grantees) {
        byGrantee.set(grantee, [...(byGrantee.get(grantee) ?? []), scope]);
      }
    }
  }
  const tenant = [...byGrantee].flatMap(([grantee, scopes]) => (grantee === 'operator' ? [] : scopes));
  catalogue = { byGrantee, tenant: [...new Set(tenant)] };
}

function installed(): Catalogue {
  if (!catalogue) {
    throw new Error('Scopes are not installed: import subgraphs/registry.js before serving.');
  }
  return catalogue;
}

/** The scopes a grantee receives, in registry order. */
export function scopesOf(grantee: Grantee): readonly Scope[] {
  return (installed().byGrantee.get(grantee) ?? []) as readonly Scope[];
}

/** Every scope a tenant role can grant (what an API key may carry). */
export function tenantScopes(): readonly Scope[] {
  return installed().tenant as readonly Scope[];
}

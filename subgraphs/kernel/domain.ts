import type { RestSurface } from '../../rest-bridge/routes/types.js';
import type { ScopeGrants } from './scopes.js';
import type { SubgraphModule } from './serve-subgraph.js';

/**
 * Everything the platform needs to know about a domain. subgraphs/registry.ts lists them, and the
 * route and stream index, the scope table, the launchers, the health answer and the schema build
 * all derive from that list.
 */
export interface DomainModule<S extends string = string> extends SubgraphModule {
  /** The domain's scopes and who is granted each (the one declaration; `Scope` is their union). */
  scopes: ScopeGrants<S>;
  /** The REST face: route rows, REST-only renames, fields left out, SSE streams (data only). */
  rest: RestSurface;
}

/** The scope names of a domain module. */
export type ScopeOf<M> = M extends DomainModule<infer S> ? S : never;

import { isObjectType } from 'graphql';
import { subgraphs } from '../../subgraphs/registry.js';
import type { FieldAliases, RestRoute, RestStream } from './types.js';

/** The REST surface: exactly these routes exist (plus the streams), each declared by its domain. */
export const routes: readonly RestRoute[] = subgraphs.flatMap((s) => s.rest.routes);

/** REST-only renames, per GraphQL type, of every domain (an entity's renames may come from several). */
export const fieldAliases: FieldAliases = {};
for (const s of subgraphs) {
  for (const [type, renames] of Object.entries(s.rest.aliases ?? {})) {
    fieldAliases[type] = { ...fieldAliases[type], ...renames };
  }
}

/** `Type.field` entries the REST face leaves out, of every domain. */
export const ignoredFields: readonly string[] = subgraphs.flatMap((s) => s.rest.ignored ?? []);

/** The SSE streams of every domain (served by ../streams). */
export const restStreams: readonly RestStream[] = subgraphs.flatMap((s) => s.rest.streams ?? []);

export type { FieldAliases, RestRoute, RestStream, RestSurface } from './types.js';

/**
 * `Query.x` / `Mutation.y` fields that always need a credential: their declared `authScopes` do not
 * include `public`. The bridge answers a request to one of them that carries no credential with 401
 * before it reads the body, so a client without a token learns that first, not what its body lacks.
 */
export const credentialFields: ReadonlySet<string> = new Set(
  subgraphs.flatMap((s) =>
    (['Query', 'Mutation'] as const).flatMap((root) => {
      const type = s.schema.getType(root);
      return isObjectType(type)
        ? Object.values(type.getFields())
            .filter((field) => {
              const scopes = (field.extensions?.pothosOptions as { authScopes?: unknown } | undefined)
                ?.authScopes;
              // A function decides per request: only the subgraph can tell.
              return typeof scopes === 'object' && scopes !== null && !('public' in scopes);
            })
            .map((field) => `${root}.${field.name}`)
        : [];
    }),
  ),
);

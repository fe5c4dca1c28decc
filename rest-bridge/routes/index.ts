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

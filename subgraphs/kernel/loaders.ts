import DataLoader from 'dataloader';

/** Keyed by the request context (any domain's view of it). */
const loaders = new WeakMap<object, Map<string, DataLoader<string, unknown>>>();

/**
 * A per-request DataLoader: lookups by id made in the same tick (e.g. every representation of a
 * gateway `_entities` fetch) become one query. `load` receives the distinct ids and returns the
 * rows found; rows are matched back by `id`, missing ones resolve to null.
 */
export function loaderFor<T extends { id: string }>(
  ctx: object,
  name: string,
  load: (ids: readonly string[]) => Promise<T[]>,
): DataLoader<string, T | null> {
  let byName = loaders.get(ctx);
  if (!byName) {
    byName = new Map();
    loaders.set(ctx, byName);
  }
  let loader = byName.get(name) as DataLoader<string, T | null> | undefined;
  if (!loader) {
    loader = new DataLoader<string, T | null>(async (ids) => {
      const rows = new Map((await load(ids)).map((row) => [row.id, row]));
      return ids.map((id) => rows.get(id) ?? null);
    });
    byName.set(name, loader as DataLoader<string, unknown>);
  }
  return loader;
}

import { BadRequestError } from './errors.js';
import { detail, invalid, isUuid } from './validation.js';

/** Opaque cursors: URL-safe base64 of JSON, as the legacy API issued them. */
function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a cursor and checks it has the expected string keys; anything else is a 400. */
function decodeCursor<K extends string>(cursor: string, keys: readonly K[]): Record<K, string> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (value && typeof value === 'object' && keys.every((k) => typeof value[k] === 'string')) {
      return value as Record<K, string>;
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('Invalid pagination cursor.');
}

/**
 * The page size: the fallback when absent, else an integer in [1, max]. Out of range is a 422 at
 * the `limit` argument (REST `['query', 'limit']`), as the legacy API's query validation answered.
 */
export function pageSize(limit: number | null | undefined, fallback: number, max: number): number {
  if (limit == null) {
    return fallback;
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw invalid([detail(['limit'], 'Input should be greater than or equal to 1', 'greater_than_equal')]);
  }
  if (limit > max) {
    throw invalid([detail(['limit'], `Input should be less than or equal to ${max}`, 'less_than_equal')]);
  }
  return limit;
}

/** A page of items with the cursor of the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` rows fetched in order. */
function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => Record<string, unknown>): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

/** The arguments of a keyset-paged list field. */
export interface PageArgs {
  limit?: number | null | undefined;
  cursor?: string | null | undefined;
}

/**
 * The one keyset pagination: rows ordered by a timestamp column then `id` (same direction), the
 * cursor naming the last row seen. Pass `where`, `orderBy` and `take` to `findMany`, then `page(rows)`.
 * A cursor that does not decode to a timestamp and a UUID is a 400.
 */
export function keyset<F extends string>(
  args: PageArgs,
  field: F,
  direction: 'asc' | 'desc',
  size: { fallback: number; max: number } = { fallback: 50, max: 100 },
) {
  const limit = pageSize(args.limit, size.fallback, size.max);
  const after = args.cursor ? decodeCursor(args.cursor, ['ts', 'id']) : null;
  const ts = after ? new Date(after.ts) : null;
  if (after && (!ts || Number.isNaN(ts.getTime()) || !isUuid(after.id))) {
    throw new BadRequestError('Invalid pagination cursor.');
  }
  const beyond = direction === 'asc' ? 'gt' : 'lt';
  type Beyond = { [K in F]?: Date | { gt: Date } | { lt: Date } } & { id?: { gt: string } | { lt: string } };
  const where: { OR?: Beyond[] } =
    after && ts
      ? {
          OR: [
            { [field]: { [beyond]: ts } } as Beyond,
            { [field]: ts, id: { [beyond]: after.id } } as unknown as Beyond,
          ],
        }
      : {};
  const orderBy = [{ [field]: direction } as { [K in F]: 'asc' | 'desc' }, { id: direction }];
  return {
    where,
    orderBy,
    take: limit + 1,
    page: <T extends { id: string } & { [K in F]: Date }>(rows: T[]): Page<T> =>
      toPage(rows, limit, (row) => ({ ts: row[field].toISOString(), id: row.id })),
  };
}

import { BadRequestError } from './errors.js';

/** Opaque cursors: URL-safe base64 of JSON, as the legacy API issued them. */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a cursor and checks it has the expected string keys; anything else is a 400. */
export function decodeCursor<K extends string>(cursor: string, keys: readonly K[]): Record<K, string> {
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

/** Clamps a page size into [1, max], defaulting when absent. Out-of-range values are a 422 upstream. */
export function pageSize(limit: number | null | undefined, fallback: number, max: number): number {
  if (limit == null) {
    return fallback;
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new BadRequestError(`limit must be between 1 and ${max}.`);
  }
  return limit;
}

/** A page of items with the cursor of the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` rows fetched in order. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => Record<string, unknown>): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

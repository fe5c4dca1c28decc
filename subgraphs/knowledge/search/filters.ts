/**
 * OpenAI's attribute filters (the `filters` of a vector-store search and of `file_search`), as SQL
 * over a JSONB column of attributes.
 *
 * A comparison is `{type: 'eq'|'ne'|'gt'|'gte'|'lt'|'lte'|'in'|'nin', key, value}`: the value a
 * string, number or boolean, or (for `in` / `nin`) a list of them. A compound is
 * `{type: 'and'|'or', filters: [...]}`, nested at most MAX_FILTER_DEPTH deep with at most
 * MAX_FILTER_CONDITIONS comparisons in all.
 *
 * Semantics (every value is a bound parameter, never SQL text):
 * - `eq` / `ne` compare JSON values: `"1"` (a string) is not `1` (a number), `1` equals `1.0`.
 * - `gt` / `gte` / `lt` / `lte` with a number compare numerically and match only attributes that
 *   are JSON numbers; with a string they compare text (byte order, `COLLATE "C"`, so ISO dates
 *   order as dates) and match only attributes that are JSON strings. Booleans are not ordered (422).
 * - `in` / `nin`: the attribute is (is not) one of the listed values, by JSONB containment.
 * - A missing key is never equal, greater, smaller or `in` anything, so `eq`, `gt`…, `in` are false
 *   for it and `ne` / `nin` are TRUE for it (as OpenAI's filters behave).
 */
import { z } from 'zod';
import { Prisma } from '../../../generated/prisma/client.js';

/** Deepest nesting of compound filters (a lone comparison is depth 1). */
export const MAX_FILTER_DEPTH = 5;
/** Most comparisons in one filter. */
export const MAX_FILTER_CONDITIONS = 50;
/** Most values in one `in` / `nin` list. */
export const MAX_FILTER_VALUES = 100;

const Key = z.string().min(1).max(64);
const Scalar = z.union([z.string().max(512), z.number(), z.boolean()]);
type Scalar = z.infer<typeof Scalar>;

export interface ComparisonFilter {
  type: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin';
  key: string;
  value: Scalar | Scalar[];
}
export interface CompoundFilter {
  type: 'and' | 'or';
  filters: AttributeFilter[];
}
export type AttributeFilter = ComparisonFilter | CompoundFilter;

const Equality = z.strictObject({ type: z.enum(['eq', 'ne']), key: Key, value: Scalar });
const Ordering = z.strictObject({
  type: z.enum(['gt', 'gte', 'lt', 'lte']),
  key: Key,
  value: z.union([z.number(), z.string().max(512)], { error: 'Compare with a number or a string.' }),
});
const Membership = z.strictObject({
  type: z.enum(['in', 'nin']),
  key: Key,
  value: z.array(Scalar).max(MAX_FILTER_VALUES),
});

const Node: z.ZodType<AttributeFilter> = z.discriminatedUnion('type', [
  Equality,
  Ordering,
  Membership,
  z.strictObject({
    type: z.enum(['and', 'or']),
    get filters() {
      return z.array(Node).min(1).max(MAX_FILTER_CONDITIONS);
    },
  }),
]);

/** Depth and comparison count of a parsed filter. */
function measure(filter: AttributeFilter): { depth: number; conditions: number } {
  if (filter.type !== 'and' && filter.type !== 'or') {
    return { depth: 1, conditions: 1 };
  }
  let depth = 0;
  let conditions = 0;
  for (const f of filter.filters) {
    const m = measure(f);
    depth = Math.max(depth, m.depth);
    conditions += m.conditions;
  }
  return { depth: depth + 1, conditions };
}

/** An attribute filter as OpenAI defines it, with the depth and size bounds checked. */
export const AttributeFilter: z.ZodType<AttributeFilter> = Node.superRefine((filter, ctx) => {
  const { depth, conditions } = measure(filter);
  if (depth > MAX_FILTER_DEPTH) {
    ctx.addIssue({ code: 'custom', message: `Filters nest at most ${MAX_FILTER_DEPTH} levels deep.` });
  }
  if (conditions > MAX_FILTER_CONDITIONS) {
    ctx.addIssue({ code: 'custom', message: `A filter has at most ${MAX_FILTER_CONDITIONS} conditions.` });
  }
});

const OPS = { gt: Prisma.sql`>`, gte: Prisma.sql`>=`, lt: Prisma.sql`<`, lte: Prisma.sql`<=` } as const;

/**
 * A boolean SQL expression: true for the rows whose JSONB `column` matches `filter` (see the module
 * comment). Never NULL, so it composes under AND / OR / NOT.
 */
export function attributeFilterSql(filter: AttributeFilter, column: Prisma.Sql): Prisma.Sql {
  switch (filter.type) {
    case 'and':
    case 'or':
      return Prisma.sql`(${Prisma.join(
        filter.filters.map((f) => attributeFilterSql(f, column)),
        filter.type === 'and' ? ' AND ' : ' OR ',
      )})`;
    case 'eq':
      return Prisma.sql`COALESCE((${column} -> ${filter.key}::text) = ${JSON.stringify(filter.value)}::jsonb, false)`;
    case 'ne':
      return Prisma.sql`((${column} -> ${filter.key}::text) IS DISTINCT FROM ${JSON.stringify(filter.value)}::jsonb)`;
    case 'in':
    case 'nin': {
      const member = Prisma.sql`COALESCE(${JSON.stringify(filter.value)}::jsonb @> jsonb_build_array(${column} -> ${filter.key}::text), false)`;
      return filter.type === 'in' ? member : Prisma.sql`(NOT ${member})`;
    }
    default: {
      const op = OPS[filter.type];
      const value = filter.value;
      if (typeof value === 'number') {
        return Prisma.sql`(CASE WHEN jsonb_typeof(${column} -> ${filter.key}::text) = 'number'
          THEN (${column} ->> ${filter.key}::text)::numeric ${op} ${value}::numeric ELSE false END)`;
      }
      return Prisma.sql`(CASE WHEN jsonb_typeof(${column} -> ${filter.key}::text) = 'string'
        THEN (${column} ->> ${filter.key}::text) COLLATE "C" ${op} ${String(value)}::text COLLATE "C" ELSE false END)`;
    }
  }
}

import type { TestStack } from '../kit/stack.js';

/** What a digest leaves out: whole tables, and columns of tables (by their database names). */
export interface DigestScope {
  tables?: ReadonlySet<string>;
  columns?: Readonly<Record<string, readonly string[]>>;
}

/**
 * One digest per table of the stack's database (every row as JSON, ordered), in one statement:
 * two equal maps mean nothing was written in between. Works on PGlite and PostgreSQL alike.
 */
export async function tableDigests(t: TestStack, scope: DigestScope = {}): Promise<Map<string, string>> {
  const prisma = t.stack.kernel.database.prisma;
  const tables = await prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`;
  const names = tables.map((r) => r.name).filter((n) => !scope.tables?.has(n));
  const parts = names.map((n) => {
    const dropped = (scope.columns?.[n] ?? []).map((c) => ` - '${c}'`).join('');
    const row = `(to_jsonb(x)${dropped})::text`;
    return `SELECT '${n}' AS name, md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS digest FROM "${n}" x`;
  });
  const rows = await prisma.$queryRawUnsafe<{ name: string; digest: string }[]>(parts.join(' UNION ALL '));
  return new Map(rows.map((r) => [r.name, r.digest]));
}

/** The tables whose digest differs. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([name, digest]) => before.get(name) !== digest).map(([name]) => name);
}

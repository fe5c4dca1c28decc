/**
 * Each test stack gets a PostgreSQL database of its own, copied from a migrated template (≈100 ms):
 * stacks share one server but nothing else. Tenants alone do not isolate test files: every stack runs
 * job workers, and one stack's worker claiming another's job (a dial, an ingest) runs it with the
 * wrong configuration (its own LiveKit or OpenAI double, or none).
 */
import pg from 'pg';

/** The migrated template database test/kit/global-setup.ts made, for bootStack (workers inherit the env). */
export const TEMPLATE_ENV = 'TEST_PG_TEMPLATE';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Double-quoted identifier; the names here are made by this file, the quoting is belt and braces. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs `work` on the server's maintenance database (never one being copied or dropped). */
async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const dropDatabase = (name: string) => `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`;

/** Copies the migrated database `url` names into a template stacks copy; returns the template's name. */
export async function makeTemplate(url: string): Promise<string> {
  const source = databaseOf(url);
  const template = `${source}_template`;
  await onServer(url, async (client) => {
    // The template and its copies left by runs that were killed before their teardown.
    const stale = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)',
      [template, `${template}_`],
    );
    for (const { datname } of stale.rows) {
      await client.query(dropDatabase(datname));
    }
    await client.query(`CREATE DATABASE ${ident(template)} TEMPLATE ${ident(source)}`);
  });
  return template;
}

export async function dropTemplate(url: string, template: string): Promise<void> {
  await onServer(url, (client) => client.query(dropDatabase(template)));
}

let made = 0;

/** A fresh copy of the template on the server of `url`; `drop` removes it (closing any connection left). */
export async function copyTemplate(
  url: string,
  template: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  made += 1;
  const name = `${template}_${process.pid}_${made}`;
  await onServer(url, (client) => client.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`));
  return {
    url: withDatabase(url, name),
    drop: async () => {
      await onServer(url, (client) => client.query(dropDatabase(name)));
    },
  };
}

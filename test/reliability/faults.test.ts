import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import {
  collect,
  load,
  type Outcome,
  openSse,
  type PrivatePostgres,
  privatePostgres,
  sleep,
  until,
} from './fault-kit.js';

/**
 * Faults (issue 13, part 3): the database restarting under write load, a subgraph process killed or
 * hung, the gateway's upstream websocket dropping, an SSE client dropping. No acknowledged write is
 * lost, clients get 503s (REST envelope, GraphQL SERVICE_UNAVAILABLE) while a dependency is down and
 * recover without a restart, streams resume with no event lost or repeated.
 */

const POSTGRES = Boolean(process.env.DATABASE_URL);
/** Longest a request may take while a dependency is down (it must not hang). */
const ANSWER_WITHIN_MS = 5000;

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) {
    await step().catch(() => undefined);
  }
});

const EVENTS = `subscription ($id: ID!, $after: String) {
  conversationEvents(conversationId: $id, after: $after) { cursor kind displayName }
}`;
type ConversationEvent = { conversationEvents: { cursor: string; kind: string; displayName: string | null } };

const SERVICE_UNAVAILABLE_ENVELOPE = {
  success: false,
  error: 'ServiceUnavailable',
  message: expect.any(String),
  details: null,
};

/** A conversation created over REST: 201 and its id is an acknowledged write. */
async function restCreate(t: TestStack, owner: Account, name: string): Promise<Outcome> {
  const started = Date.now();
  const res = await t.rest<{ conversation_id?: string }>('POST', '/api/v1/conversations', {
    token: owner.accessToken,
    body: { display_name: name },
  });
  return {
    status: res.status,
    ms: Date.now() - started,
    body: res.body,
    ...(res.status === 201 ? { id: res.body.conversation_id } : {}),
  };
}

/** The same over GraphQL; its outcome's status is 201 on success, 503 for SERVICE_UNAVAILABLE, else 500. */
async function gqlCreate(t: TestStack, owner: Account, name: string): Promise<Outcome> {
  const started = Date.now();
  const res = await t.gql<{ createConversation: { id: string } }>(
    'mutation ($name: String) { createConversation(input: { displayName: $name }) { id } }',
    { name },
    owner.accessToken,
  );
  const id = res.data?.createConversation.id;
  const code = res.errors?.[0]?.extensions?.code;
  return {
    status: id ? 201 : code === 'SERVICE_UNAVAILABLE' ? 503 : 500,
    ms: Date.now() - started,
    body: res,
    ...(id ? { id } : {}),
  };
}

async function rename(t: TestStack, owner: Account, id: string, displayName: string) {
  return t.gql(
    'mutation ($id: ID!, $name: String!) { renameConversation(conversationId: $id, displayName: $name) { id } }',
    { id, name: displayName },
    owner.accessToken,
  );
}

describe.skipIf(!POSTGRES)('PostgreSQL restarts under write load', () => {
  it('answers 503 while it is down, recovers without a restart, keeps every acknowledged write, and streams go on', async () => {
    // A cluster of this test's own: the shared test server serves other files meanwhile.
    const cluster: PrivatePostgres = await privatePostgres();
    cleanup.push(() => cluster.destroy());
    const t = await bootStack({ DATABASE_URL: cluster.url, RATE_LIMITS: 'false' });
    cleanup.push(() => t.close());
    const owner = await t.register();
    const watched = (await gqlCreate(t, owner, 'watched')).id as string;
    const sse = await openSse(`${t.url}/api/v1/conversations/${watched}/stream`, owner.accessToken, '0');
    expect(sse.status).toBe(200);
    const ws = collect<ConversationEvent>(
      t.ws(owner.accessToken).iterate({ query: EVENTS, variables: { id: watched, after: '0' } }),
    );
    await rename(t, owner, watched, 'before');
    await until(async () => (sse.frames.length === 2 && ws.events.length === 2) || undefined);

    const writes = load(4, (n) =>
      n % 4 === 3 ? gqlCreate(t, owner, `gql ${n}`) : restCreate(t, owner, `rest ${n}`),
    );
    await until(async () => writes.outcomes.filter((o) => o.id).length >= 20 || undefined);
    await cluster.stop();
    const downFrom = writes.outcomes.length;
    // While it is down: reads and writes, REST and GraphQL, all answer 503 at once.
    const probes = [
      await t.rest('GET', '/api/v1/conversations', { token: owner.accessToken }),
      await t.rest('POST', '/api/v1/conversations', {
        token: owner.accessToken,
        body: { display_name: 'x' },
      }),
    ];
    const gqlProbe = await t.gql('{ conversations(limit: 5) { items { id } } }', {}, owner.accessToken);
    await sleep(1000);
    const down = writes.outcomes.slice(downFrom);
    await cluster.start();
    const upFrom = writes.outcomes.length;
    await until(async () => writes.outcomes.slice(upFrom).some((o) => o.id) || undefined);
    await sleep(300);
    const outcomes = await writes.stop();

    for (const probe of probes) {
      expect(probe.status).toBe(503);
      expect(probe.body).toEqual(SERVICE_UNAVAILABLE_ENVELOPE);
    }
    expect(gqlProbe.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.length).toBeGreaterThan(10);
    expect(down.map((o) => o.status)).toEqual(down.map(() => 503));
    // A write in flight when the server stopped may fail: with a 503, never a 500 or a hang.
    expect(outcomes.filter((o) => o.status !== 201 && o.status !== 503)).toEqual([]);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(ANSWER_WITHIN_MS);
    for (const o of outcomes.filter((o) => o.status === 503 && o.body && !('data' in (o.body as object)))) {
      expect(o.body).toEqual(SERVICE_UNAVAILABLE_ENVELOPE);
    }
    // Every acknowledged write is there, read from the database itself.
    const acknowledged = outcomes.flatMap((o) => (o.id ? [o.id] : []));
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    const found = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM conversation WHERE id = ANY($1::uuid[])',
      [acknowledged],
    );
    await db.end();
    expect(found.rows[0]?.n).toBe(acknowledged.length);

    // The streams opened before the restart carry the events after it: no loss, no repeat.
    expect((await rename(t, owner, watched, 'after')).errors).toBeUndefined();
    await until(async () => (sse.frames.length >= 3 && ws.events.length >= 3) || undefined, 10_000);
    await sleep(200);
    expect(sse.frames.map((f) => [f.id, f.data.display_name])).toEqual([
      ['1', 'watched'],
      ['2', 'before'],
      ['3', 'after'],
    ]);
    expect(ws.events.map((e) => e.conversationEvents.cursor)).toEqual(['1', '2', '3']);
    console.log({ acknowledged: acknowledged.length, duringOutage: down.length + 3, total: outcomes.length });
    await sse.drop();
    await ws.close();
  }, 60_000);
});

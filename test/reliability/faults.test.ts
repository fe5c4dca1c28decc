import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type RunningGateway, readSupergraph, startGateway } from '../../gateway/create-gateway.js';
import { upstreamErrors } from '../../gateway/subscription-bridge.js';
import { openPglite } from '../../subgraphs/kernel/db.js';
import { findSubgraph } from '../../subgraphs/registry.js';
import { SNAPSHOT_ENV } from '../kit/global-setup.js';
import { type Account, type GatewayApi as Api, apiAt, bootStack, type TestStack } from '../kit/stack.js';
import {
  collect,
  type Frame,
  freePort,
  inProcessVictim,
  load,
  type Outcome,
  openSse,
  type PrivatePostgres,
  privatePostgres,
  processVictim,
  type ServerProcess,
  sleep,
  startServer,
  until,
  type Victim,
  within,
} from './fault-kit.js';

/**
 * Faults, injected into real components on loopback: the database restarting under write load
 * (PostgreSQL: a throwaway cluster of this file's own, stopped and started; PGlite: the embedded
 * stack's process SIGKILLed and started again on its data directory), a subgraph killed, hung and
 * restarted behind the gateway, the gateway's upstream websocket dropping with it, an SSE client
 * dropping. No acknowledged write (a 2xx or a GraphQL answer without errors) is lost, clients get
 * 503s (the REST envelope, GraphQL SERVICE_UNAVAILABLE) while a dependency is down, never a 500 or
 * a hang, and recover without a restart; streams resume with no event lost or repeated.
 */

const POSTGRES = Boolean(process.env.DATABASE_URL);
/** Longest a request may take while a dependency is down (it must not hang). */
const ANSWER_WITHIN_MS = 5000;
/** The fault gateway's SUBGRAPH_REQUEST_TIMEOUT_MS: a hung subgraph is a 503 after this long. */
const REQUEST_TIMEOUT_MS = 1500;
/** How long the streams test keeps the subgraph down. */
const KILLED_FOR_MS = 4500;

/** One line per fault: what was injected and counted (the suite's numbers in the CI log). */
function summary(fault: string, counts: Record<string, number>) {
  console.log(
    `faults: ${fault}: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}

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
async function restCreate(t: Api, owner: Account, name: string): Promise<Outcome> {
  const started = Date.now();
  const res = await t.rest<{ conversation_id?: string }>('POST', '/api/v1/conversations', {
    token: owner.accessToken,
    body: { display_name: name },
  });
  return {
    via: 'rest',
    status: res.status,
    ms: Date.now() - started,
    body: res.body,
    ...(res.status === 201 ? { id: res.body.conversation_id } : {}),
  };
}

/** The same over GraphQL; its outcome's status is 201 on success, 503 for SERVICE_UNAVAILABLE, else 500. */
async function gqlCreate(t: Api, owner: Account, name: string): Promise<Outcome> {
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

async function rename(t: Api, owner: Account, id: string, displayName: string) {
  return t.gql(
    'mutation ($id: ID!, $name: String!) { renameConversation(conversationId: $id, displayName: $name) { id } }',
    { id, name: displayName },
    owner.accessToken,
  );
}

describe.skipIf(!POSTGRES)('PostgreSQL restarts under write load', () => {
  let ownCluster: PrivatePostgres | undefined;
  let ownStack: TestStack | undefined;
  afterAll(async () => {
    await ownStack?.close();
    await ownCluster?.destroy();
  });

  it('answers 503 while it is down, recovers without a restart, keeps every acknowledged write, and streams go on', async () => {
    // A cluster of this test's own: the shared test server serves other files meanwhile.
    const cluster = await privatePostgres();
    ownCluster = cluster;
    const t = await bootStack({ DATABASE_URL: cluster.url });
    ownStack = t;
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
    const downFrom = Date.now();
    // While it is down: reads and writes, REST and GraphQL, all answer 503 at once.
    const probes = [
      await t.rest('GET', '/api/v1/conversations', { token: owner.accessToken }),
      await t.rest('POST', '/api/v1/conversations', {
        token: owner.accessToken,
        body: { display_name: 'x' },
      }),
      // Signing in reads the rate limits and the user: both in the database.
      await t.rest('POST', '/api/v1/auth/token', { body: { email: owner.email, password: owner.password } }),
    ];
    const gqlProbe = await t.gql('{ conversations(limit: 5) { items { id } } }', {}, owner.accessToken);
    await sleep(1000);
    const downTo = Date.now();
    await cluster.start();
    const down = within(writes.outcomes, downFrom, downTo);
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
    for (const o of outcomes.filter((o) => o.status === 503 && o.via === 'rest')) {
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
    summary('PostgreSQL restart', {
      requests: outcomes.length,
      duringOutage: down.length + probes.length + 1,
      acknowledged: acknowledged.length,
      events: 3,
    });
    await sse.drop();
    await ws.close();
  }, 60_000);
});

describe.skipIf(POSTGRES)('the embedded database dies with its process under write load', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;
  let reopened: TestStack | undefined;
  afterAll(async () => {
    await server?.kill();
    await reopened?.close();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps every acknowledged write and event through a SIGKILL, and serves again on the same data directory', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'faults-pglite-'));
    // Start from the migrated snapshot test/kit/global-setup.ts made (a fresh directory migrates for seconds).
    const snapshot = process.env[SNAPSHOT_ENV];
    if (snapshot) {
      const seeded = await openPglite(dataDir, new Blob([readFileSync(snapshot)]));
      await seeded.close();
    }
    const { DATABASE_URL: _none, ...env } = process.env;
    server = await startServer(
      ['gateway/main'],
      { ...(env as Record<string, string>), DATA_DIR: dataDir, PORT: '0' },
      /GraphQL\s+(\S+)\/graphql/,
    );
    const t = apiAt(server.url);
    const owner = await t.register();
    const watched = (await gqlCreate(t, owner, 'watched')).id as string;
    const streamPath = `/api/v1/conversations/${watched}/stream`;
    const before = await openSse(`${server.url}${streamPath}`, owner.accessToken, '0');
    // Conversations created (REST and GraphQL) and the watched one renamed, four at a time.
    const writes = load(4, async (n) => {
      if (n % 4 === 2) {
        const started = Date.now();
        const res = await rename(t, owner, watched, `r${n}`);
        return {
          status: res.errors ? 500 : 200,
          ms: Date.now() - started,
          body: res,
          ...(res.errors ? {} : { id: `r${n}` }),
        };
      }
      return n % 4 === 3 ? gqlCreate(t, owner, `gql ${n}`) : restCreate(t, owner, `rest ${n}`);
    });
    await until(async () => writes.outcomes.filter((o) => o.id).length >= 30 || undefined);
    // The process dies mid-write, as a crash or an OOM kill would end it.
    await server.kill();
    const outcomes = await writes.stop();
    await before.ended;
    // Opened again on the same data directory (in this process: a second process start costs seconds).
    const back = await bootStack({ DATABASE_URL: '', DATA_DIR: dataDir });
    reopened = back;
    // Requests in flight at the kill fail at the socket; none answered anything but success before.
    expect(outcomes.filter((o) => o.status !== 200 && o.status !== 201 && o.status !== 0)).toEqual([]);
    const created = outcomes.flatMap((o) => (o.id && !o.id.startsWith('r') ? [o.id] : []));
    const renamed = outcomes.flatMap((o) => (o.id?.startsWith('r') ? [o.id] : []));
    const after = await restCreate(back, owner, 'after the restart');
    expect(after.status).toBe(201);
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: {
        data?: { conversations: { items: { id: string }[]; nextCursor: string | null } } | null;
      } = await back.gql(
        'query ($cursor: String) { conversations(limit: 100, cursor: $cursor) { items { id } nextCursor } }',
        { cursor },
        owner.accessToken,
      );
      for (const item of page.data?.conversations.items ?? []) {
        listed.add(item.id);
      }
      cursor = page.data?.conversations.nextCursor ?? null;
    } while (cursor);
    expect(created.filter((id) => !listed.has(id))).toEqual([]);
    expect(listed.has(after.id as string)).toBe(true);

    // The stream cut by the crash resumes from its last id: every acknowledged rename is in it, once.
    const last = before.frames.at(-1)?.id as string;
    const resumed = await openSse(`${back.url}${streamPath}`, owner.accessToken, last);
    expect((await rename(back, owner, watched, 'after the restart')).errors).toBeUndefined();
    await until(
      async () => resumed.frames.some((f) => f.data.display_name === 'after the restart') || undefined,
    );
    await resumed.drop();
    const frames = [...before.frames, ...resumed.frames];
    expect(frames.map((f) => f.id)).toEqual(range(1, frames.length));
    const names = frames.map((f) => f.data.display_name as string);
    expect(renamed.filter((name) => !names.includes(name))).toEqual([]);
    expect(names.at(-1)).toBe('after the restart');
    summary('PGlite SIGKILL', {
      requests: outcomes.length,
      acknowledged: created.length + renamed.length,
      events: frames.length,
    });
  }, 60_000);
});

/** The cursors `from`…`to`, as strings: what a stream must deliver, each once, in order. */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

/** Renames `id` through `t` every few milliseconds until stopped; the names given, in order. */
function renamer(t: Api, owner: Account, id: string, prefix: string) {
  let running = true;
  const names: string[] = [];
  const loop = (async () => {
    for (let n = 1; running; n++) {
      const res = await rename(t, owner, id, `${prefix}${n}`);
      if (res.errors) {
        throw new Error(`rename failed: ${JSON.stringify(res.errors)}`);
      }
      names.push(`${prefix}${n}`);
      await sleep(40);
    }
  })();
  return {
    names,
    async stop() {
      running = false;
      await loop;
      return names;
    },
  };
}

async function headOf(t: TestStack, id: string): Promise<number> {
  const row = await t.stack.kernel.database.prisma.eventStream.findUnique({
    where: { stream: `conversation:${id}` },
  });
  return Number(row?.lastSeq ?? 0);
}

/**
 * The conversations subgraph behind a gateway of the test's own (SUBGRAPH_REQUEST_TIMEOUT_MS small),
 * every other subgraph served by the test stack: on PostgreSQL a separate process it kills (SIGKILL),
 * hangs (SIGSTOP) and starts again on the same port; on PGlite, whose database no other process
 * can share, served in this process, closed, replaced by a listener that never answers, and served again.
 */
describe('a subgraph killed, hung and restarted under the gateway', () => {
  let t: TestStack;
  let victim: Victim;
  let gateway: RunningGateway;
  let api: Api;
  let owner: Account;

  beforeAll(async () => {
    t = await bootStack();
    const served = Object.fromEntries(t.stack.subgraphs.map((s) => [s.name, s.url]));
    victim = POSTGRES
      ? await processVictim('conversations', {
          DATABASE_URL: t.stack.kernel.database.url as string,
          ...Object.fromEntries(
            Object.entries(served).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url]),
          ),
        })
      : await inProcessVictim(t.stack.kernel, findSubgraph('conversations'));
    gateway = await startGateway(
      {
        config: {
          ...t.stack.kernel.config,
          SUBGRAPH_CONNECT_TIMEOUT_MS: 1000,
          SUBGRAPH_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS,
        },
        log: t.stack.kernel.log,
        supergraphSdl: readSupergraph(),
        subgraphUrls: { ...served, conversations: victim.url },
        blobs: t.stack.kernel.blobs,
      },
      { host: '127.0.0.1', port: 0 },
    );
    api = apiAt(gateway.url);
    owner = await api.register();
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await gateway?.close();
    await victim?.close();
    await t?.close();
  });

  const health = async () => {
    const res = await api.rest<{ status: string; subgraphs: Record<string, string> }>('GET', '/health');
    return { status: res.status, body: res.body };
  };

  it('killed: what needs it answers 503, the rest works, /health is degraded; restarted, it serves again', async () => {
    const writes = load(3, (n) => restCreate(api, owner, `kill ${n}`));
    await until(async () => writes.outcomes.filter((o) => o.id).length >= 10 || undefined);
    await victim.kill();
    const downFrom = Date.now();
    const timed = async <T>(call: () => Promise<T>) => {
      const started = Date.now();
      const value = await call();
      return { value, ms: Date.now() - started };
    };
    const restWrite = await timed(() => restCreate(api, owner, 'while down'));
    const restRead = await timed(() =>
      api.rest('GET', '/api/v1/conversations', { token: owner.accessToken }),
    );
    const gqlRead = await timed(() => api.gql('{ conversations { items { id } } }', {}, owner.accessToken));
    const stream = await timed(() =>
      api.rest('GET', `/api/v1/conversations/${writes.outcomes.find((o) => o.id)?.id}/stream`, {
        token: owner.accessToken,
      }),
    );
    const otherRest = await api.rest('GET', '/api/v1/auth/me', { token: owner.accessToken });
    const otherGql = await api.gql<{ me: { userId: string } }>('{ me { userId } }', {}, owner.accessToken);
    const degraded = await health();
    await sleep(300);
    const down = within(writes.outcomes, downFrom, Date.now());
    await victim.restart();
    const upFrom = writes.outcomes.length;
    await until(async () => writes.outcomes.slice(upFrom).some((o) => o.id) || undefined);
    const outcomes = await writes.stop();

    expect(restWrite.value.status).toBe(503);
    expect(restWrite.value.body).toEqual(SERVICE_UNAVAILABLE_ENVELOPE);
    expect(restRead.value.status).toBe(503);
    expect(restRead.value.body).toEqual(SERVICE_UNAVAILABLE_ENVELOPE);
    expect(gqlRead.value.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    // A stream opened meanwhile is refused before it starts (its precheck needs the subgraph).
    expect(stream.value.status).toBe(503);
    expect(stream.value.body).toEqual(SERVICE_UNAVAILABLE_ENVELOPE);
    for (const call of [restWrite, restRead, gqlRead, stream]) {
      expect(call.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    expect(otherRest.status).toBe(200);
    expect(otherGql, JSON.stringify(otherGql)).toMatchObject({ data: { me: { userId: owner.userId } } });
    expect(degraded.status).toBe(503);
    expect(degraded.body.status).toBe('degraded');
    expect(Object.entries(degraded.body.subgraphs).filter(([, s]) => s !== 'ok')).toEqual([
      ['conversations', 'unavailable'],
    ]);
    expect(down.length).toBeGreaterThan(0);
    expect(down.map((o) => o.status)).toEqual(down.map(() => 503));
    expect(outcomes.filter((o) => o.status !== 201 && o.status !== 503)).toEqual([]);
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok' } });
    const acknowledged = outcomes.flatMap((o) => (o.id ? [o.id] : []));
    expect(
      await t.stack.kernel.database.prisma.conversation.count({ where: { id: { in: acknowledged } } }),
    ).toBe(acknowledged.length);
    summary('subgraph killed', {
      requests: outcomes.length + 6,
      duringOutage: down.length + 4,
      acknowledged: acknowledged.length,
    });
  }, 40_000);

  it(`hung: a 503 after SUBGRAPH_REQUEST_TIMEOUT_MS (${REQUEST_TIMEOUT_MS} ms), the rest works; answering again, it serves again`, async () => {
    await victim.hang();
    const started = Date.now();
    const [write, read, other, degraded] = await Promise.all([
      restCreate(api, owner, 'while hung').then((o) => ({ ...o, ms: Date.now() - started })),
      api
        .gql('{ conversations { items { id } } }', {}, owner.accessToken)
        .then((r) => ({ ...r, ms: Date.now() - started })),
      api.rest('GET', '/api/v1/auth/me', { token: owner.accessToken }),
      health(),
    ]);
    const waited = Math.max(write.ms, read.ms);
    // Both waited the timeout, neither much longer.
    const quickest = Math.min(write.ms, read.ms);
    await victim.resume();
    const back = await until(async () => {
      const o = await restCreate(api, owner, 'resumed');
      return o.id ? o : undefined;
    });

    expect(write.status).toBe(503);
    expect(write.body).toEqual({
      ...SERVICE_UNAVAILABLE_ENVELOPE,
      message: `The conversations service did not answer within ${REQUEST_TIMEOUT_MS} ms.`,
    });
    expect(read.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(quickest).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    expect(other.status).toBe(200);
    expect(degraded).toMatchObject({ status: 503, body: { status: 'degraded' } });
    expect(degraded.body.subgraphs.conversations).toBe('unavailable');
    expect(back.status).toBe(201);
    // A 503 for a timeout says nothing of the write: a stopped process applies it once it runs again.
    const appliedAnyway = await t.stack.kernel.database.prisma.conversation.count({
      where: { tenantId: owner.tenantId, displayName: 'while hung' },
    });
    summary('subgraph hung', { waited, duringOutage: 3, appliedAfter503: appliedAnyway });
  }, 40_000);

  it('its websocket drops with it: subscribers over graphql-ws and SSE get every event once, in order', async () => {
    const id = (await gqlCreate(api, owner, 'streamed')).id as string;
    const token = owner.accessToken;
    const live = collect<ConversationEvent>(api.ws(token).iterate({ query: EVENTS, variables: { id } }));
    const replayed = collect<ConversationEvent>(
      api.ws(token).iterate({ query: EVENTS, variables: { id, after: '0' } }),
    );
    const sse = await openSse(`${gateway.url}/api/v1/conversations/${id}/stream`, token);
    expect(sse.status).toBe(200);
    // Renamed through the test stack's own gateway and subgraph (another replica): events keep
    // coming while the victim is down.
    const producer = renamer(t, owner, id, 'n');
    // Live subscribers start at the head: wait until each has taken an event.
    await until(async () => (live.events.length > 0 && sse.frames.length > 0) || undefined);
    await victim.kill();
    const killedAt = Date.now();
    // Down longer than graphql-ws's first retry wait (at most 4 s): a reconnect is refused at least once.
    await sleep(KILLED_FOR_MS);
    await victim.restart();
    const downFor = Date.now() - killedAt;
    // Through the victim again: the gateway's subscriptions reconnected and replayed what they missed.
    await until(async () => (!(await gqlCreate(api, owner, 'probe')).id ? undefined : true));
    const lastFromVictim = await rename(api, owner, id, 'through the victim');
    await sleep(300);
    const names = await producer.stop();
    expect(lastFromVictim.errors).toBeUndefined();
    const head = await headOf(t, id);
    await until(
      async () =>
        (live.events.at(-1)?.conversationEvents.cursor === String(head) &&
          replayed.events.at(-1)?.conversationEvents.cursor === String(head) &&
          sse.frames.at(-1)?.id === String(head)) ||
        undefined,
      20_000,
    ).catch(() => undefined); // the expectations below say what is missing or extra
    await sleep(200);
    await sse.drop();
    await live.close();
    await replayed.close();

    expect(live.errors).toEqual([]);
    expect(replayed.errors).toEqual([]);
    expect(sse.frames.filter((f) => f.event === 'error')).toEqual([]);
    const liveCursors = live.events.map((e) => e.conversationEvents.cursor);
    const sseIds = sse.frames.map((f) => f.id);
    expect(replayed.events.map((e) => e.conversationEvents.cursor)).toEqual(range(1, head));
    expect(liveCursors).toEqual(range(Number(liveCursors[0]), head));
    expect(sseIds).toEqual(range(Number(sseIds[0]), head));
    // seq 1 is the creation, then one event per rename.
    expect(replayed.events.map((e) => e.conversationEvents.displayName).sort()).toEqual(
      ['streamed', 'through the victim', ...names].sort(),
    );
    summary('upstream websocket dropped', {
      downFor,
      events: head + liveCursors.length + sseIds.length,
    });
  }, 40_000);
});

describe('an SSE client that drops mid-stream', () => {
  let t: TestStack;
  let owner: Account;
  beforeAll(async () => {
    t = await bootStack();
    owner = await t.register();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reconnecting with Last-Event-ID, gets exactly the events after it while they kept coming', async () => {
    const id = (await gqlCreate(t, owner, 'dropped')).id as string;
    const url = `${t.url}/api/v1/conversations/${id}/stream`;
    const producer = renamer(t, owner, id, 'e');
    const received: Frame[] = [];
    const gaps: { droppedAt: number; backAt: number }[] = [];
    let last = '0';
    for (let drop = 0; drop < 3; drop++) {
      const sse = await openSse(url, owner.accessToken, last);
      expect(sse.status).toBe(200);
      if (drop > 0) {
        (gaps.at(-1) as { backAt: number }).backAt = await headOf(t, id);
      }
      await until(async () => sse.frames.length >= 3 || undefined);
      await sse.drop();
      received.push(...sse.frames);
      last = sse.frames.at(-1)?.id as string;
      gaps.push({ droppedAt: await headOf(t, id), backAt: 0 });
      await sleep(300); // events keep coming while the client is away
    }
    const names = await producer.stop();
    const head = await headOf(t, id);
    (gaps.at(-1) as { backAt: number }).backAt = head;
    const final = await openSse(url, owner.accessToken, last);
    await until(async () => final.frames.at(-1)?.id === String(head) || undefined);
    await sleep(200);
    await final.drop();
    received.push(...final.frames);

    // Events were appended while the client was away, every time.
    for (const gap of gaps) {
      expect(gap.backAt).toBeGreaterThan(gap.droppedAt);
    }
    expect(received.filter((f) => f.event === 'error')).toEqual([]);
    expect(received.map((f) => f.id)).toEqual(range(1, head));
    expect(received.map((f) => f.data.display_name)).toEqual(['dropped', ...names]);
    // Nothing is left subscribed for the clients that went away.
    await until(
      async () =>
        (t.stack.kernel.bus.subscriberCount === 0 &&
          t.stack.gateway.subscriptions.activeSubscriptions === 0) ||
        undefined,
      5000,
    );
    summary('SSE client dropped', { drops: 3, events: received.length });
  }, 30_000);
});

describe('an upstream subscription whose connection is lost for good (its retries spent)', () => {
  it('ends with SERVICE_UNAVAILABLE (a 503 envelope over SSE); a refusal keeps its reason', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    // The first connection is cut abruptly (1006), the second refused with a graphql-ws code.
    let connections = 0;
    server.on('connection', (socket) => {
      connections += 1;
      if (connections === 1) {
        socket.terminate();
      } else {
        socket.close(4403, 'Forbidden');
      }
    });
    const failure = async (url: string) => {
      const client = createClient({ url, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
      try {
        return await client
          .iterate({ query: 'subscription { x }' })
          .next()
          .then(
            () => null,
            (error: unknown) => error,
          );
      } finally {
        await client.dispose();
      }
    };
    const address = server.address() as { port: number };
    const cut = await failure(`ws://127.0.0.1:${address.port}/graphql`);
    const refused = await failure(`ws://127.0.0.1:${address.port}/graphql`);
    await new Promise((r) => server.close(r));
    const unreachable = await failure(`ws://127.0.0.1:${await freePort()}/graphql`);

    for (const error of [unreachable, cut]) {
      expect(upstreamErrors(error, 'conversations').map((e) => e.toJSON())).toEqual([
        {
          message: 'The conversations service is unavailable; subscribe again from the last cursor.',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
    }
    expect(upstreamErrors(refused, 'conversations').map((e) => e.toJSON())).toEqual([
      { message: 'Forbidden', extensions: { code: 'SUBGRAPH_ERROR' } },
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationEventPayload } from '../../subgraphs/conversations/conversation.events.js';
import { conversationStream } from '../../subgraphs/conversations/conversation.events.js';
import { EVENT_PAGE_SIZE, publishEvent } from '../../subgraphs/kernel/event-bus.js';
import { type Account, bootStack, eventually, type TestStack, take } from '../kit/stack.js';

let t: TestStack;
let owner: Account;

beforeAll(async () => {
  t = await bootStack();
  owner = await t.register();
});
afterAll(async () => {
  await t?.close();
});

const EVENTS = `subscription ($id: ID!, $after: String) {
  conversationEvents(conversationId: $id, after: $after) { cursor kind displayName }
}`;

async function createConversation(account: Account, displayName = 'Paging') {
  const res = await t.gql<{ createConversation: { id: string } }>(
    'mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id } }',
    { input: { displayName } },
    account.accessToken,
  );
  expect(res.errors).toBeUndefined();
  return res.data?.createConversation.id as string;
}

/**
 * Appends `count` title events to a conversation's stream in one transaction: one commit, and one
 * notification (PostgreSQL folds identical notifications of a transaction), the largest burst there is.
 */
async function burst(conversationId: string, count: number, prefix: string) {
  await t.stack.kernel.database.prisma.$transaction(
    async (tx) => {
      for (let i = 1; i <= count; i++) {
        const payload: ConversationEventPayload = {
          kind: 'conversation.title.updated',
          conversationId,
          displayName: `${prefix}${i}`,
          timestamp: new Date().toISOString(),
        };
        await publishEvent(tx, {
          stream: conversationStream(conversationId),
          type: payload.kind,
          tenantId: owner.tenantId,
          payload: { ...payload },
        });
      }
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}

const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/** Reads an SSE response until `count` frames with an id arrived (or the stream ended). */
async function sseFrames(res: Response, count: number) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const frames: { id: string; data: Record<string, unknown> }[] = [];
  while (frames.length < count) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    text += decoder.decode(value, { stream: true });
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const lines = block.split('\n');
      const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
      if (id && data) {
        frames.push({ id, data: JSON.parse(data) });
      }
      end = text.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return frames;
}

describe('streams page until the head', () => {
  const TOTAL = 1_100;
  let conversationId: string;
  let burstId: string;
  let slowId: string;

  beforeAll(async () => {
    // Created first: a long burst in this process can outlast the client's idle keep-alive sockets.
    [conversationId, burstId, slowId] = await Promise.all([
      createConversation(owner),
      createConversation(owner, 'Burst'),
      createConversation(owner, 'Slow'),
    ]);
    await burst(conversationId, TOTAL, 'r');
  }, 180_000);

  it(`resumes ${TOTAL} events behind over graphql-ws through the gateway: all of them, in order`, async () => {
    expect(TOTAL).toBeGreaterThan(EVENT_PAGE_SIZE);
    const events = await take(
      t.ws(owner.accessToken).iterate<{ conversationEvents: { cursor: string; displayName: string } }>({
        query: EVENTS,
        variables: { id: conversationId, after: '1' },
      }),
      TOTAL,
      60_000,
    );
    const received = events.map((e) => e.data?.conversationEvents);
    expect(received.map((e) => e?.cursor)).toEqual(names('', TOTAL).map((n) => String(Number(n) + 1)));
    expect(received.map((e) => e?.displayName)).toEqual(names('r', TOTAL));
    await eventually(() => t.stack.kernel.bus.subscriberCount === 0);
  }, 90_000);

  it(`resumes ${TOTAL} events behind over SSE with Last-Event-ID: all of them, in order`, async () => {
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/conversations/${conversationId}/stream`, {
      headers: { authorization: `Bearer ${owner.accessToken}`, 'last-event-id': '1' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const frames = await sseFrames(res, TOTAL);
    controller.abort();
    expect(frames.map((f) => f.id)).toEqual(names('', TOTAL).map((n) => String(Number(n) + 1)));
    expect(frames.map((f) => f.data.display_name)).toEqual(names('r', TOTAL));
    await eventually(
      () =>
        t.stack.kernel.bus.subscriberCount === 0 && t.stack.gateway.subscriptions.activeSubscriptions === 0,
    );
  }, 90_000);

  it('delivers a burst bigger than a page that lands while a subscriber is live', async () => {
    const id = burstId;
    const COUNT = 1_200;
    const live = t
      .ws(owner.accessToken)
      .iterate<{ conversationEvents: { cursor: string; displayName: string } }>({
        query: EVENTS,
        variables: { id },
      });
    const received = take(live, COUNT, 90_000);
    await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
    await burst(id, COUNT, 'b');
    const events = (await received).map((e) => e.data?.conversationEvents);
    expect(events.map((e) => e?.displayName)).toEqual(names('b', COUNT));
    expect(events.map((e) => e?.cursor)).toEqual(names('', COUNT).map((n) => String(Number(n) + 1)));
  }, 180_000);

  it('a subscriber that falls behind by more than a page reads the rest from the table, no gap, no repeat', async () => {
    const id = slowId;
    const COUNT = 2_100;
    const bus = t.stack.kernel.bus;
    const sub = bus.subscribe<ConversationEventPayload>(
      conversationStream(id),
      await bus.headOf(conversationStream(id)),
    );
    // One pending read puts the subscriber live; nothing else is consumed while the burst arrives,
    // so its queue is full long before the end.
    const first = sub.next();
    await new Promise((r) => setTimeout(r, 200));
    await burst(id, COUNT, 's');
    await new Promise((r) => setTimeout(r, 300));
    const seqs: bigint[] = [(await first).value?.seq as bigint];
    for (let i = 1; i < COUNT; i++) {
      const r = await sub.next();
      expect(r.done).toBe(false);
      seqs.push(r.value.seq);
    }
    await sub.return?.();
    expect(seqs).toEqual(Array.from({ length: COUNT }, (_, i) => BigInt(i + 2)));
  }, 180_000);
});

describe('bus.publish (one statement per event)', () => {
  it('appends in sequence with publishEvent, notifies live subscribers and rolls nothing back', async () => {
    const bus = t.stack.kernel.bus;
    const stream = `bench-test:${owner.tenantId}`;
    const sub = bus.subscribe<{ i: number }>(stream, await bus.headOf(stream));
    const first = sub.next();
    const seqs: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      seqs.push(await bus.publish({ stream, type: 'delta', tenantId: owner.tenantId, payload: { i } }));
    }
    const [viaTx] = await t.stack.kernel.database.prisma.$transaction(async (tx) => [
      await publishEvent(tx, { stream, type: 'delta', payload: { i: 5 } }),
    ]);
    expect([...seqs, viaTx]).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    const got = [(await first).value];
    for (let i = 1; i < 6; i++) {
      got.push((await sub.next()).value);
    }
    await sub.return?.();
    expect(got.map((e) => [e?.seq, e?.type, e?.payload.i])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [BigInt(i + 1), 'delta', i]),
    );
    expect(got[0]?.tenantId).toBe(owner.tenantId);
  });
});

describe('notifications carry the event', () => {
  it('delivers live what a replay reads, and events too large for a notification through a read', async () => {
    const bus = t.stack.kernel.bus;
    const stream = `notify-test:${owner.tenantId}`;
    const live = bus.subscribe<{ text: string }>(stream, await bus.headOf(stream));
    const first = live.next();
    const big = 'x'.repeat(10_000); // over PostgreSQL's 8000-byte notification limit
    await bus.publish({ stream, type: 'small', payload: { text: 'é' } });
    await bus.publish({ stream, type: 'large', payload: { text: big } });
    await t.stack.kernel.database.prisma.$transaction((tx) =>
      publishEvent(tx, { stream, type: 'large', payload: { text: big } }),
    );
    await bus.publish({ stream, type: 'small', payload: { text: 'after' } });
    const received = [(await first).value];
    for (let i = 1; i < 4; i++) {
      received.push((await live.next()).value);
    }
    await live.return?.();
    const replayed = await bus.read(stream, 0n);
    expect(received.map((e) => [e?.seq, e?.type, e?.payload.text.length])).toEqual([
      [1n, 'small', 1],
      [2n, 'large', 10_000],
      [3n, 'large', 10_000],
      [4n, 'small', 5],
    ]);
    expect(received).toEqual(replayed);
  });
});

describe('events published at once', () => {
  it('are numbered per stream in publish order, delivered live in order, and a bad one fails alone', async () => {
    const bus = t.stack.kernel.bus;
    const streams = Array.from({ length: 8 }, (_, i) => `burst-test:${owner.tenantId}:${i}`);
    const subs = await Promise.all(
      streams.map(async (s) => bus.subscribe<{ i: number }>(s, await bus.headOf(s))),
    );
    const perStream = 25;
    // Published in one go: on PGlite they share statements (group commit), on PostgreSQL they race.
    const published = streams.flatMap((stream, k) =>
      Array.from({ length: perStream }, (_, i) =>
        bus.publish({ stream, type: 'delta', tenantId: owner.tenantId, payload: { i, k } }),
      ),
    );
    // Its refusal is awaited at once: on PostgreSQL it may come before the others are appended.
    const bad = expect(
      bus.publish({ stream: streams[0] as string, type: 'delta', tenantId: 'not-a-uuid', payload: {} }),
    ).rejects.toThrow();
    const seqs = await Promise.all(published);
    await bad;
    streams.forEach((_, k) => {
      const mine = seqs.slice(k * perStream, (k + 1) * perStream);
      // PostgreSQL appends concurrently: numbers are 1…n per stream, in publish order on PGlite.
      expect([...mine].sort((a, b) => Number(a - b))).toEqual(
        Array.from({ length: perStream }, (_, i) => BigInt(i + 1)),
      );
      if (t.stack.kernel.database.kind === 'pglite') {
        expect(mine).toEqual(Array.from({ length: perStream }, (_, i) => BigInt(i + 1)));
      }
    });
    for (const [k, sub] of subs.entries()) {
      const got: { seq: bigint; i: number }[] = [];
      for (let n = 0; n < perStream; n++) {
        const { value } = await sub.next();
        got.push({ seq: value.seq, i: value.payload.i });
      }
      await sub.return?.();
      expect(got.map((g) => g.seq)).toEqual(Array.from({ length: perStream }, (_, i) => BigInt(i + 1)));
      const stored = await bus.read(streams[k] as string, 0n);
      expect(stored.map((e) => [e.seq, (e.payload as { i: number }).i])).toEqual(
        got.map((g) => [g.seq, g.i]),
      );
    }
    expect(await bus.headOf(streams[0] as string)).toBe(BigInt(perStream));
  });
});

import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardStream } from '../../subgraphs/kernel/stream-access.js';
import { type Account, bootStack, eventually, type TestStack, take } from '../kit/stack.js';
import { addMember } from './tenancy-kit.js';

let t: TestStack;
let owner: Account;

beforeAll(async () => {
  // Re-checks every 200 ms, so revocations end streams quickly here.
  t = await bootStack({ STREAM_ACCESS_RECHECK_MS: '200' });
  owner = await t.register();
});
afterAll(async () => {
  await t?.close();
});

const EVENTS = `subscription ($id: ID!) {
  conversationEvents(conversationId: $id) { cursor kind displayName }
}`;

async function createConversation(token: string) {
  const res = await t.gql<{ createConversation: { id: string } }>(
    'mutation { createConversation(input: { displayName: "Guarded" }) { id } }',
    {},
    token,
  );
  expect(res.errors).toBeUndefined();
  return res.data?.createConversation.id as string;
}

type EventResult = {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/** Opens the stream over graphql-ws and returns what it delivers until it ends (or `timeoutMs`). */
async function streamUntilEnd(token: string, id: string, whileOpen: () => Promise<void>, timeoutMs = 10_000) {
  const iterator = t.ws(token).iterate<Record<string, unknown>>({ query: EVENTS, variables: { id } });
  const results = take(iterator as AsyncIterableIterator<EventResult>, 100, timeoutMs);
  await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
  await whileOpen();
  return results;
}

const closed = () =>
  eventually(
    () => t.stack.kernel.bus.subscriberCount === 0 && t.stack.gateway.subscriptions.activeSubscriptions === 0,
  );

describe('a subscription re-checks its caller’s access', () => {
  it('ends with UNAUTHENTICATED when the access token expires, at its `exp`', async () => {
    const id = await createConversation(owner.accessToken);
    const claims = decodeJwt(owner.accessToken);
    const { exp: _exp, iat: _iat, aud, ...rest } = claims;
    const shortLived = await t.stack.kernel.keys.sign(rest, 2, aud as string);
    const opened = Date.now();
    const results = await streamUntilEnd(shortLived, id, async () => {
      // An event while the token is valid is delivered.
      await t.gql(
        'mutation ($id: ID!) { renameConversation(conversationId: $id, displayName: "Before") { id } }',
        { id },
        owner.accessToken,
      );
    });
    const ended = Date.now();
    expect(results[0]?.data).toMatchObject({ conversationEvents: { displayName: 'Before' } });
    expect(results.at(-1)?.errors?.[0]).toMatchObject({
      message: 'Access token expired.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(results).toHaveLength(2);
    // Ended at the expiry (second-granular `exp`), not at the 10 s timeout.
    expect(ended - opened).toBeLessThan(5000);
    await closed();
  });

  it('ends with FORBIDDEN when the member is removed from the tenant', async () => {
    const person = await addMember(t, owner, 'member');
    const id = await createConversation(person.token);
    const results = await streamUntilEnd(person.token, id, async () => {
      const res = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/users/${person.userId}`, {
        token: owner.accessToken,
      });
      expect(res.status).toBe(204);
    });
    expect(results).toHaveLength(1);
    expect(results[0]?.errors?.[0]).toMatchObject({
      message: 'No longer a member of this tenant.',
      extensions: { code: 'FORBIDDEN' },
    });
    await closed();
  });

  it('ends with UNAUTHENTICATED when the API key is revoked', async () => {
    const created = await t.rest<{ id: string; key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
      token: owner.accessToken,
      body: { name: 'streamer', scopes: ['conversations:read'] },
    });
    expect(created.status).toBe(201);
    const id = await createConversation(owner.accessToken);
    const results = await streamUntilEnd(created.body.key, id, async () => {
      const res = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/${created.body.id}`, {
        token: owner.accessToken,
      });
      expect(res.status).toBe(204);
    });
    expect(results).toHaveLength(1);
    expect(results[0]?.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await closed();
  });

  it('ends an SSE stream with an `event: error` frame carrying the error envelope', async () => {
    const person = await addMember(t, owner, 'viewer');
    const id = await createConversation(owner.accessToken);
    const res = await fetch(`${t.url}/api/v1/conversations/${id}/stream`, {
      headers: { authorization: `Bearer ${person.token}` },
    });
    expect(res.status).toBe(200);
    await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
    const removed = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/users/${person.userId}`, {
      token: owner.accessToken,
    });
    expect(removed.status).toBe(204);
    // The stream ends by itself: the whole body can be read.
    const text = await res.text();
    const frame = text.split('\n\n').find((f) => f.startsWith('event: error'));
    expect(frame).toBeDefined();
    const body = JSON.parse((frame as string).split('\n')[1]?.slice('data: '.length) ?? '{}');
    expect(body).toMatchObject({
      success: false,
      error: expect.any(String),
      message: 'No longer a member of this tenant.',
    });
    expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message', 'success']);
    await closed();
  });
});

describe('re-checks of streams opened together', () => {
  it('are spread over the interval instead of all hitting the database at once, and stop with the stream', async () => {
    const firstChecks: number[] = [];
    let calls = 0;
    const opened = Date.now();
    const source: AsyncIterator<number> = {
      next: () => new Promise<IteratorResult<number>>(() => {}),
      return: async () => ({ done: true, value: undefined }),
    };
    const streams = Array.from({ length: 20 }, () => {
      let checked = false;
      return guardStream(source, {
        intervalMs: 300,
        check: async () => {
          calls++;
          if (!checked) {
            checked = true;
            firstChecks.push(Date.now() - opened);
          }
          return null;
        },
      });
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(firstChecks).toHaveLength(20);
    expect(Math.max(...firstChecks)).toBeLessThanOrEqual(350); // still within the first interval
    expect(Math.max(...firstChecks) - Math.min(...firstChecks)).toBeGreaterThan(60);
    await Promise.all(streams.map((s) => s.return?.()));
    const before = calls;
    await new Promise((r) => setTimeout(r, 400));
    expect(calls).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, eventually, type TestStack, take } from '../kit/stack.js';

let t: TestStack;
let owner: Account;
let stranger: Account;

beforeAll(async () => {
  t = await bootStack();
  [owner, stranger] = await Promise.all([t.register(), t.register()]);
});
afterAll(async () => {
  await t?.close();
});

const CREATE =
  'mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id displayName user { id email } } }';
const EVENTS = `subscription ($id: ID!, $after: String) {
  conversationEvents(conversationId: $id, after: $after) { cursor kind conversationId displayName conversation { id user { email } } }
}`;

async function createConversation(account: Account, displayName = 'Hello') {
  const res = await t.gql<{
    createConversation: { id: string; displayName: string; user: { id: string; email: string } };
  }>(CREATE, { input: { displayName } }, account.accessToken);
  expect(res.errors).toBeUndefined();
  return res.data?.createConversation as {
    id: string;
    displayName: string;
    user: { id: string; email: string };
  };
}

describe('conversations over GraphQL', () => {
  it('creates a conversation whose user is resolved by the identity subgraph', async () => {
    const c = await createConversation(owner, 'Federated');
    expect(c).toMatchObject({ displayName: 'Federated', user: { id: owner.userId, email: owner.email } });
  });

  it('extends User with the conversations the user started', async () => {
    const a = await t.register();
    const c = await createConversation(a, 'Mine');
    const res = await t.gql<{ me: { user: { conversations: { id: string }[] } } }>(
      'query { me { user { conversations(limit: 5) { id } } } }',
      {},
      a.accessToken,
    );
    expect(res.data?.me.user.conversations.map((x) => x.id)).toEqual([c.id]);
  });

  it('hides another tenant’s conversation: NOT_FOUND, never data', async () => {
    const c = await createConversation(owner);
    const res = await t.gql(
      'query ($id: ID!) { conversation(conversationId: $id) { id displayName } }',
      { id: c.id },
      stranger.accessToken,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(res.data?.conversation ?? null).toBeNull();
    const rename = await t.gql(
      'mutation ($id: ID!) { renameConversation(conversationId: $id, displayName: "pwned") { id } }',
      { id: c.id },
      stranger.accessToken,
    );
    expect(rename.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('conversations over REST', () => {
  it('lists with a keyset cursor, newest first, in the contract shape', async () => {
    const a = await t.register();
    const made: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const res = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
        token: a.accessToken,
        body: { display_name: name },
      });
      expect(res.status).toBe(201);
      made.push(res.body.conversation_id);
    }
    const page1 = await t.rest<{ items: { conversation_id: string }[]; next_cursor: string | null }>(
      'GET',
      '/api/v1/conversations?limit=2',
      {
        token: a.accessToken,
      },
    );
    expect(page1.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/conversations', 200, page1.body)).toEqual([]);
    expect(page1.body.items.map((i) => i.conversation_id)).toEqual([made[2], made[1]]);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await t.rest<{ items: { conversation_id: string }[]; next_cursor: string | null }>(
      'GET',
      `/api/v1/conversations?limit=2&cursor=${encodeURIComponent(page1.body.next_cursor as string)}`,
      { token: a.accessToken },
    );
    expect(page2.body.items.map((i) => i.conversation_id)).toEqual([made[0]]);
    expect(page2.body.next_cursor).toBeNull();
  });

  it('never lists another tenant’s conversations', async () => {
    const c = await createConversation(owner, 'secret');
    const res = await t.rest<{ items: { conversation_id: string }[] }>(
      'GET',
      '/api/v1/conversations?limit=100',
      { token: stranger.accessToken },
    );
    expect(res.body.items.map((i) => i.conversation_id)).not.toContain(c.id);
  });

  it.each([
    ['a malformed cursor', '?cursor=not-a-cursor', 400],
    ['a cursor of the wrong shape', `?cursor=${Buffer.from('{"x":1}').toString('base64url')}`, 400],
    ['a non-numeric limit', '?limit=abc', 422],
    ['a limit over the maximum', '?limit=1000', 422],
  ])('rejects %s with the error envelope', async (_name, query, status) => {
    const res = await t.rest('GET', `/api/v1/conversations${query}`, { token: owner.accessToken });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ success: false });
    expect(contractProblems('GET', '/api/v1/conversations', status, res.body)).toEqual([]);
  });

  it('deletes with 204; a second delete and a foreign tenant get 404 and change nothing', async () => {
    const c = await createConversation(owner);
    const foreign = await t.rest('DELETE', `/api/v1/conversations/${c.id}`, { token: stranger.accessToken });
    expect(foreign.status).toBe(404);
    expect(contractProblems('DELETE', '/api/v1/conversations/{conversation_id}', 404, foreign.body)).toEqual(
      [],
    );
    expect(await t.stack.kernel.database.prisma.conversation.count({ where: { id: c.id } })).toBe(1);

    const del = await t.rest('DELETE', `/api/v1/conversations/${c.id}`, { token: owner.accessToken });
    expect(del.status).toBe(204);
    expect(contractProblems('DELETE', '/api/v1/conversations/{conversation_id}', 204, del.body)).toEqual([]);
    expect(
      (await t.rest('DELETE', `/api/v1/conversations/${c.id}`, { token: owner.accessToken })).status,
    ).toBe(404);
    expect(
      (await t.rest('DELETE', '/api/v1/conversations/not-a-uuid', { token: owner.accessToken })).status,
    ).toBe(404);
  });

  it('answers 401 without a credential', async () => {
    const res = await t.rest('GET', '/api/v1/conversations');
    expect(res.status).toBe(401);
    expect(contractProblems('GET', '/api/v1/conversations', 401, res.body)).toEqual([]);
  });
});

describe('conversation events', () => {
  it('streams over graphql-ws through the gateway, with fields from another subgraph, and resumes after a cursor', async () => {
    const c = await createConversation(owner, 'Live');
    const client = t.ws(owner.accessToken);
    const live = client.iterate<{
      conversationEvents: {
        cursor: string;
        kind: string;
        displayName: string;
        conversation: { user: { email: string } };
      };
    }>({
      query: EVENTS,
      variables: { id: c.id },
    });
    const received = take(live, 2);
    await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
    await t.gql(
      'mutation ($id: ID!) { renameConversation(conversationId: $id, displayName: "Renamed") { id } }',
      { id: c.id },
      owner.accessToken,
    );
    await t.gql(
      'mutation ($id: ID!) { renameConversation(conversationId: $id, displayName: "Again") { id } }',
      { id: c.id },
      owner.accessToken,
    );
    const events = (await received).map((r) => r.data?.conversationEvents);
    expect(events.map((e) => [e?.kind, e?.displayName])).toEqual([
      ['CONVERSATION_TITLE_UPDATED', 'Renamed'],
      ['CONVERSATION_TITLE_UPDATED', 'Again'],
    ]);
    expect(events[0]?.conversation.user.email).toBe(owner.email);

    // Resume after the first event: the second is replayed, nothing is lost or repeated.
    const replay = await take(
      client.iterate<{ conversationEvents: { cursor: string; displayName: string } }>({
        query: EVENTS,
        variables: { id: c.id, after: events[0]?.cursor },
      }),
      1,
    );
    expect(replay[0]?.data?.conversationEvents).toMatchObject({
      cursor: events[1]?.cursor,
      displayName: 'Again',
    });

    // Leaving tears the upstream subscription down.
    await eventually(
      () =>
        t.stack.kernel.bus.subscriberCount === 0 && t.stack.gateway.subscriptions.activeSubscriptions === 0,
    );
  });

  it('refuses another tenant’s conversation stream with NOT_FOUND', async () => {
    const c = await createConversation(owner);
    const result = await take(
      t.ws(stranger.accessToken).iterate({ query: EVENTS, variables: { id: c.id } }),
      1,
    );
    expect(result[0]?.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('streams as SSE with data framing, ids for Last-Event-ID, heartbeats, and teardown on disconnect', async () => {
    const c = await createConversation(owner, 'SSE');
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/conversations/${c.id}/stream`, {
      headers: { authorization: `Bearer ${owner.accessToken}`, 'last-event-id': '0' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const decoder = new TextDecoder();
    const until = async (predicate: (s: string) => boolean) => {
      while (!predicate(text)) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        text += decoder.decode(value);
      }
    };
    await until((s) => s.includes('conversation.created'));
    await t.rest('DELETE', `/api/v1/conversations/${c.id}`, { token: owner.accessToken });
    await until((s) => s.includes('conversation.deleted') && s.includes(': ping'));
    const frames = text.split('\n\n').filter((f) => f.startsWith('id:'));
    expect(frames.map((f) => f.split('\n')[0])).toEqual(['id: 1', 'id: 2']);
    const first = JSON.parse((frames[0] as string).split('\n')[1]?.slice('data: '.length) ?? '{}');
    expect(first).toMatchObject({ kind: 'conversation.created', conversation_id: c.id, display_name: 'SSE' });
    expect(Object.keys(first).sort()).toEqual(['conversation_id', 'display_name', 'kind', 'timestamp']);
    controller.abort();
    await eventually(
      () =>
        t.stack.kernel.bus.subscriberCount === 0 && t.stack.gateway.subscriptions.activeSubscriptions === 0,
    );
  });

  it('answers the SSE stream of another tenant’s conversation with a 404 envelope, and 401 without credentials', async () => {
    const c = await createConversation(owner);
    const foreign = await t.rest('GET', `/api/v1/conversations/${c.id}/stream`, {
      token: stranger.accessToken,
    });
    expect(foreign.status).toBe(404);
    expect(
      contractProblems('GET', '/api/v1/conversations/{conversation_id}/stream', 404, foreign.body),
    ).toEqual([]);
    expect((await t.rest('GET', `/api/v1/conversations/${c.id}/stream`)).status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { addMember, type Member } from './tenancy-kit.js';

let t: TestStack;
let owner: Account;
let stranger: Account;
let member: Member;
let viewer: Member;

beforeAll(async () => {
  t = await bootStack();
  [owner, stranger] = await Promise.all([t.register(), t.register()]);
  [member, viewer] = await Promise.all([addMember(t, owner, 'member'), addMember(t, owner, 'viewer')]);
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.stack.kernel.database.prisma;

async function createConversation(account: Account, body: Record<string, unknown> = {}) {
  const res = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
    token: account.accessToken,
    body: { display_name: 'History', ...body },
  });
  expect(res.status).toBe(201);
  return res.body.conversation_id;
}

async function addMessages(account: Account, conversationId: string, contents: string[]) {
  await db().conversationMessage.createMany({
    data: contents.map((content, i) => ({
      tenantId: account.tenantId,
      conversationId,
      position: i + 1,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    })),
  });
}

describe('conversation history', () => {
  it('returns the full history over REST in the contract shape; empty, unknown and foreign are 404', async () => {
    const id = await createConversation(owner);
    const empty = await t.rest('GET', `/api/v1/conversations/${id}`, { token: owner.accessToken });
    expect(empty.status).toBe(404);
    await addMessages(owner, id, ['hello', 'hi there', 'bye']);
    const res = await t.rest<{ messages: { content: string; role: string }[]; agent_context: unknown }>(
      'GET',
      `/api/v1/conversations/${id}`,
      { token: owner.accessToken },
    );
    expect(res.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/conversations/{conversation_id}', 200, res.body)).toEqual([]);
    expect(res.body.messages.map((m) => m.content)).toEqual(['hello', 'hi there', 'bye']);
    expect(res.body.agent_context).toMatchObject({ agent_entrypoint: 'default', status: 'active' });
    const foreign = await t.rest<{ detail?: string }>('GET', `/api/v1/conversations/${id}`, {
      token: stranger.accessToken,
    });
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).toContain(`Conversation ${id} not found`);
    const unknown = await t.rest('GET', '/api/v1/conversations/00000000-0000-4000-8000-000000000000', {
      token: owner.accessToken,
    });
    expect(unknown.status).toBe(404);

    const gql = await t.gql<{ conversationHistory: { messages: { messageId: string; role: string }[] } }>(
      'query ($id: ID!) { conversationHistory(conversationId: $id) { conversationId messages { messageId role content timestamp attachments } agentContext { agentEntrypoint } } }',
      { id },
      viewer.token,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.conversationHistory.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('deleting a conversation cascades its messages', async () => {
    const id = await createConversation(owner);
    await addMessages(owner, id, ['a', 'b']);
    const del = await t.rest('DELETE', `/api/v1/conversations/${id}`, { token: owner.accessToken });
    expect(del.status).toBe(204);
    expect(await db().conversationMessage.count({ where: { conversationId: id } })).toBe(0);
  });
});

describe('conversation messages', () => {
  it('pages both directions with a keyset cursor; a bad cursor is 400, a bad limit 422', async () => {
    const id = await createConversation(owner);
    await addMessages(owner, id, ['m1', 'm2', 'm3', 'm4', 'm5']);
    const path = `/api/v1/conversations/${id}/messages`;
    type Page = { items: { content: string }[]; next_cursor: string | null; prev_cursor: string | null };
    const p1 = await t.rest<Page>('GET', `${path}?limit=2`, { token: owner.accessToken });
    expect(p1.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/conversations/{conversation_id}/messages', 200, p1.body)).toEqual(
      [],
    );
    expect(p1.body.items.map((m) => m.content)).toEqual(['m5', 'm4']);
    expect(p1.body.prev_cursor).toBeNull();
    const p2 = await t.rest<Page>('GET', `${path}?limit=2&cursor=${p1.body.next_cursor}`, {
      token: owner.accessToken,
    });
    expect(p2.body.items.map((m) => m.content)).toEqual(['m3', 'm2']);
    const p3 = await t.rest<Page>('GET', `${path}?limit=2&cursor=${p2.body.next_cursor}`, {
      token: owner.accessToken,
    });
    expect(p3.body.items.map((m) => m.content)).toEqual(['m1']);
    expect(p3.body.next_cursor).toBeNull();

    const a1 = await t.rest<Page>('GET', `${path}?limit=3&direction=asc`, { token: owner.accessToken });
    expect(a1.body.items.map((m) => m.content)).toEqual(['m1', 'm2', 'm3']);
    const a2 = await t.rest<Page>('GET', `${path}?limit=3&direction=asc&cursor=${a1.body.next_cursor}`, {
      token: owner.accessToken,
    });
    expect(a2.body.items.map((m) => m.content)).toEqual(['m4', 'm5']);
    expect(a2.body.next_cursor).toBeNull();

    expect((await t.rest('GET', `${path}?cursor=garbage`, { token: owner.accessToken })).status).toBe(400);
    expect((await t.rest('GET', `${path}?limit=0`, { token: owner.accessToken })).status).toBe(422);
    expect((await t.rest('GET', `${path}?limit=101`, { token: owner.accessToken })).status).toBe(422);
    expect((await t.rest('GET', path, { token: stranger.accessToken })).status).toBe(404);

    const gql = await t.gql<{ conversationMessages: { items: { content: string }[] } }>(
      'query ($id: ID!) { conversationMessages(conversationId: $id, limit: 2, direction: ASC) { items { content } nextCursor } }',
      { id },
      owner.accessToken,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.conversationMessages.items.map((m) => m.content)).toEqual(['m1', 'm2']);
  });
});

describe('conversation events (run-item ledger)', () => {
  it('lists items in sequence order, filtered by workflow run; foreign is 404', async () => {
    const id = await createConversation(owner);
    await db().conversationItem.createMany({
      data: [
        {
          sequenceNo: 2,
          runItemType: 'tool_call',
          toolName: 'search',
          callArguments: { q: 'x' },
          workflowRunId: 'wf-1',
        },
        { sequenceNo: 1, runItemType: 'message', role: 'user', contentText: 'hi' },
        { sequenceNo: 3, runItemType: 'tool_result', callOutput: { ok: true }, workflowRunId: 'wf-1' },
      ].map((i) => ({ ...i, tenantId: owner.tenantId, conversationId: id })),
    });
    type Events = { conversation_id: string; items: { sequence_no: number; run_item_type: string }[] };
    const res = await t.rest<Events>('GET', `/api/v1/conversations/${id}/events`, {
      token: owner.accessToken,
    });
    expect(res.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/conversations/{conversation_id}/events', 200, res.body)).toEqual(
      [],
    );
    expect(res.body.conversation_id).toBe(id);
    expect(res.body.items.map((i) => i.sequence_no)).toEqual([1, 2, 3]);
    const wf = await t.rest<Events>('GET', `/api/v1/conversations/${id}/events?workflow_run_id=wf-1`, {
      token: owner.accessToken,
    });
    expect(wf.body.items.map((i) => i.run_item_type)).toEqual(['tool_call', 'tool_result']);
    expect(
      (await t.rest('GET', `/api/v1/conversations/${id}/events`, { token: stranger.accessToken })).status,
    ).toBe(404);
    const gql = await t.gql<{ conversationItems: { items: { sequenceNo: number; callOutput: unknown }[] } }>(
      'query ($id: ID!) { conversationItems(conversationId: $id) { conversationId items { sequenceNo callOutput timestamp } } }',
      { id },
      owner.accessToken,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.conversationItems.items[2]?.callOutput).toEqual({ ok: true });
  });
});

describe('conversation memory config', () => {
  const path = (id: string) => `/api/v1/conversations/${id}/memory`;

  it('updates only the fields given, null clears; 422 on bad input', async () => {
    const id = await createConversation(owner);
    const first = await t.rest<Record<string, unknown>>('PATCH', path(id), {
      token: owner.accessToken,
      body: { mode: 'trim', max_user_turns: 10, clear_tool_inputs: true },
    });
    expect(first.status).toBe(200);
    expect(
      contractProblems('PATCH', '/api/v1/conversations/{conversation_id}/memory', 200, first.body),
    ).toEqual([]);
    expect(first.body).toMatchObject({
      mode: 'trim',
      max_user_turns: 10,
      clear_tool_inputs: true,
      compact_keep: null,
    });
    const second = await t.rest<Record<string, unknown>>('PATCH', path(id), {
      token: owner.accessToken,
      body: { keep_last_turns: 4, max_user_turns: null },
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      mode: 'trim',
      max_user_turns: null,
      keep_last_turns: 4,
      clear_tool_inputs: true,
    });
    const row = await db().conversation.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ memoryStrategy: 'trim', memoryMaxTurns: null, memoryKeepLastTurns: 4 });

    const bad = await t.rest<{ detail?: unknown }>('PATCH', path(id), {
      token: owner.accessToken,
      body: { max_user_turns: 0 },
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('"loc":["body","max_user_turns"]');
    expect(
      (await t.rest('PATCH', path(id), { token: owner.accessToken, body: { mode: 'forever' } })).status,
    ).toBe(422);
  });

  it('is for owners and admins: members and viewers 403, another tenant 404', async () => {
    const id = await createConversation(owner);
    expect((await t.rest('PATCH', path(id), { token: member.token, body: { mode: 'none' } })).status).toBe(
      403,
    );
    expect((await t.rest('PATCH', path(id), { token: viewer.token, body: { mode: 'none' } })).status).toBe(
      403,
    );
    expect(
      (await t.rest('PATCH', path(id), { token: stranger.accessToken, body: { mode: 'none' } })).status,
    ).toBe(404);
    const gql = await t.gql<{ updateConversationMemory: { mode: string } }>(
      'mutation ($id: ID!) { updateConversationMemory(conversationId: $id, input: { mode: SUMMARIZE, compactKeep: 3 }) { mode compactKeep } }',
      { id },
      owner.accessToken,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.updateConversationMemory).toEqual({ mode: 'SUMMARIZE', compactKeep: 3 });
  });
});

describe('conversation search', () => {
  type Search = {
    items: { conversation_id: string; preview: string; score: number }[];
    next_cursor: string | null;
  };
  let searcher: Account;
  let best: string;
  let good: string;
  let other: string;

  beforeAll(async () => {
    searcher = await t.register();
    best = await createConversation(searcher, { display_name: 'best' });
    good = await createConversation(searcher, { display_name: 'good' });
    other = await createConversation(searcher, { display_name: 'other', agent_entrypoint: 'billing' });
    await addMessages(searcher, best, ['Penguins penguins penguins live in Antarctica', 'nothing here']);
    await addMessages(searcher, good, ['unrelated', 'a penguin appeared once among many other words here']);
    await addMessages(searcher, other, ['billing question about penguins and invoices']);
  });

  it('ranks conversations by their best message, filters by agent and pages by cursor', async () => {
    const res = await t.rest<Search>('GET', '/api/v1/conversations/search?q=penguins', {
      token: searcher.accessToken,
    });
    expect(res.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/conversations/search', 200, res.body)).toEqual([]);
    expect(res.body.items).toHaveLength(3);
    expect(res.body.items[0]?.conversation_id).toBe(best);
    expect(res.body.items[0]?.preview).toContain('Antarctica');
    const scores = res.body.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const filtered = await t.rest<Search>('GET', '/api/v1/conversations/search?q=penguins&agent=billing', {
      token: searcher.accessToken,
    });
    expect(filtered.body.items.map((i) => i.conversation_id)).toEqual([other]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: Search } = await t.rest<Search>(
        'GET',
        `/api/v1/conversations/search?q=penguins&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { token: searcher.accessToken },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i) => i.conversation_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(res.body.items.map((i) => i.conversation_id));
    expect(seen).toContain(good);

    const gql = await t.gql<{ searchConversations: { items: { conversationId: string }[] } }>(
      'query { searchConversations(q: "penguin", limit: 2) { items { conversationId preview score updatedAt } nextCursor } }',
      {},
      searcher.accessToken,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.searchConversations.items).toHaveLength(2);
  });

  it('stop words only match nothing; empty q 422, bad cursor 400; another tenant sees nothing', async () => {
    const stop = await t.rest<Search>('GET', '/api/v1/conversations/search?q=the%20and', {
      token: searcher.accessToken,
    });
    expect(stop.status).toBe(200);
    expect(stop.body.items).toEqual([]);
    expect(
      (await t.rest('GET', '/api/v1/conversations/search?q=', { token: searcher.accessToken })).status,
    ).toBe(422);
    expect(
      (await t.rest('GET', '/api/v1/conversations/search', { token: searcher.accessToken })).status,
    ).toBe(422);
    expect(
      (await t.rest('GET', '/api/v1/conversations/search?q=x&cursor=nope', { token: searcher.accessToken }))
        .status,
    ).toBe(400);
    const foreign = await t.rest<Search>('GET', '/api/v1/conversations/search?q=penguins', {
      token: stranger.accessToken,
    });
    expect(foreign.status).toBe(200);
    expect(foreign.body.items).toEqual([]);
    for (const p of [`/${best}`, `/${best}/messages`, `/${best}/events`]) {
      expect((await t.rest('GET', `/api/v1/conversations${p}`, { token: stranger.accessToken })).status).toBe(
        404,
      );
    }
  });
});

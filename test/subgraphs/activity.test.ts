import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { readSse } from '../kit/sse.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { type Member, tenantWithRoles } from './tenancy-kit.js';

const FEED = '/api/v1/activity';
const READ = '/api/v1/activity/{event_id}/read';
const DISMISS = '/api/v1/activity/{event_id}/dismiss';
const MARK_ALL = '/api/v1/activity/mark-all-read';

interface Entry {
  id: string;
  tenant_id: string;
  action: string;
  created_at: string;
  actor_id: string | null;
  actor_type: string | null;
  actor_role: string | null;
  object_type: string | null;
  object_id: string | null;
  object_name: string | null;
  status: string;
  source: string | null;
  request_id: string | null;
  ip_hash: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown> | null;
  read_state: string;
}
interface Feed {
  items: Entry[];
  next_cursor: string | null;
  unread_count: number;
}
interface ErrorBody {
  error: string;
  message: string;
  details: { loc: (string | number)[] }[] | null;
}

let t: TestStack;
let owner: Account;
let other: Account;
let admin: Member;
let member: Member;
let viewer: Member;

beforeAll(async () => {
  t = await bootStack();
  ({ owner, other, admin, member, viewer } = await tenantWithRoles(t));
});
afterAll(async () => {
  await t?.close();
});

const at = (path: string, id: string) => path.replace('{event_id}', id);

async function feed(token: string, query = '') {
  return t.rest<Feed & ErrorBody>('GET', `${FEED}${query}`, { token });
}

async function newConversation(token: string, name: string): Promise<string> {
  const res = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
    token,
    body: { display_name: name },
    headers: { 'user-agent': 'activity-test/1.0', 'x-request-id': `req-${name}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation_id;
}

describe('the feed', () => {
  it('records who did what to which object, in the legacy shape, newest first', async () => {
    const id = await newConversation(owner.accessToken, 'Quarterly plan');
    const res = await feed(owner.accessToken);
    expect(res.status).toBe(200);
    expect(contractProblems('GET', FEED, 200, res.body)).toEqual([]);
    const created = res.body.items.find((e) => e.action === 'conversation.created' && e.object_id === id);
    expect(created).toMatchObject({
      tenant_id: owner.tenantId,
      actor_type: 'user',
      actor_role: 'owner',
      object_type: 'conversation',
      object_name: 'Quarterly plan',
      status: 'success',
      source: 'api',
      user_agent: 'activity-test/1.0',
      read_state: 'unread',
    });
    expect(created?.actor_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created?.request_id).toBe('req-Quarterly plan');
    const byRequest = await feed(
      owner.accessToken,
      `?request_id=${encodeURIComponent('req-Quarterly plan')}`,
    );
    expect(byRequest.body.items.map((e) => e.id)).toEqual([created?.id]);
    expect(created?.ip_hash).toBe(createHash('sha256').update('127.0.0.1').digest('hex'));
    // Signing up is the tenant's first entry, done by its owner.
    const first = res.body.items.at(-1);
    expect(first).toMatchObject({ action: 'auth.signup.success', actor_id: created?.actor_id });
    const times = res.body.items.map((e) => e.created_at);
    expect(times).toEqual([...times].sort().reverse());
    expect(res.body.unread_count).toBe(res.body.items.length);
  });

  it('records a failed login in the user’s tenant, with no actor (whoever tried is unknown)', async () => {
    const fresh = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/token', {
      body: { email: fresh.email, password: 'Not-The-Password-1' },
    });
    expect(res.status).toBe(401);
    const failures = await feed(fresh.accessToken, '?action=auth.login.failure');
    expect(failures.body.items).toHaveLength(1);
    expect(failures.body.items[0]).toMatchObject({
      status: 'failure',
      object_type: 'user',
      actor_id: null,
      actor_type: null,
      source: 'api',
    });
    expect((await feed(other.accessToken, '?action=auth.login.failure')).body.items).toEqual([]);
  });

  it('filters by action, object, status, actor and time, and pages with a cursor', async () => {
    const a = await newConversation(owner.accessToken, 'Filter A');
    const b = await newConversation(owner.accessToken, 'Filter B');
    const byObject = await feed(owner.accessToken, `?object_id=${a}`);
    expect(byObject.body.items.map((e) => e.object_id)).toEqual([a]);
    const byAction = await feed(owner.accessToken, '?action=conversation.created&limit=200');
    expect(byAction.body.items.every((e) => e.action === 'conversation.created')).toBe(true);
    expect(byAction.body.items.map((e) => e.object_id)).toEqual(expect.arrayContaining([a, b]));
    const failures = await feed(owner.accessToken, '?status=failure');
    expect(failures.body.items).toEqual([]);
    const byActor = await feed(owner.accessToken, `?actor_id=${randomUUID()}`);
    expect(byActor.body.items).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await feed(owner.accessToken, `?created_after=${future}`)).body.items).toEqual([]);
    expect((await feed(owner.accessToken, `?created_before=${future}&limit=1`)).body.items).toHaveLength(1);

    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await feed(owner.accessToken, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((e) => e.id));
      cursor = page.body.next_cursor;
    }
    const all = await feed(owner.accessToken, '?limit=200');
    expect(seen).toEqual(all.body.items.map((e) => e.id));
  });

  it('answers bad input with 4xx envelopes', async () => {
    const badCursor = await feed(owner.accessToken, '?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    for (const limit of ['0', '201', 'many']) {
      const res = await feed(owner.accessToken, `?limit=${limit}`);
      expect(res.status, limit).toBe(422);
      expect(res.body.details?.[0]?.loc).toEqual(['query', 'limit']);
    }
    const badStatus = await feed(owner.accessToken, '?status=maybe');
    expect(badStatus.status).toBe(422);
    const badDate = await feed(owner.accessToken, '?created_after=yesterday');
    expect(badDate.status).toBe(422);
    const badId = await t.rest<ErrorBody>('POST', at(READ, 'not-a-uuid'), { token: owner.accessToken });
    expect(badId.status).toBe(422);
    expect(badId.body.details?.[0]?.loc).toEqual(['path', 'event_id']);
  });
});

describe('read state, per reader', () => {
  it('read, dismissed and mark-all-read change only the reader’s own state and count', async () => {
    const id = await newConversation(owner.accessToken, 'Receipts');
    const entry = (await feed(owner.accessToken, `?object_id=${id}`)).body.items[0] as Entry;
    const before = (await feed(owner.accessToken)).body.unread_count;
    const adminBefore = (await feed(admin.token)).body.unread_count;

    const read = await t.rest<{ unread_count: number }>('POST', at(READ, entry.id), {
      token: owner.accessToken,
    });
    expect(read.status).toBe(200);
    expect(contractProblems('POST', READ, 200, read.body)).toEqual([]);
    expect(read.body.unread_count).toBe(before - 1);
    // Again: the same answer, nothing counted twice.
    const again = await t.rest<{ unread_count: number }>('POST', at(READ, entry.id), {
      token: owner.accessToken,
    });
    expect(again.body.unread_count).toBe(before - 1);
    expect((await feed(owner.accessToken, `?object_id=${id}`)).body.items[0]?.read_state).toBe('read');

    const dismissed = await t.rest<{ unread_count: number }>('POST', at(DISMISS, entry.id), {
      token: owner.accessToken,
    });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.unread_count).toBe(before - 1);
    await t.rest('POST', at(READ, entry.id), { token: owner.accessToken });
    expect((await feed(owner.accessToken, `?object_id=${id}`)).body.items[0]?.read_state).toBe('dismissed');

    // The admin's state is its own.
    const adminView = await feed(admin.token, `?object_id=${id}`);
    expect(adminView.body.items[0]?.read_state).toBe('unread');
    expect(adminView.body.unread_count).toBe(adminBefore);

    const all = await t.rest<{ unread_count: number }>('POST', MARK_ALL, { token: owner.accessToken });
    expect(all.status).toBe(200);
    expect(contractProblems('POST', MARK_ALL, 200, all.body)).toEqual([]);
    expect(all.body.unread_count).toBe(0);
    const after = await feed(owner.accessToken, '?limit=200');
    expect(after.body.unread_count).toBe(0);
    expect(new Set(after.body.items.map((e) => e.read_state))).toEqual(new Set(['read', 'dismissed']));
    // What happens next is unread again.
    const later = await newConversation(owner.accessToken, 'After mark-all');
    const now = await feed(owner.accessToken);
    expect(now.body.unread_count).toBe(1);
    expect(now.body.items.find((e) => e.object_id === later)?.read_state).toBe('unread');
    expect((await feed(admin.token)).body.unread_count).toBeGreaterThan(adminBefore);
  });

  it('an API key with activity:read reads the feed and keeps its own read state', async () => {
    const key = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
      token: owner.accessToken,
      body: { name: 'feed reader', scopes: ['activity:read'] },
    });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const res = await feed(key.body.key);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.unread_count).toBe(res.body.items.length);
    const marked = await t.rest<{ unread_count: number }>('POST', MARK_ALL, { token: key.body.key });
    expect(marked.body.unread_count).toBe(0);
  });
});

describe('tenancy and scopes', () => {
  it('another tenant sees none of the entries and cannot mark them (404, nothing written)', async () => {
    const id = await newConversation(owner.accessToken, 'Private');
    const entry = (await feed(owner.accessToken, `?object_id=${id}`)).body.items[0] as Entry;
    const theirs = await feed(other.accessToken, '?limit=200');
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.every((e) => e.tenant_id === other.tenantId)).toBe(true);
    expect(JSON.stringify(theirs.body)).not.toContain(entry.id);
    expect((await feed(other.accessToken, `?object_id=${id}`)).body.items).toEqual([]);
    for (const path of [READ, DISMISS]) {
      const res = await t.rest<ErrorBody>('POST', at(path, entry.id), { token: other.accessToken });
      expect(res.status, path).toBe(404);
      const unknown = await t.rest<ErrorBody>('POST', at(path, randomUUID()), { token: other.accessToken });
      expect(unknown.status).toBe(404);
      expect(res.body.message).toBe(unknown.body.message.replace(/[0-9a-f-]{36}/, entry.id));
    }
    const receipts = await t.stack.kernel.database.prisma.activityReceipt.count({
      where: { eventId: entry.id },
    });
    expect(receipts).toBe(0);
    // Marking all read in the other tenant leaves this one's counts alone.
    const ownerUnread = (await feed(owner.accessToken)).body.unread_count;
    await t.rest('POST', MARK_ALL, { token: other.accessToken });
    expect((await feed(owner.accessToken)).body.unread_count).toBe(ownerUnread);
  });

  it('members and viewers lack activity:read (403); no credential is 401', async () => {
    for (const who of [member, viewer]) {
      expect((await feed(who.token)).status).toBe(403);
      expect((await t.rest('POST', MARK_ALL, { token: who.token })).status).toBe(403);
    }
    expect((await t.rest('GET', FEED)).status).toBe(401);
    expect((await t.rest('POST', MARK_ALL)).status).toBe(401);
  });
});

describe('the live feed', () => {
  it('SSE replays from Last-Event-ID 0 then streams new entries, without client details, tenant by tenant', async () => {
    const controller = new AbortController();
    const open = (token: string) =>
      fetch(`${t.url}/api/v1/activity/stream`, {
        headers: { authorization: `Bearer ${token}`, 'last-event-id': '0' },
        signal: controller.signal,
      });
    const [mine, theirs] = await Promise.all([open(owner.accessToken), open(other.accessToken)]);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-type')).toContain('text/event-stream');
    const name = `Live ${randomUUID()}`;
    const frames = readSse<Entry>(mine, { stop: (f) => f.data.object_name === name, timeoutMs: 10_000 });
    const foreign = readSse<Entry>(theirs, { timeoutMs: 1_500 });
    await new Promise((r) => setTimeout(r, 200));
    const id = await newConversation(owner.accessToken, name);
    const got = await frames;
    controller.abort();
    const last = got.at(-1);
    expect(last?.data).toMatchObject({ action: 'conversation.created', object_id: id, read_state: 'unread' });
    expect(last?.data).not.toHaveProperty('ip_hash');
    expect(last?.data).not.toHaveProperty('user_agent');
    expect(got[0]?.data.action).toBe('auth.signup.success');
    const ids = got.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect((await foreign.catch(() => [])).some((f) => f.data.tenant_id !== other.tenantId)).toBe(false);
  });

  it('without Last-Event-ID, the last day’s entries come first (the legacy backlog), then new ones', async () => {
    const fresh = await t.register();
    await newConversation(fresh.accessToken, 'Before the stream');
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/activity/stream`, {
      headers: { authorization: `Bearer ${fresh.accessToken}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const frames = readSse<Entry>(res, { stop: (_f, all) => all.length === 3, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    await newConversation(fresh.accessToken, 'After it opened');
    const got = await frames;
    controller.abort();
    expect(got.map((f) => [f.data.action, f.data.object_name])).toEqual([
      ['auth.signup.success', null],
      ['conversation.created', 'Before the stream'],
      ['conversation.created', 'After it opened'],
    ]);
  });

  it('GraphQL subscribers get the entries of their own tenant only, resuming after a cursor', async () => {
    type Event = {
      activityEvents: { cursor: string; action: string; objectName: string | null; tenantId: string };
    };
    const name = `Ws ${randomUUID()}`;
    const sub = t.ws(owner.accessToken).iterate<Event>({
      query: 'subscription { activityEvents { cursor action objectName tenantId } }',
    });
    const seen: Event['activityEvents'][] = [];
    const reading = (async () => {
      for await (const r of sub) {
        const e = r.data?.activityEvents;
        if (e) {
          seen.push(e);
        }
        if (e?.objectName === name) {
          break;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await newConversation(owner.accessToken, name);
    await reading;
    expect(seen.length).toBeGreaterThan(1); // the backlog first
    expect(seen.every((e) => e.tenantId === owner.tenantId)).toBe(true);
    const last = seen.at(-1);
    expect(last).toMatchObject({ action: 'conversation.created', objectName: name });
    // After the last cursor seen: only what came next.
    const later = `Ws later ${randomUUID()}`;
    await newConversation(owner.accessToken, later);
    const resumed = t.ws(owner.accessToken).iterate<Event>({
      query:
        'subscription ($after: String) { activityEvents(after: $after) { cursor action objectName tenantId } }',
      variables: { after: last?.cursor },
    });
    const next = await resumed.next();
    expect(next.value?.data?.activityEvents.objectName).toBe(later);
    await resumed.return?.();
    const refused = t.ws(member.token).iterate({ query: 'subscription { activityEvents { cursor } }' });
    const answer = await refused.next();
    expect(answer.value?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await refused.return?.();
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../subgraphs/kernel/secrets.js';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, eventually, type TestStack, take } from '../kit/stack.js';
import { type Member, makeOperator, shapeProblems, tenantWithRoles } from './tenancy-kit.js';

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

const KEYS = '/api/tenants/{tenant_id}/keys';
const KEY = '/api/tenants/{tenant_id}/keys/{key_id}';
const db = () => t.stack.kernel.database.prisma;

type CreatedKey = { id: string; key: string; prefix: string; scopes: string[]; tenant_id: string };

async function createKey(account: { tenantId: string; token: string }, body: Record<string, unknown>) {
  return t.rest<CreatedKey>('POST', `/api/tenants/${account.tenantId}/keys`, { token: account.token, body });
}

const ownerCred = () => ({ tenantId: owner.tenantId, token: owner.accessToken });

describe('creating and listing keys', () => {
  it('returns the key once, stores only the SHA-256 of its secret, and never lists it', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = await createKey(ownerCred(), {
      name: 'CI pipeline',
      scopes: ['conversations:read'],
      expires_at: expiresAt,
    });
    expect(res.status).toBe(201);
    expect(shapeProblems('POST', KEYS, 201, res.body)).toEqual([]);
    expect(res.body).toMatchObject({
      name: 'CI pipeline',
      scopes: ['conversations:read'],
      tenant_id: owner.tenantId,
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
      created_by: `user:${owner.userId}`,
    });
    const match = /^ak_([0-9a-f]{12})_([A-Za-z0-9_-]+)$/.exec(res.body.key);
    expect(match?.[1]).toBe(res.body.prefix);
    const row = await db().apiKey.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.keyHash).toBe(sha256(match?.[2] ?? ''));
    expect(JSON.stringify(row)).not.toContain(match?.[2]);

    const list = await t.rest<{ items: Record<string, unknown>[]; next_cursor: string | null }>(
      'GET',
      `/api/tenants/${owner.tenantId}/keys`,
      { token: owner.accessToken },
    );
    expect(list.status).toBe(200);
    expect(shapeProblems('GET', KEYS, 200, list.body)).toEqual([]);
    const listed = list.body.items.find((k) => k.id === res.body.id);
    expect(listed).toMatchObject({ name: 'CI pipeline', prefix: res.body.prefix });
    expect(listed).not.toHaveProperty('key');
    expect(JSON.stringify(list.body)).not.toContain(match?.[2]);
  });

  it('pages the list with a cursor', async () => {
    const fresh = await t.register();
    const cred = { tenantId: fresh.tenantId, token: fresh.accessToken };
    for (const name of ['one', 'two', 'three']) {
      expect((await createKey(cred, { name, scopes: ['conversations:read'] })).status).toBe(201);
    }
    const first = await t.rest<{ items: { name: string }[]; next_cursor: string | null }>(
      'GET',
      `/api/tenants/${fresh.tenantId}/keys?limit=2`,
      { token: fresh.accessToken },
    );
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next_cursor).toBeTruthy();
    const second = await t.rest<{ items: { name: string }[]; next_cursor: string | null }>(
      'GET',
      `/api/tenants/${fresh.tenantId}/keys?limit=2&cursor=${first.body.next_cursor}`,
      { token: fresh.accessToken },
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    expect(new Set([...first.body.items, ...second.body.items].map((k) => k.name))).toEqual(
      new Set(['one', 'two', 'three']),
    );
    const bad = await t.rest('GET', `/api/tenants/${fresh.tenantId}/keys?cursor=garbage`, {
      token: fresh.accessToken,
    });
    expect(bad.status).toBe(400);
    expect(shapeProblems('GET', KEYS, 400, bad.body)).toEqual([]);
  });

  it('lets admins manage keys; members and viewers get 403; anonymous 401', async () => {
    const byAdmin = await createKey(
      { tenantId: owner.tenantId, token: admin.token },
      {
        name: 'admin key',
        scopes: ['conversations:read', 'conversations:write'],
      },
    );
    expect(byAdmin.status).toBe(201);
    const before = await db().apiKey.count({ where: { tenantId: owner.tenantId } });
    for (const token of [member.token, viewer.token]) {
      const create = await createKey(
        { tenantId: owner.tenantId, token },
        { name: 'x', scopes: ['conversations:read'] },
      );
      expect(create.status).toBe(403);
      expect(shapeProblems('POST', KEYS, 403, create.body)).toEqual([]);
      const list = await t.rest('GET', `/api/tenants/${owner.tenantId}/keys`, { token });
      expect(list.status).toBe(403);
      const del = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/${byAdmin.body.id}`, { token });
      expect(del.status).toBe(403);
      expect(shapeProblems('DELETE', KEY, 403, del.body)).toEqual([]);
    }
    const anon = await t.rest('GET', `/api/tenants/${owner.tenantId}/keys`);
    expect(anon.status).toBe(401);
    expect(shapeProblems('GET', KEYS, 401, anon.body)).toEqual([]);
    expect(await db().apiKey.count({ where: { tenantId: owner.tenantId } })).toBe(before);
    expect((await db().apiKey.findUniqueOrThrow({ where: { id: byAdmin.body.id } })).revokedAt).toBeNull();
  });

  it('answers 404 for another tenant on every key operation', async () => {
    const mine = await createKey(ownerCred(), { name: 'mine', scopes: ['conversations:read'] });
    const create = await createKey(
      { tenantId: owner.tenantId, token: other.accessToken },
      {
        name: 'x',
        scopes: ['conversations:read'],
      },
    );
    expect(create.status).toBe(404);
    expect(shapeProblems('POST', KEYS, 404, create.body)).toEqual([]);
    const list = await t.rest('GET', `/api/tenants/${owner.tenantId}/keys`, { token: other.accessToken });
    expect(list.status).toBe(404);
    const del = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/${mine.body.id}`, {
      token: other.accessToken,
    });
    expect(del.status).toBe(404);
    // Their own tenant path with my key id: still not found.
    const viaTheirs = await t.rest('DELETE', `/api/tenants/${other.tenantId}/keys/${mine.body.id}`, {
      token: other.accessToken,
    });
    expect(viaTheirs.status).toBe(404);
    expect(shapeProblems('DELETE', KEY, 404, viaTheirs.body)).toEqual([]);
    expect((await db().apiKey.findUniqueOrThrow({ where: { id: mine.body.id } })).revokedAt).toBeNull();
  });

  it('refuses bad input with a 4xx envelope and creates nothing', async () => {
    const before = await db().apiKey.count({ where: { tenantId: owner.tenantId } });
    const cases: [unknown, number][] = [
      [{}, 422],
      [{ name: 'x' }, 422],
      [{ name: 5, scopes: ['conversations:read'] }, 422],
      [{ name: '', scopes: ['conversations:read'] }, 422],
      [{ name: 'n'.repeat(129), scopes: ['conversations:read'] }, 422],
      [{ name: 'ok', scopes: [] }, 422],
      [{ name: 'ok', scopes: [7] }, 422],
      [{ name: 'ok', scopes: ['s'.repeat(65)] }, 422],
      [{ name: 'ok', scopes: ['conversations:read', 'conversations:read'] }, 422],
      [{ name: 'ok', scopes: ['made:up'] }, 422],
      [{ name: 'ok', scopes: ['platform:operator'] }, 422],
      [{ name: 'ok', scopes: ['conversations:read'], expires_at: 'tomorrow' }, 422],
      [{ name: 'ok', scopes: ['conversations:read'], expires_at: '2001-01-01T00:00:00Z' }, 422],
      [{ name: 'ok', scopes: ['conversations:read'], extra: 1 }, 422],
    ];
    for (const [body, status] of cases) {
      const res = await t.rest('POST', `/api/tenants/${owner.tenantId}/keys`, {
        token: owner.accessToken,
        body,
      });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(shapeProblems('POST', KEYS, status, res.body)).toEqual([]);
    }
    const badKeyId = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/not-a-uuid`, {
      token: owner.accessToken,
    });
    expect(badKeyId.status).toBe(422);
    expect(shapeProblems('DELETE', KEY, 422, badKeyId.body)).toEqual([]);
    const unknownKey = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/${randomUUID()}`, {
      token: owner.accessToken,
    });
    expect(unknownKey.status).toBe(404);
    expect(await db().apiKey.count({ where: { tenantId: owner.tenantId } })).toBe(before);
  });
});

describe('authenticating with a key', () => {
  it('works for GraphQL and REST in its tenant (Bearer and x-api-key), within its scopes', async () => {
    const key = (await createKey(ownerCred(), { name: 'reader', scopes: ['conversations:read'] })).body;
    const created = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
      token: owner.accessToken,
      body: { display_name: 'Visible to the key' },
    });
    const theirs = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
      token: other.accessToken,
      body: { display_name: 'Not visible to the key' },
    });

    const rest = await t.rest<{ items: { conversation_id: string }[] }>('GET', '/api/v1/conversations', {
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(rest.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/conversations', 200, rest.body)).toEqual([]);
    const ids = rest.body.items.map((c) => c.conversation_id);
    expect(ids).toContain(created.body.conversation_id);
    expect(ids).not.toContain(theirs.body.conversation_id);

    const viaHeader = await t.rest<{ items: unknown[] }>('GET', '/api/v1/conversations', {
      headers: { 'x-api-key': key.key },
    });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.items.length).toBe(rest.body.items.length);

    const gql = await t.gql<{ conversations: { items: { id: string }[] }; currentTenant: { id: string } }>(
      '{ conversations { items { id } } currentTenant { id } }',
      {},
      key.key,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.currentTenant.id).toBe(owner.tenantId);
    expect(gql.data?.conversations.items.map((c) => c.id)).toContain(created.body.conversation_id);

    const tenant = await t.rest<{ id: string }>('GET', `/api/tenants/${owner.tenantId}`, {
      headers: { 'x-api-key': key.key },
    });
    expect(tenant.status).toBe(200);

    // Outside its scopes (write), and things only users may do (managing keys): 403.
    const write = await t.rest('POST', '/api/v1/conversations', {
      headers: { authorization: `Bearer ${key.key}` },
      body: { display_name: 'nope' },
    });
    expect(write.status).toBe(403);
    const mint = await t.rest('POST', `/api/tenants/${owner.tenantId}/keys`, {
      headers: { 'x-api-key': key.key },
      body: { name: 'child', scopes: ['conversations:read'] },
    });
    expect(mint.status).toBe(403);

    const row = await db().apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row.lastUsedAt).not.toBeNull();
  });

  it('never reaches another tenant’s resources (404)', async () => {
    const key = (
      await createKey(ownerCred(), { name: 'scoped', scopes: ['conversations:read', 'conversations:delete'] })
    ).body;
    const theirs = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
      token: other.accessToken,
      body: { display_name: 'Theirs' },
    });
    const del = await t.rest('DELETE', `/api/v1/conversations/${theirs.body.conversation_id}`, {
      headers: { 'x-api-key': key.key },
    });
    expect(del.status).toBe(404);
    expect(contractProblems('DELETE', '/api/v1/conversations/{conversation_id}', 404, del.body)).toEqual([]);
    const tenant = await t.rest('GET', `/api/tenants/${other.tenantId}`, {
      headers: { 'x-api-key': key.key },
    });
    expect(tenant.status).toBe(404);
    const gql = await t.gql(
      'query($id: ID!) { tenant(tenantId: $id) { id } }',
      { id: other.tenantId },
      key.key,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await db().conversation.findUnique({ where: { id: theirs.body.conversation_id } })).not.toBeNull();
  });

  it('stops working once revoked (204, then 401) and when expired or unknown (401)', async () => {
    const key = (await createKey(ownerCred(), { name: 'short-lived', scopes: ['conversations:read'] })).body;
    expect((await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } })).status).toBe(
      200,
    );
    const del = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/${key.id}`, {
      token: owner.accessToken,
    });
    expect(del.status).toBe(204);
    expect(shapeProblems('DELETE', KEY, 204, del.body)).toEqual([]);
    const again = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/${key.id}`, {
      token: owner.accessToken,
    });
    expect(again.status).toBe(204);
    const after = await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } });
    expect(after.status).toBe(401);
    expect(contractProblems('GET', '/api/v1/conversations', 401, after.body)).toEqual([]);
    const gql = await t.gql('{ conversations { items { id } } }', {}, key.key);
    expect(gql.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const listed = await t.rest<{ items: { id: string; revoked_at: string | null }[] }>(
      'GET',
      `/api/tenants/${owner.tenantId}/keys`,
      { token: owner.accessToken },
    );
    expect(listed.body.items.find((k) => k.id === key.id)?.revoked_at).toBeTruthy();

    const expiring = (await createKey(ownerCred(), { name: 'expiring', scopes: ['conversations:read'] }))
      .body;
    await db().apiKey.update({
      where: { id: expiring.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await t.rest('GET', '/api/v1/conversations', {
      headers: { authorization: `Bearer ${expiring.key}` },
    });
    expect(expired.status).toBe(401);

    const forged = `ak_${key.prefix}_${'A'.repeat(43)}`;
    for (const credential of [forged, `ak_000000000000_${'B'.repeat(43)}`, 'ak_garbage']) {
      const res = await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': credential } });
      expect(res.status, credential).toBe(401);
    }
  });

  it('stops working while its tenant is suspended', async () => {
    const fresh = await t.register();
    const operator = await makeOperator(t, await t.register());
    const key = (
      await createKey(
        { tenantId: fresh.tenantId, token: fresh.accessToken },
        { name: 'k', scopes: ['conversations:read'] },
      )
    ).body;
    expect((await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } })).status).toBe(
      200,
    );
    await t.rest('PATCH', `/api/tenants/${fresh.tenantId}`, {
      token: operator,
      body: { status: 'suspended' },
    });
    expect((await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } })).status).toBe(
      401,
    );
  });

  it('records last use at most once a minute', async () => {
    const key = (await createKey(ownerCred(), { name: 'throttled', scopes: ['conversations:read'] })).body;
    await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } });
    const first = (await db().apiKey.findUniqueOrThrow({ where: { id: key.id } })).lastUsedAt;
    expect(first).not.toBeNull();
    await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } });
    const second = (await db().apiKey.findUniqueOrThrow({ where: { id: key.id } })).lastUsedAt;
    expect(second?.getTime()).toBe(first?.getTime());
    const old = new Date(Date.now() - 120_000);
    await db().apiKey.update({ where: { id: key.id }, data: { lastUsedAt: old } });
    await t.rest('GET', '/api/v1/conversations', { headers: { 'x-api-key': key.key } });
    const third = (await db().apiKey.findUniqueOrThrow({ where: { id: key.id } })).lastUsedAt;
    expect(third?.getTime()).toBeGreaterThan(old.getTime());
  });

  it('authenticates graphql-ws subscriptions in its tenant only', async () => {
    const key = (await createKey(ownerCred(), { name: 'streamer', scopes: ['conversations:read'] })).body;
    const mine = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
      token: owner.accessToken,
      body: { display_name: 'Streamed' },
    });
    const theirs = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
      token: other.accessToken,
      body: { display_name: 'Hidden' },
    });
    const query = 'subscription ($id: ID!) { conversationEvents(conversationId: $id) { kind displayName } }';
    const denied = await take(
      t.ws(key.key).iterate({ query, variables: { id: theirs.body.conversation_id } }),
      1,
    );
    expect(denied[0]?.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });

    const live = take(
      t.ws(key.key).iterate<{ conversationEvents: { kind: string; displayName: string } }>({
        query,
        variables: { id: mine.body.conversation_id },
      }),
      1,
    );
    await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
    await t.gql(
      'mutation ($id: ID!) { renameConversation(conversationId: $id, displayName: "Renamed") { id } }',
      { id: mine.body.conversation_id },
      owner.accessToken,
    );
    const [event] = await live;
    expect(event?.data?.conversationEvents).toEqual({
      kind: 'CONVERSATION_TITLE_UPDATED',
      displayName: 'Renamed',
    });
  });
});

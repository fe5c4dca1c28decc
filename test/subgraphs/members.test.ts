import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import {
  addMember,
  login,
  type Member,
  makeOperator,
  PASSWORD,
  shapeProblems,
  tenantWithRoles,
} from './tenancy-kit.js';

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

const USERS = '/api/tenants/{tenant_id}/users';
const USER = '/api/tenants/{tenant_id}/users/{user_id}';
const db = () => t.stack.kernel.database.prisma;
const usersOf = (a: { tenantId: string }) => `/api/tenants/${a.tenantId}/users`;

describe('adding users', () => {
  it('creates a new account with a role; it can sign in to the tenant with that role', async () => {
    const email = `New-${randomUUID()}@Example.com`;
    const res = await t.rest<Record<string, unknown>>('POST', usersOf(owner), {
      token: owner.accessToken,
      body: { email, role: 'member', password: PASSWORD, display_name: 'New Person' },
    });
    expect(res.status).toBe(201);
    expect(shapeProblems('POST', USERS, 201, res.body)).toEqual([]);
    expect(res.body).toMatchObject({
      tenant_id: owner.tenantId,
      email: email.toLowerCase(),
      display_name: 'New Person',
      role: 'member',
      status: 'active',
      email_verified: false,
    });
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'display_name',
        'email',
        'email_verified',
        'joined_at',
        'role',
        'status',
        'tenant_id',
        'user_id',
      ].sort(),
    );
    const token = await login(t, email);
    const me = await t.rest<{ roles: string[] }>('GET', '/api/v1/auth/me', { token });
    expect(me.status).toBe(200);
    const user = await db().user.findUniqueOrThrow({ where: { email: email.toLowerCase() } });
    expect(user.passwordHash).not.toContain(PASSWORD);
  });

  it('adds an existing user by email (no password); they can then pick this tenant at login', async () => {
    const elsewhere = await t.register();
    const res = await t.rest<Record<string, unknown>>('POST', usersOf(owner), {
      token: admin.token,
      body: { email: elsewhere.email, role: 'viewer' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ user_id: elsewhere.userId, role: 'viewer' });
    const token = await login(t, elsewhere.email, owner.tenantId);
    const tenant = await t.rest<{ id: string }>('GET', `/api/tenants/${owner.tenantId}`, { token });
    expect(tenant.body.id).toBe(owner.tenantId);
    // Already a member: 409, nothing changes.
    const dup = await t.rest('POST', usersOf(owner), {
      token: owner.accessToken,
      body: { email: elsewhere.email, role: 'admin' },
    });
    expect(dup.status).toBe(409);
    expect(shapeProblems('POST', USERS, 409, dup.body)).toEqual([]);
    // Existing account with a password: refused (no password takeover).
    const withPassword = await t.rest('POST', usersOf(other), {
      token: other.accessToken,
      body: { email: elsewhere.email, role: 'member', password: 'Another-Password-123' },
    });
    expect(withPassword.status).toBe(409);
    const membership = await db().membership.findUniqueOrThrow({
      where: { userId_tenantId: { userId: elsewhere.userId, tenantId: owner.tenantId } },
    });
    expect(membership.role).toBe('viewer');
    expect(
      await db().membership.count({ where: { userId: elsewhere.userId, tenantId: other.tenantId } }),
    ).toBe(0);
  });

  it('keeps the owner role to owners: an admin cannot grant it', async () => {
    const res = await t.rest('POST', usersOf(owner), {
      token: admin.token,
      body: { email: `o-${randomUUID()}@example.com`, role: 'owner', password: PASSWORD },
    });
    expect(res.status).toBe(403);
    expect(shapeProblems('POST', USERS, 403, res.body)).toEqual([]);
  });

  it('refuses bad input with a 4xx envelope and creates nothing', async () => {
    const memberships = await db().membership.count({ where: { tenantId: owner.tenantId } });
    const email = `bad-${randomUUID()}@example.com`;
    const cases: unknown[] = [
      {},
      { email },
      { role: 'member' },
      { email, role: 'member' },
      { email, role: 'superuser', password: PASSWORD },
      { email: 'not-an-email', role: 'member', password: PASSWORD },
      { email: `${'e'.repeat(320)}@example.com`, role: 'member', password: PASSWORD },
      { email, role: 'member', password: 'short' },
      { email, role: 'member', password: 'p'.repeat(300) },
      { email, role: 'member', password: PASSWORD, display_name: 'd'.repeat(129) },
      { email: 12, role: 'member', password: PASSWORD },
      { email, role: ['member'], password: PASSWORD },
      { email, role: 'member', password: PASSWORD, is_admin: true },
    ];
    for (const body of cases) {
      const res = await t.rest('POST', usersOf(owner), { token: owner.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(shapeProblems('POST', USERS, 422, res.body)).toEqual([]);
    }
    // Other test files create users concurrently on a shared database: look for this test's emails only.
    const tried = [email, 'not-an-email', `${'e'.repeat(320)}@example.com`];
    expect(await db().user.count({ where: { email: { in: tried } } })).toBe(0);
    expect(await db().membership.count({ where: { tenantId: owner.tenantId } })).toBe(memberships);
  });
});

describe('reading users', () => {
  it('lists members oldest first with a cursor, and reads one', async () => {
    const first = await t.rest<{ items: { user_id: string; role: string }[]; next_cursor: string | null }>(
      'GET',
      `${usersOf(owner)}?limit=2`,
      { token: owner.accessToken },
    );
    expect(first.status).toBe(200);
    expect(shapeProblems('GET', USERS, 200, first.body)).toEqual([]);
    expect(first.body.items[0]).toMatchObject({ user_id: owner.userId, role: 'owner' });
    expect(first.body.items).toHaveLength(2);
    const rest = await t.rest<{ items: { user_id: string }[] }>(
      'GET',
      `${usersOf(owner)}?limit=100&cursor=${first.body.next_cursor}`,
      { token: admin.token },
    );
    const all = [...first.body.items, ...rest.body.items].map((u) => u.user_id);
    expect(all).toEqual(expect.arrayContaining([owner.userId, admin.userId, member.userId, viewer.userId]));
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain(other.userId);

    const one = await t.rest<Record<string, unknown>>('GET', `${usersOf(owner)}/${member.userId}`, {
      token: owner.accessToken,
    });
    expect(one.status).toBe(200);
    expect(shapeProblems('GET', USER, 200, one.body)).toEqual([]);
    expect(one.body).toMatchObject({ user_id: member.userId, email: member.email, role: 'member' });

    const gql = await t.gql<{ tenantUser: { role: string; email: string } }>(
      'query($t: ID!, $u: ID!) { tenantUser(tenantId: $t, userId: $u) { role email } }',
      { t: owner.tenantId, u: viewer.userId },
      admin.token,
    );
    expect(gql.data?.tenantUser).toEqual({ role: 'VIEWER', email: viewer.email });
  });

  it('answers 403 to members and viewers, 401 anonymously, 404 for other tenants and non-members, 422 for bad ids', async () => {
    for (const token of [member.token, viewer.token]) {
      for (const path of [usersOf(owner), `${usersOf(owner)}/${owner.userId}`]) {
        const res = await t.rest('GET', path, { token });
        expect(res.status, path).toBe(403);
        expect(shapeProblems('GET', path.endsWith('users') ? USERS : USER, 403, res.body)).toEqual([]);
      }
    }
    const anon = await t.rest('GET', usersOf(owner));
    expect(anon.status).toBe(401);
    expect(shapeProblems('GET', USERS, 401, anon.body)).toEqual([]);
    for (const path of [usersOf(owner), `${usersOf(owner)}/${owner.userId}`]) {
      const res = await t.rest('GET', path, { token: other.accessToken });
      expect(res.status).toBe(404);
    }
    // A user of another tenant, asked through my own tenant: not found.
    const foreign = await t.rest('GET', `${usersOf(other)}/${owner.userId}`, { token: other.accessToken });
    expect(foreign.status).toBe(404);
    expect(shapeProblems('GET', USER, 404, foreign.body)).toEqual([]);
    const bad = await t.rest('GET', `${usersOf(owner)}/nope`, { token: owner.accessToken });
    expect(bad.status).toBe(422);
    expect(shapeProblems('GET', USER, 422, bad.body)).toEqual([]);
    const badCursor = await t.rest('GET', `${usersOf(owner)}?cursor=%%%`, { token: owner.accessToken });
    expect(badCursor.status).toBe(400);
  });
});

describe('changing and removing users', () => {
  it('changes roles (takes effect at the next sign-in) and refuses other tenants, members and viewers', async () => {
    const person = await addMember(t, owner, 'viewer');
    const res = await t.rest<Record<string, unknown>>('PATCH', `${usersOf(owner)}/${person.userId}`, {
      token: admin.token,
      body: { role: 'member' },
    });
    expect(res.status).toBe(200);
    expect(shapeProblems('PATCH', USER, 200, res.body)).toEqual([]);
    expect(res.body.role).toBe('member');
    const token = await login(t, person.email);
    const write = await t.rest('POST', '/api/v1/conversations', {
      token,
      body: { display_name: 'now allowed' },
    });
    expect(write.status).toBe(201);

    for (const [tok, status] of [
      [member.token, 403],
      [viewer.token, 403],
      [other.accessToken, 404],
    ] as const) {
      const denied = await t.rest('PATCH', `${usersOf(owner)}/${person.userId}`, {
        token: tok,
        body: { role: 'admin' },
      });
      expect(denied.status).toBe(status);
      expect(shapeProblems('PATCH', USER, status, denied.body)).toEqual([]);
    }
    for (const body of [{}, { role: 'god' }, { role: 3 }, { role: 'admin', extra: true }]) {
      const bad = await t.rest('PATCH', `${usersOf(owner)}/${person.userId}`, {
        token: owner.accessToken,
        body,
      });
      expect(bad.status, JSON.stringify(body)).toBe(422);
      expect(shapeProblems('PATCH', USER, 422, bad.body)).toEqual([]);
    }
    const unknown = await t.rest('PATCH', `${usersOf(owner)}/${randomUUID()}`, {
      token: owner.accessToken,
      body: { role: 'admin' },
    });
    expect(unknown.status).toBe(404);
    const row = await db().membership.findUniqueOrThrow({
      where: { userId_tenantId: { userId: person.userId, tenantId: owner.tenantId } },
    });
    expect(row.role).toBe('member');
  });

  it('protects the last owner (409) and lets admins touch only non-owners', async () => {
    const solo = await t.register();
    const demote = await t.rest('PATCH', `${usersOf(solo)}/${solo.userId}`, {
      token: solo.accessToken,
      body: { role: 'admin' },
    });
    expect(demote.status).toBe(409);
    expect(shapeProblems('PATCH', USER, 409, demote.body)).toEqual([]);
    const remove = await t.rest('DELETE', `${usersOf(solo)}/${solo.userId}`, { token: solo.accessToken });
    expect(remove.status).toBe(409);
    expect(shapeProblems('DELETE', USER, 409, remove.body)).toEqual([]);
    expect(
      (
        await db().membership.findUniqueOrThrow({
          where: { userId_tenantId: { userId: solo.userId, tenantId: solo.tenantId } },
        })
      ).role,
    ).toBe('owner');

    // With a second owner, the first may step down; the second is then the last.
    const second = await addMember(t, solo, 'owner');
    const stepDown = await t.rest('PATCH', `${usersOf(solo)}/${solo.userId}`, {
      token: solo.accessToken,
      body: { role: 'admin' },
    });
    expect(stepDown.status).toBe(200);
    const last = await t.rest('DELETE', `${usersOf(solo)}/${second.userId}`, { token: second.token });
    expect(last.status).toBe(409);

    // An admin can neither demote nor remove an owner.
    const adminToken = await login(t, solo.email);
    const byAdmin = await t.rest('PATCH', `${usersOf(solo)}/${second.userId}`, {
      token: adminToken,
      body: { role: 'member' },
    });
    expect(byAdmin.status).toBe(403);
    const removeByAdmin = await t.rest('DELETE', `${usersOf(solo)}/${second.userId}`, { token: adminToken });
    expect(removeByAdmin.status).toBe(403);
  });

  it('removes a member (204): membership gone, account kept, sessions in the tenant ended', async () => {
    const person = await addMember(t, owner, 'member');
    for (const [tok, status] of [
      [member.token, 403],
      [viewer.token, 403],
      [other.accessToken, 404],
    ] as const) {
      const denied = await t.rest('DELETE', `${usersOf(owner)}/${person.userId}`, { token: tok });
      expect(denied.status).toBe(status);
      expect(shapeProblems('DELETE', USER, status, denied.body)).toEqual([]);
    }
    const bad = await t.rest('DELETE', `${usersOf(owner)}/not-a-uuid`, { token: owner.accessToken });
    expect(bad.status).toBe(422);
    const res = await t.rest('DELETE', `${usersOf(owner)}/${person.userId}`, { token: admin.token });
    expect(res.status).toBe(204);
    expect(shapeProblems('DELETE', USER, 204, res.body)).toEqual([]);
    expect(await db().membership.count({ where: { userId: person.userId, tenantId: owner.tenantId } })).toBe(
      0,
    );
    expect(await db().user.findUnique({ where: { id: person.userId } })).not.toBeNull();
    expect(await db().session.count({ where: { userId: person.userId, revokedAt: null } })).toBe(0);
    const again = await t.rest('DELETE', `${usersOf(owner)}/${person.userId}`, { token: admin.token });
    expect(again.status).toBe(404);
  });

  it('lets a platform operator manage the users of any tenant', async () => {
    const operator = await makeOperator(t, await t.register());
    const created = await t.rest<{ id: string }>('POST', '/api/tenants', {
      token: operator,
      body: { name: 'Bootstrapped' },
    });
    const addOwner = await t.rest<{ role: string }>('POST', `/api/tenants/${created.body.id}/users`, {
      token: operator,
      body: { email: `boot-${randomUUID()}@example.com`, role: 'owner', password: PASSWORD },
    });
    expect(addOwner.status).toBe(201);
    expect(addOwner.body.role).toBe('owner');
    const list = await t.rest<{ items: unknown[] }>('GET', `/api/tenants/${created.body.id}/users`, {
      token: operator,
    });
    expect(list.body.items).toHaveLength(1);
    const missing = await t.rest('GET', `/api/tenants/${randomUUID()}/users`, { token: operator });
    expect(missing.status).toBe(404);
  });

  it('refuses API keys (403): managing members needs a user', async () => {
    const key = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
      token: owner.accessToken,
      body: { name: 'k', scopes: ['conversations:read'] },
    });
    const res = await t.rest('GET', usersOf(owner), { headers: { 'x-api-key': key.body.key } });
    expect(res.status).toBe(403);
  });
});

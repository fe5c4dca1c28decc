import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { login, type Member, makeOperator, shapeProblems, tenantWithRoles } from './tenancy-kit.js';

let t: TestStack;
let owner: Account;
let other: Account;
let operatorAccount: Account;
let operator: string;
let admin: Member;
let member: Member;
let viewer: Member;

const OPS_EMAIL = `ops-${randomUUID()}@example.com`;

beforeAll(async () => {
  t = await bootStack({ PLATFORM_OPERATOR_EMAILS: `someone@example.com, ${OPS_EMAIL.toUpperCase()}` });
  ({ owner, other, admin, member, viewer } = await tenantWithRoles(t));
  operatorAccount = await t.register();
  operator = await makeOperator(t, operatorAccount);
});
afterAll(async () => {
  await t?.close();
});

const TENANT = '/api/tenants/{tenant_id}';
const db = () => t.stack.kernel.database.prisma;

describe('POST /api/tenants', () => {
  it('lets a platform operator create a tenant with an existing user as owner', async () => {
    const lone = await t.register();
    const slug = `acme-${randomUUID().slice(0, 8)}`;
    const res = await t.rest<Record<string, unknown>>('POST', '/api/tenants', {
      token: operator,
      body: { name: 'Acme Corp', slug, owner_email: lone.email.toUpperCase() },
    });
    expect(res.status).toBe(201);
    expect(shapeProblems('POST', '/api/tenants', 201, res.body)).toEqual([]);
    expect(res.body).toMatchObject({ name: 'Acme Corp', slug, status: 'active' });
    expect(Object.keys(res.body).sort()).toEqual([
      'created_at',
      'id',
      'name',
      'slug',
      'status',
      'updated_at',
    ]);
    const membership = await db().membership.findUnique({
      where: { userId_tenantId: { userId: lone.userId, tenantId: res.body.id as string } },
    });
    expect(membership?.role).toBe('owner');
    const audit = await db().auditEvent.findFirst({
      where: { action: 'tenant.created', targetId: res.body.id as string },
    });
    expect(audit?.actorId).toBe(`user:${operatorAccount.userId}`);
  });

  it('also treats users listed in PLATFORM_OPERATOR_EMAILS as operators (from their next login)', async () => {
    const listed = await t.register({ email: OPS_EMAIL });
    const token = await login(t, listed.email);
    const res = await t.rest<{ name: string }>('POST', '/api/tenants', {
      token,
      body: { name: 'By listed operator' },
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('By listed operator');
    expect((await db().user.findUniqueOrThrow({ where: { id: listed.userId } })).platformRole).toBeNull();
  });

  it('derives a unique slug from the name when none is given (GraphQL too)', async () => {
    const res = await t.gql<{ createTenant: { slug: string; name: string } }>(
      'mutation($input: CreateTenantInput!) { createTenant(input: $input) { slug name } }',
      { input: { name: 'Über Tenant!' } },
      operator,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.createTenant.slug).toMatch(/^ber-tenant(-[0-9a-f]{4})?$/);
    const again = await t.gql<{ createTenant: { slug: string } }>(
      'mutation($input: CreateTenantInput!) { createTenant(input: $input) { slug } }',
      { input: { name: 'Über Tenant!' } },
      operator,
    );
    expect(again.data?.createTenant.slug).not.toBe(res.data?.createTenant.slug);
  });

  it('answers 401 without a credential and 403 for every tenant role', async () => {
    const before = await db().tenant.count({ where: { name: 'Nope Inc' } });
    const anon = await t.rest('POST', '/api/tenants', { body: { name: 'Nope Inc' } });
    expect(anon.status).toBe(401);
    expect(shapeProblems('POST', '/api/tenants', 401, anon.body)).toEqual([]);
    for (const token of [owner.accessToken, admin.token, member.token, viewer.token]) {
      const res = await t.rest('POST', '/api/tenants', { token, body: { name: 'Nope Inc' } });
      expect(res.status).toBe(403);
      expect(shapeProblems('POST', '/api/tenants', 403, res.body)).toEqual([]);
    }
    // Other test files create tenants concurrently on a shared database: count this test's name only.
    expect(await db().tenant.count({ where: { name: 'Nope Inc' } })).toBe(before);
  });

  it('refuses bad input with a 4xx envelope and creates nothing', async () => {
    const before = await db().tenant.count({ where: { name: { in: ['Fine name', 'x'] } } });
    const taken = await db().tenant.findUniqueOrThrow({ where: { id: owner.tenantId } });
    const cases: [unknown, number][] = [
      [{}, 422],
      [{ name: 42 }, 422],
      [{ name: 'x' }, 422],
      [{ name: 'a'.repeat(129) }, 422],
      [{ name: 'Fine name', slug: 'Bad Slug' }, 422],
      [{ name: 'Fine name', slug: 's'.repeat(61) }, 422],
      [{ name: 'Fine name', owner_email: 'not-an-email' }, 422],
      [{ name: 'Fine name', owner_email: `nobody-${randomUUID()}@example.com` }, 422],
      [{ name: 'Fine name', unknown_field: true }, 422],
      [[1, 2], 422],
      ['{not json', 422],
      [{ name: 'Fine name', slug: taken.slug }, 409],
    ];
    for (const [body, status] of cases) {
      const res = await t.rest('POST', '/api/tenants', { token: operator, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(shapeProblems('POST', '/api/tenants', status, res.body)).toEqual([]);
    }
    expect(await db().tenant.count({ where: { name: { in: ['Fine name', 'x'] } } })).toBe(before);
  });
});

describe('GET /api/tenants/{tenant_id}', () => {
  it('shows the tenant to each of its roles', async () => {
    for (const token of [owner.accessToken, admin.token, member.token, viewer.token]) {
      const res = await t.rest<Record<string, unknown>>('GET', `/api/tenants/${owner.tenantId}`, { token });
      expect(res.status).toBe(200);
      expect(shapeProblems('GET', TENANT, 200, res.body)).toEqual([]);
      expect(res.body.id).toBe(owner.tenantId);
    }
  });

  it('answers 404 for another tenant (and a random id), 401 without a credential, 422 for a bad id', async () => {
    for (const id of [other.tenantId, randomUUID()]) {
      const res = await t.rest('GET', `/api/tenants/${id}`, { token: owner.accessToken });
      expect(res.status).toBe(404);
      expect(shapeProblems('GET', TENANT, 404, res.body)).toEqual([]);
    }
    const anon = await t.rest('GET', `/api/tenants/${owner.tenantId}`);
    expect(anon.status).toBe(401);
    expect(shapeProblems('GET', TENANT, 401, anon.body)).toEqual([]);
    const bad = await t.rest('GET', '/api/tenants/not-a-uuid', { token: owner.accessToken });
    expect(bad.status).toBe(422);
    expect(shapeProblems('GET', TENANT, 422, bad.body)).toEqual([]);
    const gql = await t.gql(
      'query($id: ID!) { tenant(tenantId: $id) { id name } }',
      { id: other.tenantId },
      owner.accessToken,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('lets an operator read any tenant', async () => {
    const res = await t.rest<Record<string, unknown>>('GET', `/api/tenants/${other.tenantId}`, {
      token: operator,
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(other.tenantId);
  });
});

describe('PATCH /api/tenants/{tenant_id}', () => {
  it('lets owners and admins rename their tenant', async () => {
    for (const [token, name] of [
      [owner.accessToken, 'Renamed by owner'],
      [admin.token, 'Renamed by admin'],
    ] as const) {
      const res = await t.rest<Record<string, unknown>>('PATCH', `/api/tenants/${owner.tenantId}`, {
        token,
        body: { name },
      });
      expect(res.status).toBe(200);
      expect(shapeProblems('PATCH', TENANT, 200, res.body)).toEqual([]);
      expect(res.body.name).toBe(name);
    }
    expect((await db().tenant.findUniqueOrThrow({ where: { id: owner.tenantId } })).name).toBe(
      'Renamed by admin',
    );
  });

  it('refuses members and viewers (403), other tenants (404) and anonymous callers (401)', async () => {
    const before = await db().tenant.findUniqueOrThrow({ where: { id: owner.tenantId } });
    for (const token of [member.token, viewer.token]) {
      const res = await t.rest('PATCH', `/api/tenants/${owner.tenantId}`, {
        token,
        body: { name: 'Hijacked' },
      });
      expect(res.status).toBe(403);
      expect(shapeProblems('PATCH', TENANT, 403, res.body)).toEqual([]);
    }
    const cross = await t.rest('PATCH', `/api/tenants/${owner.tenantId}`, {
      token: other.accessToken,
      body: { name: 'Hijacked' },
    });
    expect(cross.status).toBe(404);
    expect(shapeProblems('PATCH', TENANT, 404, cross.body)).toEqual([]);
    const anon = await t.rest('PATCH', `/api/tenants/${owner.tenantId}`, { body: { name: 'Hijacked' } });
    expect(anon.status).toBe(401);
    expect((await db().tenant.findUniqueOrThrow({ where: { id: owner.tenantId } })).name).toBe(before.name);
  });

  it('keeps status changes to operators; an operator can suspend and reactivate', async () => {
    const mine = await t.rest('PATCH', `/api/tenants/${other.tenantId}`, {
      token: other.accessToken,
      body: { status: 'suspended' },
    });
    expect(mine.status).toBe(403);
    const suspend = await t.rest<Record<string, unknown>>('PATCH', `/api/tenants/${other.tenantId}`, {
      token: operator,
      body: { status: 'suspended' },
    });
    expect(suspend.status).toBe(200);
    expect(suspend.body.status).toBe('suspended');
    const back = await t.gql<{ updateTenant: { status: string } }>(
      'mutation($id: ID!, $input: UpdateTenantInput!) { updateTenant(tenantId: $id, input: $input) { status } }',
      { id: other.tenantId, input: { status: 'ACTIVE' } },
      operator,
    );
    expect(back.data?.updateTenant.status).toBe('ACTIVE');
  });

  it('refuses bad input with a 4xx envelope and changes nothing', async () => {
    const before = await db().tenant.findUniqueOrThrow({ where: { id: owner.tenantId } });
    for (const body of [
      {},
      { name: 7 },
      { name: '' },
      { name: 'n'.repeat(129) },
      { status: 'deleted' },
      { nope: 1 },
    ]) {
      const res = await t.rest('PATCH', `/api/tenants/${owner.tenantId}`, { token: operator, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(shapeProblems('PATCH', TENANT, 422, res.body)).toEqual([]);
    }
    const badId = await t.rest('PATCH', '/api/tenants/1234', {
      token: owner.accessToken,
      body: { name: 'Valid name' },
    });
    expect(badId.status).toBe(422);
    const after = await db().tenant.findUniqueOrThrow({ where: { id: owner.tenantId } });
    expect(after).toEqual(before);
  });
});

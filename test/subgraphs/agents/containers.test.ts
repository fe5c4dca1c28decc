/**
 * Code-interpreter containers (legacy /api/v1/containers) against the OpenAI double on loopback:
 * create, list, get, delete, agent bindings, limits and 409s, roles and API-key scopes, the second
 * tenant, and provider failures (nothing stored, never a 500).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/openai.js';
import { contractProblems } from '../../kit/contract.js';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { tenantWithRoles } from '../tenancy-kit.js';

let t: TestStack;
let fake: FakeOpenAI;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;

interface ContainerBody {
  id: string;
  openai_id: string;
  tenant_id: string;
  owner_user_id: string | null;
  name: string;
  memory_limit: string;
  status: string;
  expires_after: unknown;
  last_active_at: string | null;
  metadata: Record<string, unknown>;
}
interface ErrorBody {
  success: false;
  error: string;
  message: string;
  details: { loc: unknown[]; type: string }[] | null;
}

const CONTAINERS = '/api/v1/containers';
const BIND = (agentKey: string) => `/api/v1/containers/agents/${agentKey}/container`;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await bootStack({
    OPENAI_API_KEY: 'test',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_MAX_RETRIES: '0',
    CONTAINER_ALLOWED_MEMORY_TIERS: '1g,4g',
  });
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

async function create(token: string, body: Record<string, unknown>) {
  const res = await t.rest<ContainerBody & ErrorBody>('POST', CONTAINERS, { token, body });
  expect(contractProblems('POST', CONTAINERS, res.status, res.body)).toEqual([]);
  return res;
}

async function list(token: string, query = '') {
  const res = await t.rest<{ items: ContainerBody[]; total: number }>('GET', `${CONTAINERS}${query}`, {
    token,
  });
  expect(contractProblems('GET', CONTAINERS, res.status, res.body)).toEqual([]);
  return res;
}

async function agentContainer(token: string, agentKey: string) {
  const res = await t.gql<{ agentContainer: { id: string; agentKeys: string[] } | null }>(
    'query($k: String!) { agentContainer(agentKey: $k) { id agentKeys } }',
    { k: agentKey },
    token,
  );
  expect(res.errors).toBeUndefined();
  return res.data?.agentContainer ?? null;
}

describe('containers', () => {
  it('creates a container at the provider, then its row; reads and lists it', async () => {
    const { owner } = tenants;
    const res = await create(owner.accessToken, {
      name: 'analysis',
      memory_limit: '4g',
      expires_after: { anchor: 'last_active_at', minutes: 30 },
      file_ids: ['file_1'],
      metadata: { team: 'data', nested: { camelCase: true } },
    });
    expect(res.status).toBe(201);
    const [call] = fake.calls('POST', '/v1/containers');
    expect(call?.authorization).toBe('Bearer test');
    expect(call?.body).toEqual({
      name: 'analysis',
      memory_limit: '4g',
      expires_after: { anchor: 'last_active_at', minutes: 30 },
      file_ids: ['file_1'],
    });
    const remote = fake.containers.get(res.body.openai_id);
    expect(remote?.name).toBe('analysis');
    expect(res.body).toMatchObject({
      tenant_id: owner.tenantId,
      owner_user_id: owner.userId,
      name: 'analysis',
      memory_limit: '4g',
      status: 'running',
      expires_after: { anchor: 'last_active_at', minutes: 30 },
      metadata: { team: 'data', nested: { camelCase: true } },
    });
    expect(res.body.last_active_at).not.toBeNull();

    const read = await t.rest('GET', `${CONTAINERS}/${res.body.id}`, { token: owner.accessToken });
    expect(read.status).toBe(200);
    expect(contractProblems('GET', `${CONTAINERS}/{container_id}`, 200, read.body)).toEqual([]);
    expect(read.body).toEqual(res.body);

    const page = await list(owner.accessToken);
    expect(page.status).toBe(200);
    expect(page.body.items.map((c) => c.id)).toContain(res.body.id);
    expect(page.body.total).toBe(page.body.items.length);

    const defaults = await create(owner.accessToken, { name: 'defaults' });
    expect(defaults.status).toBe(201);
    expect(defaults.body).toMatchObject({ memory_limit: '1g', metadata: {} });
    const newestFirst = await list(owner.accessToken, '?limit=1');
    expect(newestFirst.body.items.map((c) => c.name)).toEqual(['defaults']);
    expect(newestFirst.body.total).toBeGreaterThanOrEqual(2);
    const second = await list(owner.accessToken, '?limit=1&offset=1');
    expect(second.body.items.map((c) => c.name)).toEqual(['analysis']);
  });

  it('refuses bad input (422, nothing called), a tier not allowed (403) and a name in use (409)', async () => {
    const { owner } = tenants;
    const cases: [Record<string, unknown>, unknown[]][] = [
      [{ name: '' }, ['body', 'name']],
      [{ name: 'x'.repeat(129) }, ['body', 'name']],
      [{ name: 'ok', memory_limit: 'banana' }, ['body', 'memory_limit']],
      [{ name: 'ok', expires_after: { minutes: 0 } }, ['body', 'expires_after', 'minutes']],
      [{ name: 'ok', metadata: ['not', 'an', 'object'] }, ['body', 'metadata']],
    ];
    for (const [body, loc] of cases) {
      const res = await create(owner.accessToken, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.details?.map((d) => d.loc)).toContainEqual(loc);
    }
    const tier = await create(owner.accessToken, { name: 'big', memory_limit: '16g' });
    expect(tier.status).toBe(403);
    expect(tier.body.message).toContain('16g');

    expect((await create(owner.accessToken, { name: 'twice' })).status).toBe(201);
    const again = await create(owner.accessToken, { name: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('twice');
    expect(fake.calls('POST', '/v1/containers')).toHaveLength(1);

    const malformed = await t.rest<ErrorBody>('GET', `${CONTAINERS}/not-a-uuid`, {
      token: owner.accessToken,
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.details?.map((d) => d.loc)).toContainEqual(['path', 'container_id']);
    const badLimit = await t.rest<ErrorBody>('GET', `${CONTAINERS}?limit=101`, { token: owner.accessToken });
    expect(badLimit.status).toBe(422);
    expect(badLimit.body.details?.map((d) => d.loc)).toContainEqual(['query', 'limit']);
  });

  it('holds a tenant at 10 live containers (403); a deleted one frees a place', async () => {
    const fresh = await t.register();
    for (let i = 0; i < 10; i++) {
      expect((await create(fresh.accessToken, { name: `c${i}` })).status).toBe(201);
    }
    const full = await create(fresh.accessToken, { name: 'eleventh' });
    expect(full.status).toBe(403);
    expect(full.body.message).toMatch(/at most 10/);
    expect(fake.calls('POST', '/v1/containers')).toHaveLength(10);
    const page = await list(fresh.accessToken, '?limit=100');
    expect(page.body.total).toBe(10);
    const first = page.body.items[0] as ContainerBody;
    expect((await t.rest('DELETE', `${CONTAINERS}/${first.id}`, { token: fresh.accessToken })).status).toBe(
      204,
    );
    expect((await create(fresh.accessToken, { name: 'eleventh' })).status).toBe(201);
  });

  it('two concurrent creates of one name: one 201, one 409, and no orphan left at the provider', async () => {
    const { owner } = tenants;
    const before = fake.containers.size;
    const results = await Promise.all([
      create(owner.accessToken, { name: 'race' }),
      create(owner.accessToken, { name: 'race' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(fake.containers.size).toBe(before + 1);
    const winner = results.find((r) => r.status === 201)?.body as ContainerBody;
    expect(fake.containers.has(winner.openai_id)).toBe(true);
    expect(fake.calls('POST', '/v1/containers').length).toBe(fake.calls('DELETE').length + 1);
  });

  it('deletes its remote container again when the row cannot be written (the name was taken meanwhile)', async () => {
    const owner = await t.register();
    fake.failNext({ method: 'POST', path: '/v1/containers', delayMs: 400 });
    const slow = create(owner.accessToken, { name: 'overtaken' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fast = await create(owner.accessToken, { name: 'overtaken' });
    expect(fast.status).toBe(201);
    const late = await slow;
    expect(late.status).toBe(409);
    const posts = fake.calls('POST', '/v1/containers');
    expect(posts).toHaveLength(2);
    const deletes = fake.calls('DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.path).not.toBe(`/v1/containers/${fast.body.openai_id}`);
    expect(fake.containers.has(fast.body.openai_id)).toBe(true);
    const rows = await t.stack.kernel.database.prisma.container.count({
      where: { tenantId: owner.tenantId, name: 'overtaken' },
    });
    expect(rows).toBe(1);
  });

  it('deletes at the provider, then soft-deletes (404 afterwards); the name can be used again', async () => {
    const { owner } = tenants;
    const made = await create(owner.accessToken, { name: 'short-lived' });
    const del = await t.rest('DELETE', `${CONTAINERS}/${made.body.id}`, { token: owner.accessToken });
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expect(fake.calls('DELETE', `/v1/containers/${made.body.openai_id}`)).toHaveLength(1);
    expect(fake.containers.has(made.body.openai_id)).toBe(false);
    const row = await t.stack.kernel.database.prisma.container.findUniqueOrThrow({
      where: { id: made.body.id },
    });
    expect(row.status).toBe('deleted');
    expect(row.deletedAt).not.toBeNull();

    const gone = await t.rest<ErrorBody>('GET', `${CONTAINERS}/${made.body.id}`, {
      token: owner.accessToken,
    });
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe('Container not found');
    expect(contractProblems('GET', `${CONTAINERS}/{container_id}`, 404, gone.body)).toEqual([]);
    expect((await list(owner.accessToken, '?limit=100')).body.items.map((c) => c.id)).not.toContain(
      made.body.id,
    );
    expect(
      (await t.rest('DELETE', `${CONTAINERS}/${made.body.id}`, { token: owner.accessToken })).status,
    ).toBe(404);
    expect((await create(owner.accessToken, { name: 'short-lived' })).status).toBe(201);

    // Already gone at the provider (404 or 410): still deleted here.
    for (const status of [404, 410]) {
      const c = await create(owner.accessToken, { name: `gone-${status}` });
      fake.failNext({ method: 'DELETE', path: `/v1/containers/${c.body.openai_id}`, status });
      expect(
        (await t.rest('DELETE', `${CONTAINERS}/${c.body.id}`, { token: owner.accessToken })).status,
      ).toBe(204);
      expect((await t.rest('GET', `${CONTAINERS}/${c.body.id}`, { token: owner.accessToken })).status).toBe(
        404,
      );
    }
  });

  it('binds an agent to a container, rebinds it, unbinds it (idempotent); deleting drops bindings', async () => {
    const { owner } = tenants;
    const a = await create(owner.accessToken, { name: 'bind-a' });
    const b = await create(owner.accessToken, { name: 'bind-b' });
    const bind = (agentKey: string, containerId: unknown) =>
      t.rest<ErrorBody>('POST', BIND(agentKey), {
        token: owner.accessToken,
        body: { container_id: containerId },
      });

    const first = await bind('triage', a.body.id);
    expect(first.status).toBe(204);
    expect(
      contractProblems('POST', '/api/v1/containers/agents/{agent_key}/container', 204, first.body),
    ).toEqual([]);
    expect(await agentContainer(owner.accessToken, 'triage')).toEqual({
      id: a.body.id,
      agentKeys: ['triage'],
    });

    expect((await bind('triage', b.body.id)).status).toBe(204);
    expect((await bind('analyst', b.body.id)).status).toBe(204);
    expect(await agentContainer(owner.accessToken, 'triage')).toEqual({
      id: b.body.id,
      agentKeys: ['analyst', 'triage'],
    });
    const rows = await t.stack.kernel.database.prisma.agentContainerBinding.findMany({
      where: { tenantId: owner.tenantId, agentKey: 'triage' },
    });
    expect(rows).toHaveLength(1);

    const unbind = await t.rest('DELETE', BIND('triage'), { token: owner.accessToken });
    expect(unbind.status).toBe(204);
    expect(await agentContainer(owner.accessToken, 'triage')).toBeNull();
    expect((await t.rest('DELETE', BIND('triage'), { token: owner.accessToken })).status).toBe(204);

    const unknown = await bind('triage', '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('Container not found');
    const malformed = await bind('triage', 'nope');
    expect(malformed.status).toBe(422);
    expect(malformed.body.details?.map((d) => d.loc)).toContainEqual(['body', 'container_id']);
    const missing = await t.rest<ErrorBody>('POST', BIND('triage'), { token: owner.accessToken, body: {} });
    expect(missing.status).toBe(422);
    const badKey = await bind('Not A Key', a.body.id);
    expect(badKey.status).toBe(422);
    expect(badKey.body.details?.map((d) => d.loc)).toContainEqual(['path', 'agent_key']);

    // Deleting the container drops its bindings; a deleted container cannot be bound.
    expect((await t.rest('DELETE', `${CONTAINERS}/${b.body.id}`, { token: owner.accessToken })).status).toBe(
      204,
    );
    expect(await agentContainer(owner.accessToken, 'analyst')).toBeNull();
    expect((await bind('analyst', b.body.id)).status).toBe(404);
  });

  it('locks the second tenant out of every id (404) and keeps its bindings apart', async () => {
    const { owner, other } = tenants;
    const mine = await create(owner.accessToken, { name: 'private' });
    expect(
      (
        await t.rest('POST', BIND('triage'), {
          token: owner.accessToken,
          body: { container_id: mine.body.id },
        })
      ).status,
    ).toBe(204);
    const path = `${CONTAINERS}/${mine.body.id}`;
    for (const [method, url, body] of [
      ['GET', path, undefined],
      ['DELETE', path, undefined],
      ['POST', BIND('triage'), { container_id: mine.body.id }],
    ] as const) {
      const res = await t.rest<ErrorBody>(method, url, { token: other.accessToken, body });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body.message).toBe('Container not found');
    }
    const theirs = await t.gql<{ container: unknown }>(
      'query($id: ID!) { container(containerId: $id) { id } }',
      { id: mine.body.id },
      other.accessToken,
    );
    expect(theirs.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await list(other.accessToken)).body).toEqual({ items: [], total: 0 });
    // Their unbind of the same agent key touches only their tenant.
    expect((await t.rest('DELETE', BIND('triage'), { token: other.accessToken })).status).toBe(204);
    expect((await agentContainer(owner.accessToken, 'triage'))?.id).toBe(mine.body.id);
    expect(await agentContainer(other.accessToken, 'triage')).toBeNull();
    expect(fake.containers.has(mine.body.openai_id)).toBe(true);
    expect(fake.calls('DELETE')).toHaveLength(0);
  });

  it('lets viewers and members read but not write (403); admins write; API keys by scope', async () => {
    const { owner, admin, member, viewer } = tenants;
    const made = await create(owner.accessToken, { name: 'roles' });
    for (const who of [viewer, member]) {
      const writes = [
        await create(who.token, { name: 'nope' }),
        await t.rest<ErrorBody>('DELETE', `${CONTAINERS}/${made.body.id}`, { token: who.token }),
        await t.rest<ErrorBody>('POST', BIND('triage'), {
          token: who.token,
          body: { container_id: made.body.id },
        }),
        await t.rest<ErrorBody>('DELETE', BIND('triage'), { token: who.token }),
      ];
      expect(writes.map((r) => r.status)).toEqual([403, 403, 403, 403]);
      expect((await t.rest('GET', `${CONTAINERS}/${made.body.id}`, { token: who.token })).status).toBe(200);
      expect((await list(who.token)).status).toBe(200);
    }
    // An owner narrowed to viewer by X-Tenant-Role writes nothing either.
    const narrowed = await t.rest('POST', CONTAINERS, {
      token: owner.accessToken,
      headers: { 'x-tenant-role': 'viewer' },
      body: { name: 'narrowed' },
    });
    expect(narrowed.status).toBe(403);
    expect(fake.calls('POST', '/v1/containers')).toHaveLength(1);
    expect(fake.calls('DELETE')).toHaveLength(0);

    const byAdmin = await create(admin.token, { name: 'by-admin' });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.owner_user_id).toBe(admin.userId);

    const key = async (scopes: string[]) => {
      const res = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
        token: owner.accessToken,
        body: { name: `containers ${scopes.join(' ')}`, scopes },
      });
      expect(res.status).toBe(201);
      return res.body.key;
    };
    const reader = await key(['agents:read']);
    expect((await list(reader)).status).toBe(200);
    expect((await create(reader, { name: 'by-reader' })).status).toBe(403);
    const writer = await key(['agents:read', 'agents:write']);
    const byKey = await create(writer, { name: 'by-key' });
    expect(byKey.status).toBe(201);
    expect(byKey.body.owner_user_id).toBeNull();
    const none = await key(['conversations:read']);
    expect((await list(none)).status).toBe(403);
    expect((await t.rest('GET', CONTAINERS)).status).toBe(401);
  });

  it('works over GraphQL too: create, validation at the argument path, bind, delete; writes are audited', async () => {
    const owner = await t.register();
    const created = await t.gql<{ createContainer: { id: string; name: string; memoryLimit: string } }>(
      'mutation($i: CreateContainerInput!) { createContainer(input: $i) { id name memoryLimit metadata agentKeys } }',
      { i: { name: 'gql', memoryLimit: '4G', metadata: { a: 1 } } },
      owner.accessToken,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createContainer).toMatchObject({
      name: 'gql',
      memoryLimit: '4g',
      metadata: { a: 1 },
    });
    const id = created.data?.createContainer.id as string;
    const bad = await t.gql(
      'mutation($i: CreateContainerInput!) { createContainer(input: $i) { id } }',
      { i: { name: ' ' } },
      owner.accessToken,
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(bad.errors?.[0]?.extensions?.details).toEqual([
      expect.objectContaining({ loc: ['input', 'name'] }),
    ]);
    const bound = await t.gql<{ bindAgentContainer: { agentKey: string; container: { id: string } } }>(
      'mutation($k: String!, $c: ID!) { bindAgentContainer(agentKey: $k, input: { containerId: $c }) { agentKey container { id } } }',
      { k: 'triage', c: id },
      owner.accessToken,
    );
    expect(bound.data?.bindAgentContainer).toEqual({ agentKey: 'triage', container: { id } });
    const listed = await t.gql<{
      containers: { total: number; items: { id: string; agentKeys: string[] }[] };
    }>('{ containers(limit: 5) { total items { id agentKeys } } }', {}, owner.accessToken);
    expect(listed.data?.containers).toEqual({ total: 1, items: [{ id, agentKeys: ['triage'] }] });
    const unbound = await t.gql(
      'mutation { unbindAgentContainer(agentKey: "triage") }',
      {},
      owner.accessToken,
    );
    expect(unbound.data).toEqual({ unbindAgentContainer: true });
    const deleted = await t.gql(
      'mutation($id: ID!) { deleteContainer(containerId: $id) }',
      { id },
      owner.accessToken,
    );
    expect(deleted.data).toEqual({ deleteContainer: true });
    const audit = await t.stack.kernel.database.prisma.auditEvent.findMany({
      where: { tenantId: owner.tenantId, action: { startsWith: 'container.' } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ['container.created', `user:${owner.userId}`],
      ['container.agent_bound', `user:${owner.userId}`],
      ['container.agent_unbound', `user:${owner.userId}`],
      ['container.deleted', `user:${owner.userId}`],
    ]);
  });

  it('maps provider failures to 502/503 with nothing stored and no stack', async () => {
    const owner = await t.register();
    const before = (await list(owner.accessToken, '?limit=1')).body.total;
    fake.failNext({ method: 'POST', path: '/v1/containers', status: 500, message: 'boom' });
    const failed = await create(owner.accessToken, { name: 'upstream-500' });
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ success: false, error: 'BadGateway' });
    expect(failed.body.message).toMatch(/OpenAI provider failed .*HTTP 500: boom/);
    expect(JSON.stringify(failed.body)).not.toMatch(/at .*\.(js|ts):\d+/);

    fake.failNext({ method: 'POST', path: '/v1/containers', status: 'drop' });
    const unreachable = await create(owner.accessToken, { name: 'upstream-down' });
    expect(unreachable.status).toBe(503);
    expect(unreachable.body.message).toMatch(/unreachable/);

    fake.failNext({ method: 'POST', path: '/v1/containers', status: 400, message: 'Invalid file id' });
    const refused = await create(owner.accessToken, { name: 'upstream-400', file_ids: ['file_nope'] });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('Invalid file id');

    expect((await list(owner.accessToken, '?limit=1')).body.total).toBe(before);
    const stored = await t.stack.kernel.database.prisma.container.count({
      where: { tenantId: owner.tenantId, name: { startsWith: 'upstream-' } },
    });
    expect(stored).toBe(0);

    // A failed remote delete changes nothing here either.
    const kept = await create(owner.accessToken, { name: 'kept' });
    fake.failNext({ method: 'DELETE', status: 500 });
    const del = await t.rest<ErrorBody>('DELETE', `${CONTAINERS}/${kept.body.id}`, {
      token: owner.accessToken,
    });
    expect(del.status).toBe(502);
    expect(contractProblems('DELETE', `${CONTAINERS}/{container_id}`, 502, del.body)).toEqual([]);
    expect((await t.rest('GET', `${CONTAINERS}/${kept.body.id}`, { token: owner.accessToken })).status).toBe(
      200,
    );
  });
});

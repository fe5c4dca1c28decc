/**
 * Vector stores (legacy /api/v1/vector-stores) on the platform's own pgvector store, through REST
 * (checked against the legacy contract) and GraphQL: CRUD with the per-tenant limit and 409s, roles,
 * a second tenant (404 on every route, nothing in its lists), bindings, bad input; the attribute
 * filters' SQL as a table of cases over a scratch table of the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../../generated/prisma/client.js';
import { AttributeFilter, attributeFilterSql } from '../../../subgraphs/knowledge/search/filters.js';
import { contractProblems } from '../../kit/contract.js';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { tenantWithRoles } from '../tenancy-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;

const MAX_STORES = 4;

interface StoreBody {
  id: string;
  openai_id: string;
  tenant_id: string;
  owner_user_id: string | null;
  name: string;
  description: string | null;
  status: string;
  usage_bytes: number;
  expires_after: unknown;
  expires_at: string | null;
  last_active_at: string | null;
  metadata: Record<string, unknown>;
}
interface ErrorBody {
  success: false;
  error: string;
  message: string;
  details: { loc: unknown[]; type: string }[] | null;
}

const BASE = '/api/v1/vector-stores';
const STORE = `${BASE}/{vector_store_id}`;
const FILES = `${STORE}/files`;
const FILE = `${STORE}/files/{file_id}`;
const SEARCH = `${STORE}/search`;
const BINDING = `${STORE}/bindings/{agent_key}`;

/** A REST call whose answer is checked against the contract's operation (template) and status. */
async function call<T = StoreBody & ErrorBody>(
  method: string,
  template: string,
  params: Record<string, string>,
  options: { token: string; body?: unknown; query?: string },
) {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
  const res = await t.rest<T>(method, `${path}${options.query ?? ''}`, {
    token: options.token,
    body: options.body,
  });
  expect(contractProblems(method, template, res.status, res.body)).toEqual([]);
  return res;
}

const create = (token: string, body: unknown) => call('POST', BASE, {}, { token, body });
const list = (token: string, query = '') =>
  call<{ items: StoreBody[]; total: number }>('GET', BASE, {}, { token, query });

beforeAll(async () => {
  t = await bootStack({ VECTOR_MAX_STORES_PER_TENANT: String(MAX_STORES) });
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

describe('vector stores', () => {
  it('creates (201), lists, gets and deletes (204) a store; the name is unique per tenant', async () => {
    const { owner } = tenants;
    const made = await create(owner.accessToken, {
      name: 'Handbook',
      description: 'Company handbook',
      metadata: { team: 'hr' },
      expires_after: { anchor: 'last_active_at', days: 7 },
    });
    expect(made.status).toBe(201);
    const store = made.body;
    expect(store).toMatchObject({
      name: 'Handbook',
      description: 'Company handbook',
      tenant_id: owner.tenantId,
      owner_user_id: owner.userId,
      status: 'completed',
      usage_bytes: 0,
      metadata: { team: 'hr' },
      expires_after: { anchor: 'last_active_at', days: 7 },
      openai_id: `vs_${store.id.replaceAll('-', '')}`,
    });
    const activeAt = Date.parse(store.last_active_at ?? '');
    expect(Date.parse(store.expires_at ?? '') - activeAt).toBe(7 * 86_400_000);

    const got = await call('GET', STORE, { vector_store_id: store.id }, { token: owner.accessToken });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(store);

    const listed = await list(owner.accessToken);
    expect(listed.body.items.map((s) => s.id)).toContain(store.id);

    const dup = await create(owner.accessToken, { name: 'Handbook' });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toBe('A vector store named "Handbook" already exists.');
    // Another tenant may use the name.
    const elsewhere = await create(tenants.other.accessToken, { name: 'Handbook' });
    expect(elsewhere.status).toBe(201);

    const deleted = await call('DELETE', STORE, { vector_store_id: store.id }, { token: owner.accessToken });
    expect(deleted.status).toBe(204);
    const gone = await call('GET', STORE, { vector_store_id: store.id }, { token: owner.accessToken });
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe('Vector store not found');
    const again = await call('DELETE', STORE, { vector_store_id: store.id }, { token: owner.accessToken });
    expect(again.status).toBe(404);
    await call('DELETE', STORE, { vector_store_id: elsewhere.body.id }, { token: tenants.other.accessToken });
  });

  it('stops at VECTOR_MAX_STORES_PER_TENANT (403), pages with limit/offset and counts the total', async () => {
    const { owner } = await (async () => ({ owner: await t.register() }))();
    const ids: string[] = [];
    for (let i = 0; i < MAX_STORES; i++) {
      const r = await create(owner.accessToken, { name: `store-${i}` });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const over = await create(owner.accessToken, { name: 'one too many' });
    expect(over.status).toBe(403);
    expect(over.body.message).toContain(`at most ${MAX_STORES} vector stores`);

    const page = await list(owner.accessToken, '?limit=2&offset=1');
    expect(page.body.total).toBe(MAX_STORES);
    expect(page.body.items.map((s) => s.id)).toEqual([ids[2], ids[1]]); // newest first
    const bad = await list(owner.accessToken, '?limit=0');
    expect(bad.status).toBe(422);
    expect((bad.body as unknown as ErrorBody).details?.[0]?.loc).toEqual(['query', 'limit']);

    // Deleting one frees a place.
    await call('DELETE', STORE, { vector_store_id: ids[0] as string }, { token: owner.accessToken });
    expect((await create(owner.accessToken, { name: 'one too many' })).status).toBe(201);
  });

  it('owners and admins manage stores; members and viewers read them (403 on writes)', async () => {
    const { owner, admin, member, viewer } = tenants;
    const byAdmin = await create(admin.token, { name: 'by admin' });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.owner_user_id).toBe(admin.userId);
    const id = byAdmin.body.id;
    for (const reader of [member, viewer]) {
      const denied = await create(reader.token, { name: 'by reader' });
      expect(denied.status).toBe(403);
      expect(denied.body.error).toBeDefined();
      expect((await call('GET', STORE, { vector_store_id: id }, { token: reader.token })).status).toBe(200);
      expect((await list(reader.token)).body.items.map((s) => s.id)).toContain(id);
      expect((await call('DELETE', STORE, { vector_store_id: id }, { token: reader.token })).status).toBe(
        403,
      );
      const bind = await call(
        'POST',
        BINDING,
        { vector_store_id: id, agent_key: 'triage' },
        { token: reader.token },
      );
      expect(bind.status).toBe(403);
      const unbind = await call(
        'DELETE',
        BINDING,
        { vector_store_id: id, agent_key: 'triage' },
        { token: reader.token },
      );
      expect(unbind.status).toBe(403);
    }
    expect((await call('DELETE', STORE, { vector_store_id: id }, { token: owner.accessToken })).status).toBe(
      204,
    );
  });

  it('answers 422 in the envelope for bad input', async () => {
    const { owner } = tenants;
    const cases: [unknown, unknown[], string][] = [
      [{}, ['body', 'name'], 'missing'],
      [{ name: '' }, ['body', 'name'], 'string_too_short'],
      [{ name: 'x'.repeat(129) }, ['body', 'name'], 'string_too_long'],
      [{ name: 'x', metadata: [1] }, ['body', 'metadata'], ''],
      [
        { name: 'x', expires_after: { anchor: 'created_at', days: 1 } },
        ['body', 'expires_after', 'anchor'],
        '',
      ],
      [
        { name: 'x', expires_after: { anchor: 'last_active_at', days: 0 } },
        ['body', 'expires_after', 'days'],
        '',
      ],
      [{ name: 'x', surprise: true }, ['body', 'surprise'], 'extra_forbidden'],
    ];
    for (const [body, loc, type] of cases) {
      const res = await create(owner.accessToken, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.success).toBe(false);
      const d = res.body.details?.find((x) => JSON.stringify(x.loc) === JSON.stringify(loc));
      expect(d, `${JSON.stringify(body)} → ${JSON.stringify(res.body.details)}`).toBeDefined();
      if (type) {
        expect(d?.type).toBe(type);
      }
    }
    const badId = await call('GET', STORE, { vector_store_id: 'not-a-uuid' }, { token: owner.accessToken });
    expect(badId.status).toBe(422);
    expect(badId.body.details?.[0]?.loc).toEqual(['path', 'vector_store_id']);
    const noToken = await t.rest('GET', BASE);
    expect(noToken.status).toBe(401);
  });

  it('binds one store per agent key (upsert, 204), unbinds idempotently; GraphQL shows the binding', async () => {
    const { owner } = tenants;
    const a = (await create(owner.accessToken, { name: 'bind a' })).body.id;
    const b = (await create(owner.accessToken, { name: 'bind b' })).body.id;
    const bound = (agentKey: string) =>
      t.gql<{ agentVectorStore: { id: string; agentKeys: string[]; openaiId: string } | null }>(
        'query($k: String!) { agentVectorStore(agentKey: $k) { id agentKeys openaiId } }',
        { k: agentKey },
        owner.accessToken,
      );
    expect(
      (await call('POST', BINDING, { vector_store_id: a, agent_key: 'triage' }, { token: owner.accessToken }))
        .status,
    ).toBe(204);
    expect((await bound('triage')).data?.agentVectorStore).toEqual({
      id: a,
      agentKeys: ['triage'],
      openaiId: `vs_${a.replaceAll('-', '')}`,
    });
    // Binding the agent to another store replaces the first.
    expect(
      (await call('POST', BINDING, { vector_store_id: b, agent_key: 'triage' }, { token: owner.accessToken }))
        .status,
    ).toBe(204);
    expect((await bound('triage')).data?.agentVectorStore?.id).toBe(b);
    // Unbinding from the store it is not bound to changes nothing; from its store removes it.
    expect(
      (
        await call(
          'DELETE',
          BINDING,
          { vector_store_id: a, agent_key: 'triage' },
          { token: owner.accessToken },
        )
      ).status,
    ).toBe(204);
    expect((await bound('triage')).data?.agentVectorStore?.id).toBe(b);
    expect(
      (
        await call(
          'DELETE',
          BINDING,
          { vector_store_id: b, agent_key: 'triage' },
          { token: owner.accessToken },
        )
      ).status,
    ).toBe(204);
    expect((await bound('triage')).data?.agentVectorStore).toBeNull();
    expect(
      (
        await call(
          'DELETE',
          BINDING,
          { vector_store_id: b, agent_key: 'triage' },
          { token: owner.accessToken },
        )
      ).status,
    ).toBe(204);

    // Deleting a store drops its bindings.
    await call(
      'POST',
      BINDING,
      { vector_store_id: a, agent_key: 'code_assistant' },
      { token: owner.accessToken },
    );
    await call('DELETE', STORE, { vector_store_id: a }, { token: owner.accessToken });
    expect((await bound('code_assistant')).data?.agentVectorStore).toBeNull();

    const badKey = await call(
      'POST',
      BINDING,
      { vector_store_id: b, agent_key: 'Not A Key' },
      { token: owner.accessToken },
    );
    expect(badKey.status).toBe(422);
    expect(badKey.body.details?.[0]?.loc).toEqual(['path', 'agent_key']);
    const unknown = await call(
      'POST',
      BINDING,
      { vector_store_id: '00000000-0000-4000-8000-000000000000', agent_key: 'triage' },
      { token: owner.accessToken },
    );
    expect(unknown.status).toBe(404);
    await call('DELETE', STORE, { vector_store_id: b }, { token: owner.accessToken });
  });

  it('a second tenant sees none of it: 404 on every route, nothing in its lists', async () => {
    const { owner, other } = tenants;
    const store = (await create(owner.accessToken, { name: 'private' })).body;
    const p = {
      vector_store_id: store.id,
      file_id: '00000000-0000-4000-8000-000000000001',
      agent_key: 'triage',
    };
    const token = other.accessToken;
    const routes: [string, string, unknown?][] = [
      ['GET', STORE],
      ['DELETE', STORE],
      ['POST', BINDING],
      ['DELETE', BINDING],
      ...((await hasFileRoutes())
        ? ([
            ['POST', FILES, { file_id: p.file_id }],
            ['GET', FILES],
            ['GET', FILE],
            ['DELETE', FILE],
            ['POST', SEARCH, { query: 'anything' }],
          ] as [string, string, unknown?][])
        : []),
    ];
    for (const [method, template, body] of routes) {
      const res = await call(method, template, p, { token, body });
      expect(res.status, `${method} ${template}`).toBe(404);
      expect(res.body.message).toBe('Vector store not found');
    }
    expect((await list(token)).body.items.map((s) => s.id)).not.toContain(store.id);
    const gql = await t.gql<{ vectorStore: unknown }>(
      'query($id: ID!) { vectorStore(vectorStoreId: $id) { id } }',
      { id: store.id },
      token,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // Still there for its owner.
    expect(
      (await call('GET', STORE, { vector_store_id: store.id }, { token: owner.accessToken })).status,
    ).toBe(200);
    await call('DELETE', STORE, { vector_store_id: store.id }, { token: owner.accessToken });
  });
});

/** Whether the file and search routes are served (they need the knowledge files API). */
async function hasFileRoutes(): Promise<boolean> {
  const res = await t.rest('GET', '/api/v1/openapi.json');
  return Boolean((res.body as { paths: Record<string, unknown> }).paths[SEARCH]);
}

describe('attribute filters (SQL over JSONB)', () => {
  const ROWS: Record<string, Record<string, unknown>> = {
    a: { team: 'red', year: 2023, draft: true, code: '1', date: '2024-01-05', score: 0.5 },
    b: { team: 'blue', year: 2024, draft: false, code: 1, date: '2023-12-31' },
    c: { team: 'red', year: '2025', code: 1.0 },
    d: {},
  };
  beforeAll(async () => {
    const db = t.stack.kernel.database.prisma;
    await db.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS filter_scratch (name text PRIMARY KEY, attrs jsonb NOT NULL)',
    );
    for (const [name, attrs] of Object.entries(ROWS)) {
      await db.$executeRaw`INSERT INTO filter_scratch VALUES (${name}, ${JSON.stringify(attrs)}::jsonb) ON CONFLICT DO NOTHING`;
    }
  });

  const eq = (key: string, value: unknown) => ({ type: 'eq', key, value });
  /** [filter, the rows it keeps]. */
  const CASES: [string, unknown, string][] = [
    ['eq string', eq('team', 'red'), 'ac'],
    ['eq number', eq('year', 2023), 'a'],
    ['eq boolean', eq('draft', false), 'b'],
    ['eq: "1" is not 1', eq('code', '1'), 'a'],
    ['eq: 1 is 1.0', eq('code', 1), 'bc'],
    ['eq: a missing key is never equal', eq('nope', 'x'), ''],
    ['ne (true for a missing key)', { type: 'ne', key: 'team', value: 'red' }, 'bd'],
    ['ne number vs string', { type: 'ne', key: 'year', value: 2025 }, 'abcd'],
    ['gt number: only JSON numbers', { type: 'gt', key: 'year', value: 2023 }, 'b'],
    ['gte number', { type: 'gte', key: 'year', value: 2023 }, 'ab'],
    ['lt number', { type: 'lt', key: 'score', value: 1 }, 'a'],
    ['lte number', { type: 'lte', key: 'year', value: 2023.5 }, 'a'],
    ['gt string (ISO dates): only JSON strings', { type: 'gt', key: 'date', value: '2024-01-01' }, 'a'],
    ['lt string', { type: 'lt', key: 'year', value: '3000' }, 'c'],
    ['in', { type: 'in', key: 'team', value: ['red', 'green'] }, 'ac'],
    ['in mixed types', { type: 'in', key: 'code', value: [1, 'x'] }, 'bc'],
    ['in empty', { type: 'in', key: 'team', value: [] }, ''],
    ['nin (true for a missing key)', { type: 'nin', key: 'code', value: [1] }, 'ad'],
    ['and', { type: 'and', filters: [eq('team', 'red'), { type: 'gte', key: 'year', value: 2000 }] }, 'a'],
    ['or', { type: 'or', filters: [eq('team', 'blue'), eq('draft', true)] }, 'ab'],
    [
      'nested',
      {
        type: 'or',
        filters: [
          { type: 'and', filters: [eq('team', 'red'), { type: 'nin', key: 'year', value: [2023] }] },
          {
            type: 'and',
            filters: [
              { type: 'ne', key: 'team', value: 'red' },
              { type: 'ne', key: 'team', value: 'blue' },
            ],
          },
        ],
      },
      'cd',
    ],
    [
      'a quote in a key or value stays data',
      eq('te\'am"); DROP TABLE filter_scratch; --', "x' OR '1'='1"),
      '',
    ],
  ];
  it.each(CASES)('%s', async (_name, filter, expected) => {
    const parsed = AttributeFilter.parse(filter);
    const rows = await t.stack.kernel.database.prisma.$queryRaw<{ name: string }[]>`
      SELECT name FROM filter_scratch WHERE ${attributeFilterSql(parsed, Prisma.sql`attrs`)} ORDER BY name`;
    expect(rows.map((r) => r.name).join('')).toBe(expected);
  });

  const deep = (levels: number): unknown =>
    levels <= 1 ? eq('team', 'red') : { type: 'and', filters: [deep(levels - 1)] };
  const INVALID: [string, unknown][] = [
    ['unknown type', { type: 'like', key: 'team', value: 'r%' }],
    ['gt on a boolean', { type: 'gt', key: 'draft', value: true }],
    ['in without a list', { type: 'in', key: 'team', value: 'red' }],
    ['eq with a list', { type: 'eq', key: 'team', value: ['red'] }],
    ['eq with an object', { type: 'eq', key: 'team', value: { a: 1 } }],
    ['empty key', eq('', 'x')],
    ['extra field', { type: 'eq', key: 'team', value: 'red', extra: 1 }],
    ['empty compound', { type: 'and', filters: [] }],
    ['deeper than 5', deep(6)],
    [
      'more than 50 conditions',
      {
        type: 'or',
        filters: Array.from({ length: 26 }, () => ({ type: 'and', filters: [eq('a', 1), eq('b', 2)] })),
      },
    ],
  ];
  it.each(INVALID)('refuses %s', (_name, filter) => {
    expect(AttributeFilter.safeParse(filter).success).toBe(false);
  });
  it('accepts depth 5 and 50 conditions', () => {
    expect(AttributeFilter.safeParse(deep(5)).success).toBe(true);
    expect(
      AttributeFilter.safeParse({ type: 'or', filters: Array.from({ length: 50 }, () => eq('a', 1)) })
        .success,
    ).toBe(true);
  });
});

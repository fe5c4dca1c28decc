/**
 * Vector stores (legacy /api/v1/vector-stores) on the platform's own pgvector store, through REST
 * (checked against the legacy contract) and GraphQL: CRUD with the per-tenant limit and 409s, roles,
 * a second tenant (404 on every route, nothing in its lists), bindings, bad input; the attribute
 * filters' SQL as a table of cases over a scratch table of the same database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  t = await bootStack({
    VECTOR_MAX_STORES_PER_TENANT: String(MAX_STORES),
    VECTOR_MAX_FILES_PER_STORE: '3',
    VECTOR_MAX_FILE_MB: '2',
  });
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

interface FileBody {
  id: string;
  openai_file_id: string;
  vector_store_id: string;
  filename: string;
  mime_type: string | null;
  size_bytes: number | null;
  usage_bytes: number;
  status: string;
  attributes: Record<string, unknown>;
  chunking_strategy: unknown;
  last_error: string | null;
}
interface SearchBody {
  object: string;
  search_query: string;
  data: {
    file_id: string;
    filename: string;
    score: number;
    attributes: unknown;
    content: { type: string; text: string }[];
  }[];
  has_more: boolean;
  next_page: string | null;
}

/**
 * A knowledge file of the tenant written straight to the table (as the ingest leaves it: `ready`
 * with its passages, or another state), so the store's logic is tested apart from extraction.
 */
async function knowledgeFile(
  tenantId: string,
  o: {
    filename: string;
    status?: string;
    passages?: string[];
    mimeType?: string;
    sizeBytes?: number;
    error?: string;
  },
): Promise<string> {
  const db = t.stack.kernel.database.prisma;
  const file = await db.knowledgeFile.create({
    data: {
      tenantId,
      filename: o.filename,
      mimeType: o.mimeType ?? 'text/plain',
      sizeBytes: o.sizeBytes ?? 100,
      checksumSha256: '0'.repeat(64),
      blobKey: `${tenantId}/files/test/${o.filename}`,
      status: o.status ?? 'ready',
      error: o.error ?? null,
      chunking: { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
      chunkCount: o.passages?.length ?? 0,
    },
  });
  for (const [ordinal, text] of (o.passages ?? []).entries()) {
    await db.knowledgeChunk.create({ data: { tenantId, fileId: file.id, ordinal, text, tokenCount: 10 } });
  }
  return file.id;
}

describe('vector store files and search', () => {
  it('adds files (201) with attributes, lists them by status, gets and removes them (204)', async () => {
    const { owner, viewer } = tenants;
    const token = owner.accessToken;
    const store = (await create(token, { name: 'files' })).body.id;
    const ready = await knowledgeFile(owner.tenantId, {
      filename: 'ready.txt',
      sizeBytes: 300,
      passages: ['alpha'],
    });
    const failed = await knowledgeFile(owner.tenantId, {
      filename: 'bad.txt',
      status: 'failed',
      error: 'unreadable',
    });
    const busy = await knowledgeFile(owner.tenantId, {
      filename: 'busy.txt',
      status: 'processing',
      sizeBytes: 50,
    });

    const add = (body: unknown, as = token) =>
      call<FileBody & ErrorBody>('POST', FILES, { vector_store_id: store }, { token: as, body });
    const added = await add({ file_id: ready, attributes: { team: 'red', year: 2024, public: true } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      openai_file_id: ready,
      vector_store_id: store,
      filename: 'ready.txt',
      mime_type: 'text/plain',
      size_bytes: 300,
      usage_bytes: 300,
      status: 'completed', // ready with the same chunking: not ingested again
      attributes: { team: 'red', year: 2024, public: true },
      chunking_strategy: {
        type: 'static',
        static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 },
      },
      last_error: null,
    });
    const dup = await add({ file_id: ready });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toBe('File already attached to this vector store');

    expect((await add({ file_id: busy })).body.status).toBe('in_progress');
    // A failed file is queued again when added.
    expect((await add({ file_id: failed })).body.status).toBe('in_progress');

    const st = await call('GET', STORE, { vector_store_id: store }, { token });
    expect(st.body).toMatchObject({ usage_bytes: 300 + 100 + 50 });

    const listFiles = async (query = '') =>
      (
        await call<{ items: FileBody[]; total: number }>(
          'GET',
          FILES,
          { vector_store_id: store },
          { token: viewer.token, query },
        )
      ).body;
    expect((await listFiles()).total).toBe(3);
    expect((await listFiles('?status=completed')).items.map((f) => f.openai_file_id)).toEqual([ready]);
    // The ingest worker is live: the two queued files (seeded without bytes) move on to failed as it
    // gets to them, so they are in one of the two lists.
    const moving = [
      ...(await listFiles('?status=in_progress')).items,
      ...(await listFiles('?status=failed')).items,
    ].map((f) => f.openai_file_id);
    expect(moving.sort()).toEqual([busy, failed].sort());
    expect((await listFiles('?status=cancelled')).total).toBe(0);
    expect((await listFiles('?limit=1&offset=1')).items).toHaveLength(1);
    const badStatus = await call('GET', FILES, { vector_store_id: store }, { token, query: '?status=done' });
    expect(badStatus.status).toBe(422);
    expect(badStatus.body.details?.[0]?.loc).toEqual(['query', 'status']);

    const got = await call<FileBody & ErrorBody>(
      'GET',
      FILE,
      { vector_store_id: store, file_id: ready },
      { token: viewer.token },
    );
    expect(got.body.attributes).toEqual({ team: 'red', year: 2024, public: true });
    // The entry's own id finds it too.
    expect(
      (await call<FileBody>('GET', FILE, { vector_store_id: store, file_id: got.body.id }, { token })).body
        .openai_file_id,
    ).toBe(ready);
    const missing = await call('GET', FILE, { vector_store_id: store, file_id: 'file-abc' }, { token });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('File not found');

    expect(
      (await call('DELETE', FILE, { vector_store_id: store, file_id: busy }, { token: viewer.token })).status,
    ).toBe(403);
    expect((await call('DELETE', FILE, { vector_store_id: store, file_id: busy }, { token })).status).toBe(
      204,
    );
    expect((await call('DELETE', FILE, { vector_store_id: store, file_id: busy }, { token })).status).toBe(
      404,
    );
    // The platform file stays.
    expect(await t.stack.kernel.database.prisma.knowledgeFile.count({ where: { id: busy } })).toBe(1);
    // Deleting the store removes its links, not the files.
    await call('DELETE', STORE, { vector_store_id: store }, { token });
    expect(
      await t.stack.kernel.database.prisma.vectorStoreFile.count({ where: { vectorStoreId: store } }),
    ).toBe(0);
    expect(await t.stack.kernel.database.prisma.knowledgeFile.count({ where: { id: ready } })).toBe(1);
  });

  it('refuses files it cannot take: unknown or foreign (404), unreadable type or too big (400), bad attributes (422), a full store (403)', async () => {
    const { owner, other, member } = tenants;
    const token = owner.accessToken;
    const store = (await create(token, { name: 'refusals' })).body.id;
    const add = (body: unknown, as = token) =>
      call<FileBody & ErrorBody>('POST', FILES, { vector_store_id: store }, { token: as, body });
    const foreign = await knowledgeFile(other.tenantId, { filename: 'theirs.txt' });
    expect((await add({ file_id: foreign })).status).toBe(404);
    expect((await add({ file_id: 'file-unknown' })).status).toBe(404);
    const image = await knowledgeFile(owner.tenantId, { filename: 'cat.png', mimeType: 'image/png' });
    const png = await add({ file_id: image });
    expect(png.status).toBe(400);
    expect(png.body.message).toContain('image/png');
    const huge = await knowledgeFile(owner.tenantId, { filename: 'huge.txt', sizeBytes: 3 * 1024 * 1024 });
    const big = await add({ file_id: huge });
    expect(big.status).toBe(400);
    expect(big.body.message).toContain('File too large');
    const ok = await knowledgeFile(owner.tenantId, { filename: 'ok.txt' });
    expect((await add({ file_id: ok }, member.token)).status).toBe(403);
    const badAttrs: unknown[] = [
      { nested: { a: 1 } },
      Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      { ['k'.repeat(65)]: 1 },
      { list: [1, 2] },
    ];
    for (const attributes of badAttrs) {
      const r = await add({ file_id: ok, attributes });
      expect(r.status, JSON.stringify(attributes)).toBe(422);
      expect(r.body.details?.[0]?.loc?.slice(0, 2)).toEqual(['body', 'attributes']);
    }
    const badChunking = await add({
      file_id: ok,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } },
    });
    expect(badChunking.status).toBe(422);
    expect(badChunking.body.details?.[0]?.loc?.slice(0, 2)).toEqual(['body', 'chunking_strategy']);
    // A static chunking other than the file's re-ingests it.
    const rechunk = await add({
      file_id: ok,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } },
    });
    expect(rechunk.status).toBe(201);
    expect(rechunk.body.status).toBe('in_progress');
    expect(rechunk.body.chunking_strategy).toEqual({
      type: 'static',
      static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 },
    });
    // Store full (VECTOR_MAX_FILES_PER_STORE = 3 on this stack).
    for (const name of ['second.txt', 'third.txt']) {
      const more = await knowledgeFile(owner.tenantId, { filename: name });
      expect((await add({ file_id: more })).status).toBe(201);
    }
    const fourth = await knowledgeFile(owner.tenantId, { filename: 'fourth.txt' });
    const full = await add({ file_id: fourth });
    expect(full.status).toBe(403);
    expect(full.body.message).toContain('at most 3 files');
    await call('DELETE', STORE, { vector_store_id: store }, { token });
  });

  it('searches the completed files, one result per passage, narrowed by attribute filters', async () => {
    const { owner, viewer } = tenants;
    const token = owner.accessToken;
    const store = (await create(token, { name: 'search' })).body.id;
    const files = {
      red: await knowledgeFile(owner.tenantId, {
        filename: 'red.txt',
        passages: ['The refund policy allows returns within thirty days.', 'Shipping takes five days.'],
      }),
      blue: await knowledgeFile(owner.tenantId, {
        filename: 'blue.txt',
        passages: ['Our refund policy for enterprise customers is custom.'],
      }),
      busy: await knowledgeFile(owner.tenantId, {
        filename: 'busy.txt',
        status: 'processing',
        passages: ['refund policy draft'],
      }),
      outside: await knowledgeFile(owner.tenantId, {
        filename: 'outside.txt',
        passages: ['refund policy not in the store'],
      }),
    };
    const add = (file_id: string, attributes: Record<string, unknown>) =>
      call('POST', FILES, { vector_store_id: store }, { token, body: { file_id, attributes } });
    await add(files.red, { team: 'red', year: 2023, region: 'eu' });
    await add(files.blue, { team: 'blue', year: 2025 });
    await add(files.busy, { team: 'red', year: 2024 });

    const search = async (body: Record<string, unknown>, as = viewer.token) => {
      const r = await call<SearchBody & ErrorBody>(
        'POST',
        SEARCH,
        { vector_store_id: store },
        { token: as, body },
      );
      return r;
    };
    const all = await search({ query: 'refund policy' });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({
      object: 'vector_store.search_results.page',
      search_query: 'refund policy',
      has_more: false,
      next_page: null,
    });
    const found = (b: SearchBody) => b.data.map((d) => d.filename).sort();
    // Only completed files of the store: not the processing one, not the file outside it.
    expect(found(all.body)).toEqual(['blue.txt', 'red.txt']);
    const red = all.body.data.find((d) => d.filename === 'red.txt');
    expect(red).toMatchObject({
      file_id: files.red,
      attributes: { team: 'red', year: 2023, region: 'eu' },
      content: [{ type: 'text', text: 'The refund policy allows returns within thirty days.' }],
    });
    expect(red?.score).toBeGreaterThan(0);
    expect(red?.score).toBeLessThanOrEqual(1);

    const FILTERED: [string, unknown, string[]][] = [
      ['eq', { type: 'eq', key: 'team', value: 'red' }, ['red.txt']],
      ['ne', { type: 'ne', key: 'team', value: 'red' }, ['blue.txt']],
      ['gt', { type: 'gt', key: 'year', value: 2023 }, ['blue.txt']],
      ['in', { type: 'in', key: 'team', value: ['blue', 'green'] }, ['blue.txt']],
      ['nin (missing key)', { type: 'nin', key: 'region', value: ['eu'] }, ['blue.txt']],
      [
        'and',
        {
          type: 'and',
          filters: [
            { type: 'eq', key: 'team', value: 'red' },
            { type: 'lt', key: 'year', value: 2023 },
          ],
        },
        [],
      ],
      [
        'or',
        {
          type: 'or',
          filters: [
            { type: 'eq', key: 'region', value: 'eu' },
            { type: 'gte', key: 'year', value: 2025 },
          ],
        },
        ['blue.txt', 'red.txt'],
      ],
    ];
    for (const [name, filters, expected] of FILTERED) {
      const r = await search({ query: 'refund policy', filters });
      expect(r.status, name).toBe(200);
      expect(found(r.body), name).toEqual(expected);
    }

    // A list of queries: each is searched, a passage keeps its best score; max_num_results caps.
    const many = await search({ query: ['shipping', 'refund'], max_num_results: 2 });
    expect(many.body.search_query).toBe('shipping refund');
    expect(many.body.data).toHaveLength(2);
    const one = await search({
      query: 'shipping days',
      max_num_results: 1,
      rewrite_query: true,
      ranking_options: { ranker: 'auto' },
    });
    expect(one.body.data.map((d) => d.content[0]?.text)).toEqual(['Shipping takes five days.']);
    expect(
      (await search({ query: 'refund policy', ranking_options: { score_threshold: 1 } })).body.data,
    ).toEqual([]);

    const BAD: [unknown, unknown[]][] = [
      [{}, ['body', 'query']],
      [{ query: '' }, ['body', 'query']],
      [{ query: [] }, ['body', 'query']],
      [{ query: 'x', max_num_results: 0 }, ['body', 'max_num_results']],
      [{ query: 'x', max_num_results: 51 }, ['body', 'max_num_results']],
      [{ query: 'x', ranking_options: { score_threshold: 2 } }, ['body', 'ranking_options']],
      [{ query: 'x', filters: { type: 'like', key: 'a', value: 'b' } }, ['body', 'filters']],
    ];
    for (const [body, loc] of BAD) {
      const r = await search(body as Record<string, unknown>);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.details?.[0]?.loc?.slice(0, 2), JSON.stringify(r.body.details)).toEqual(loc);
    }
    await call('DELETE', STORE, { vector_store_id: store }, { token });
  });
});

/** Whether the knowledge files API (multipart upload) is in this build's REST face. */
const FILES_API = '/api/tenants/{tenant_id}/files';
const hasFilesApi = Boolean(
  (
    JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', '..', 'schema', 'openapi.json'), 'utf8'),
    ) as {
      paths: Record<string, unknown>;
    }
  ).paths[FILES_API],
);

describe.skipIf(!hasFilesApi)('end to end: an uploaded file is ingested and searched', () => {
  it('uploads through the files API, adds it to a store, waits for completed, finds the passage, filters narrow it', async () => {
    const { owner } = tenants;
    const token = owner.accessToken;
    const upload = async (filename: string, text: string) => {
      const form = new FormData();
      form.append('file', new Blob([text], { type: 'text/plain' }), filename);
      const res = await fetch(`${t.url}/api/tenants/${owner.tenantId}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      const body = (await res.json()) as { id?: string; file_id?: string };
      expect(res.status, JSON.stringify(body)).toBe(201);
      return (body.id ?? body.file_id) as string;
    };
    const penguins = await upload(
      'penguins.txt',
      'Emperor penguins breed during the Antarctic winter.\n\nThe male keeps the egg warm on its feet for two months.',
    );
    const volcanoes = await upload(
      'volcanoes.txt',
      'Shield volcanoes are built by fluid basaltic lava flows.',
    );
    const store = (await create(token, { name: 'e2e' })).body.id;
    for (const [file_id, attributes] of [
      [penguins, { topic: 'birds' }],
      [volcanoes, { topic: 'geology' }],
    ] as const) {
      const added = await call<FileBody>(
        'POST',
        FILES,
        { vector_store_id: store },
        { token, body: { file_id, attributes } },
      );
      expect(added.status).toBe(201);
      expect(['in_progress', 'completed']).toContain(added.body.status);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const files = await call<{ items: FileBody[] }>('GET', FILES, { vector_store_id: store }, { token });
      const statuses = files.body.items.map((f) => f.status);
      expect(statuses).not.toContain('failed');
      if (statuses.every((s) => s === 'completed')) {
        break;
      }
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 200));
    }
    const st = await call('GET', STORE, { vector_store_id: store }, { token });
    expect(st.body.status).toBe('completed');

    const search = (body: unknown) =>
      call<SearchBody>('POST', SEARCH, { vector_store_id: store }, { token, body });
    const hit = await search({ query: 'Which penguins breed in the Antarctic winter?' });
    expect(hit.body.data[0]?.file_id).toBe(penguins);
    expect(hit.body.data[0]?.content[0]?.text).toContain('Emperor penguins');
    expect(hit.body.data[0]?.attributes).toEqual({ topic: 'birds' });
    const geology = await search({
      query: 'Which penguins breed in the Antarctic winter?',
      filters: { type: 'eq', key: 'topic', value: 'geology' },
    });
    expect(geology.body.data.every((d) => d.file_id === volcanoes)).toBe(true);
    await call('DELETE', STORE, { vector_store_id: store }, { token });
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

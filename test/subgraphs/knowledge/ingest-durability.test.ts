import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, fakeFileKey, startFakeOpenAI } from '../../fakes/openai.js';
import { type FakeS3, startFakeS3 } from '../../fakes/s3.js';
import { ingest, upload, waitForFile } from '../../kit/knowledge.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';

/**
 * Ingest across restarts, the embedding space guard and `npm run knowledge:reembed`, OpenAI
 * embeddings through the double, files on S3, the agent's knowledge_search in a chat turn, and the
 * container file download. Each stack here has a database of its own (PGlite), since they change
 * the embedding model.
 */

const fakes: { close(): Promise<void> }[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

const guide = `# Lighthouse manual

The lamp is lit thirty minutes before sunset and the lens is polished every Tuesday.
`;

async function searchText(t: TestStack, account: Account, query: string) {
  return t.rest<{ results: { file_id: string; text: string }[]; message?: string }>(
    'POST',
    `/api/tenants/${account.tenantId}/search`,
    { token: account.accessToken, body: { query, top_k: 3 } },
  );
}

describe('ingest across a restart, and a change of embedding model', () => {
  it('resumes an ingest cut by a restart; refuses another model until re-embedded', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-test' });
    fakes.push(fake);
    const dataDir = mkdtempSync(join(tmpdir(), 'kb-restart-'));
    dirs.push(dataDir);
    const openaiEnv = {
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_MAX_RETRIES: '0',
      EMBEDDINGS_PROVIDER: 'openai',
      EMBEDDINGS_MODEL: 'text-embedding-3-small',
    };
    let t = await bootStack(openaiEnv);
    const owner = await t.register();
    const up = await upload(t, owner, 'manual.md', new TextEncoder().encode(guide), 'text/markdown');
    expect(up.status).toBe(201);
    // The provider stalls: the ingest is mid-embedding when the platform stops.
    fake.failNext({ path: '/v1/embeddings', delayMs: 30_000, times: 1 });
    const started = await t.rest('POST', `/api/tenants/${owner.tenantId}/files/${up.body.id}/ingest`, {
      token: owner.accessToken,
      body: {},
    });
    expect(started.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (fake.calls('POST', '/v1/embeddings').length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(fake.calls('POST', '/v1/embeddings')).toHaveLength(1);
    await t.close();

    t = await bootStack(openaiEnv);
    const ready = await waitForFile(t, owner, up.body.id);
    expect(ready).toMatchObject({ status: 'ready', error: null });
    expect(fake.calls('POST', '/v1/embeddings').length).toBeGreaterThanOrEqual(2);
    expect(fake.calls('POST', '/v1/embeddings')[1]?.body).toMatchObject({
      model: 'text-embedding-3-small',
      dimensions: 384,
    });
    const found = await searchText(t, owner, 'when is the lamp lit');
    expect(found.body.results[0]?.text).toMatch(/thirty minutes before sunset/);
    await t.close();

    // Another model and size: search answers 503 and ingest fails, both naming the re-embed step.
    const localEnv = {
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      EMBEDDINGS_PROVIDER: 'local',
      EMBEDDINGS_DIMENSIONS: '256',
    };
    t = await bootStack(localEnv);
    const refused = await searchText(t, owner, 'lamp');
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/npm run knowledge:reembed/);
    const again = await ingest(t, owner, up.body.id);
    expect(again.status).toBe('failed');
    expect(again.error).toMatch(/knowledge:reembed/);
    await t.close();

    const { DATABASE_URL: _shared, ...inherited } = process.env;
    const { DATABASE_URL: _own, ...scriptEnv } = localEnv;
    const reembed = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/knowledge-reembed.ts'], {
      env: { ...inherited, ...scriptEnv, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(reembed.status, reembed.stderr).toBe(0);
    expect(reembed.stdout).toMatch(/re-embedded/);

    t = await bootStack(localEnv);
    const afterReembed = await searchText(t, owner, 'when is the lamp lit');
    expect(afterReembed.status).toBe(200);
    expect(afterReembed.body.results[0]?.text).toMatch(/thirty minutes before sunset/);
    const reingest = await ingest(t, owner, up.body.id);
    expect(reingest.status).toBe('ready');
    await t.close();
  }, 180_000);
});

describe('files on S3', () => {
  let s3: FakeS3;
  let t: TestStack;
  afterAll(async () => {
    await t?.close();
  });

  it('keeps uploaded bytes in the bucket, ingests them, and makes files of storage objects', async () => {
    s3 = await startFakeS3('kb-bucket');
    fakes.push(s3);
    t = await bootStack({ DATABASE_URL: '', ...s3.env });
    const owner = await t.register();
    const up = await upload(t, owner, 'manual.md', new TextEncoder().encode(guide), 'text/markdown');
    expect(up.status).toBe(201);
    const row = await t.stack.kernel.database.prisma.knowledgeFile.findUniqueOrThrow({
      where: { id: up.body.id },
    });
    expect(t.stack.kernel.blobs.provider).toBe('s3');
    expect(await t.stack.kernel.blobs.head(row.blobKey)).toMatchObject({ sizeBytes: guide.length });
    expect((await ingest(t, owner, up.body.id)).status).toBe('ready');

    // A storage object (presigned upload straight to the bucket) used as a vector-store file.
    const text = 'Ferry timetable: the first crossing leaves the harbour at six.';
    const presign = await t.rest<{ object_id: string; upload_url: string; headers: Record<string, string> }>(
      'POST',
      '/api/v1/storage/objects/upload-url',
      {
        token: owner.accessToken,
        body: { filename: 'ferry.txt', mime_type: 'text/plain', size_bytes: text.length },
      },
    );
    expect(presign.status).toBe(201);
    const put = await fetch(presign.body.upload_url, {
      method: 'PUT',
      headers: presign.body.headers,
      body: text,
    });
    expect(put.status).toBe(200);
    const store = await t.rest<{ id: string }>('POST', '/api/v1/vector-stores', {
      token: owner.accessToken,
      body: { name: 'timetables' },
    });
    expect(store.status).toBe(201);
    const added = await t.rest<{ status: string }>('POST', `/api/v1/vector-stores/${store.body.id}/files`, {
      token: owner.accessToken,
      body: { file_id: presign.body.object_id, attributes: { kind: 'ferry' } },
    });
    expect(added.status).toBe(201);
    let status = added.body.status;
    for (let i = 0; i < 200 && status === 'in_progress'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (
        await t.rest<{ status: string }>(
          'GET',
          `/api/v1/vector-stores/${store.body.id}/files/${presign.body.object_id}`,
          { token: owner.accessToken },
        )
      ).body.status;
    }
    expect(status).toBe('completed');
    const hits = await t.rest<{ data: { filename: string; content: { text: string }[] }[] }>(
      'POST',
      `/api/v1/vector-stores/${store.body.id}/search`,
      {
        token: owner.accessToken,
        body: {
          query: 'when does the first ferry leave',
          filters: { type: 'eq', key: 'kind', value: 'ferry' },
        },
      },
    );
    expect(hits.status).toBe(200);
    expect(hits.body.data[0]).toMatchObject({ filename: 'ferry.txt', content: [{ type: 'text', text }] });
    const other = await t.register();
    const foreign = await t.rest(
      'POST',
      `/api/tenants/${other.tenantId}/agents/00000000-0000-4000-8000-000000000000/files`,
      {
        token: other.accessToken,
        body: { file_ids: [presign.body.object_id] },
      },
    );
    expect(foreign.status).toBe(404);
  }, 60_000);
});

describe('agents and providers', () => {
  let fake: FakeOpenAI;
  let t: TestStack;
  let owner: Account;
  afterAll(async () => {
    await t?.close();
  });

  it('answers a chat turn with the passage the knowledge_search tool found in the agent’s vector store', async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test' });
    fakes.push(fake);
    t = await bootStack({ DATABASE_URL: '', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseUrl });
    owner = await t.register();
    const inStore = await upload(t, owner, 'manual.md', new TextEncoder().encode(guide), 'text/markdown');
    const outside = await upload(
      t,
      owner,
      'other.md',
      new TextEncoder().encode('The lamp in the garden shed is lit whenever it rains.'),
      'text/markdown',
    );
    await ingest(t, owner, outside.body.id);
    const store = await t.rest<{ id: string }>('POST', '/api/v1/vector-stores', {
      token: owner.accessToken,
      body: { name: 'lighthouse' },
    });
    await t.rest('POST', `/api/v1/vector-stores/${store.body.id}/files`, {
      token: owner.accessToken,
      body: { file_id: inStore.body.id },
    });
    await waitForFile(t, owner, inStore.body.id);
    const bound = await t.rest('POST', `/api/v1/vector-stores/${store.body.id}/bindings/triage`, {
      token: owner.accessToken,
    });
    expect(bound.status).toBe(204);
    fake.script(
      {
        toolCalls: [
          { id: 'call_kb', name: 'knowledge_search', arguments: '{"query":"when is the lamp lit"}' },
        ],
      },
      { text: 'Thirty minutes before sunset.' },
    );
    const res = await t.rest<{ response: string }>('POST', '/api/v1/chat', {
      token: owner.accessToken,
      body: { message: 'When is the lamp lit?', agent_type: 'triage' },
    });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe('Thirty minutes before sunset.');
    const toolMessage = (fake.lastMessages() as { role: string; content: unknown }[]).find(
      (m) => m.role === 'tool',
    );
    const content = JSON.stringify(toolMessage?.content);
    expect(content).toMatch(/thirty minutes before sunset/);
    expect(content).toContain(inStore.body.id);
    expect(content).not.toContain(outside.body.id); // only the bound store's files
  }, 60_000);

  it('downloads a container file from the provider; 404 for a foreign container; 503 without a provider', async () => {
    const created = await t.rest<{ openai_id: string }>('POST', '/api/v1/containers', {
      token: owner.accessToken,
      body: { name: 'sandbox' },
    });
    expect(created.status).toBe(201);
    const bytes = Buffer.from('col_a,col_b\n1,2\n');
    fake.files.set(fakeFileKey(created.body.openai_id, 'cfile_1'), bytes);
    const path = `/api/v1/openai/containers/${created.body.openai_id}/files/cfile_1/download`;
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    const missing = await t.rest(
      'GET',
      `/api/v1/openai/containers/${created.body.openai_id}/files/nope/download`,
      {
        token: owner.accessToken,
      },
    );
    expect(missing.status).toBe(404);
    const stranger = await t.register();
    const foreign = await t.rest('GET', path, { token: stranger.accessToken });
    expect(foreign.status).toBe(404);

    const bare = await bootStack({ DATABASE_URL: '' });
    try {
      const user = await bare.register();
      const none = await bare.rest<{ message: string }>(
        'GET',
        '/api/v1/openai/containers/cntr_x/files/f/download',
        {
          token: user.accessToken,
        },
      );
      // No container of the tenant has that id: 404 comes before any provider check.
      expect(none.status).toBe(404);
      await bare.stack.kernel.database.prisma.container.create({
        data: {
          tenantId: user.tenantId,
          openaiId: 'cntr_x',
          name: 'left over',
          memoryLimit: '1g',
          status: 'running',
        },
      });
      const unavailable = await bare.rest<{ message: string }>(
        'GET',
        '/api/v1/openai/containers/cntr_x/files/f/download',
        {
          token: user.accessToken,
        },
      );
      expect(unavailable.status).toBe(503);
      expect(unavailable.body.message).toMatch(/OPENAI_API_KEY/);
    } finally {
      await bare.close();
    }
  }, 60_000);
});

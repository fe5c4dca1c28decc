import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docxDocument, pdfDocument } from '../../kit/documents.js';
import { type FileBody, ingest, upload, waitForFile } from '../../kit/knowledge.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';
import { addMember } from '../tenancy-kit.js';

/**
 * The tenant files API end to end: multipart upload through the REST bridge, ingest on the job
 * queue, hybrid search, agent files, deletes, and a second tenant locked out of all of it.
 */

let t: TestStack;
let owner: Account;
let other: Account;

interface SearchBody {
  query: string;
  mode: string;
  results: {
    file_id: string;
    chunk_id: string;
    filename: string;
    text: string;
    score: number;
    metadata: unknown;
  }[];
}

async function search(account: Account, body: Record<string, unknown>) {
  return t.rest<SearchBody>('POST', `/api/tenants/${account.tenantId}/search`, {
    token: account.accessToken,
    body,
  });
}

const markdown = `# Field guide

## Herons

The grey heron stands motionless in shallow water and strikes at fish with its dagger bill.

## Otters

Eurasian otters den in riverbank holts and eat mostly eels and crayfish.
`;

let pdfId = '';
let docxId = '';
let mdId = '';

beforeAll(async () => {
  t = await bootStack();
  owner = await t.register();
  other = await t.register();
  const pdf = await pdfDocument([
    ['Quarterly report for the aurora project.', 'Revenue grew by twelve percent in the northern region.'],
    ['Appendix: the lighthouse keeper logs every ship that passes the cape.'],
  ]);
  const docx = await docxDocument([
    'Onboarding handbook.',
    'New hires receive a brass compass and a map of the glacier trail on their first day.',
  ]);
  const uploads = await Promise.all([
    upload(t, owner, 'report.pdf', pdf, 'application/pdf', { department: 'finance', year: 2026 }),
    upload(t, owner, 'handbook.docx', docx, 'application/octet-stream', { department: 'people', year: 2025 }),
    upload(t, owner, 'field-guide.md', new TextEncoder().encode(markdown), 'text/markdown', {
      department: 'nature',
    }),
  ]);
  for (const u of uploads) {
    expect(u.status).toBe(201);
    expect(u.body.status).toBe('uploaded');
  }
  [pdfId, docxId, mdId] = uploads.map((u) => u.body.id) as [string, string, string];
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('files', () => {
  it('keeps an upload with its name, type (from the extension when generic), size and metadata', async () => {
    const res = await t.rest<FileBody>('GET', `/api/tenants/${owner.tenantId}/files/${docxId}`, {
      token: owner.accessToken,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      filename: 'handbook.docx',
      mime_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      status: 'uploaded',
      metadata: { department: 'people', year: 2025 },
    });
    expect(res.body.size_bytes).toBeGreaterThan(1000);
    const list = await t.rest<{ items: FileBody[]; next_cursor: string | null }>(
      'GET',
      `/api/tenants/${owner.tenantId}/files?limit=2`,
      { token: owner.accessToken },
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.next_cursor).toEqual(expect.any(String));
  });

  it('ingests a PDF, a DOCX and Markdown, and search finds each passage', async () => {
    const [pdf, docx, md] = await Promise.all([
      ingest(t, owner, pdfId),
      ingest(t, owner, docxId),
      ingest(t, owner, mdId),
    ]);
    for (const f of [pdf, docx, md]) {
      expect(f).toMatchObject({ status: 'ready', error: null });
      expect(f.chunk_count).toBeGreaterThan(0);
    }
    const status = await t.rest<Record<string, unknown>>(
      'GET',
      `/api/tenants/${owner.tenantId}/files/${pdfId}/status`,
      {
        token: owner.accessToken,
      },
    );
    expect(status.body).toMatchObject({ file_id: pdfId, status: 'ready', chunk_count: pdf.chunk_count });

    const cases: [string, string, RegExp][] = [
      ['how much did revenue grow in the north?', pdfId, /twelve percent/],
      ['what do new hires get on day one', docxId, /brass compass/],
      ['what do otters eat', mdId, /eels and crayfish/],
    ];
    for (const [query, fileId, passage] of cases) {
      const res = await search(owner, { query, top_k: 3 });
      expect(res.status).toBe(200);
      expect(res.body.mode).toBe('hybrid');
      const top = res.body.results[0];
      expect(top?.file_id).toBe(fileId);
      expect(top?.text).toMatch(passage);
      expect(top?.score).toBeGreaterThan(0);
      expect(top?.score).toBeLessThanOrEqual(1);
    }
    const pdfHit = (await search(owner, { query: 'lighthouse keeper ships', top_k: 1, mode: 'text' })).body
      .results[0];
    // The PDF is one chunk: its page is the page it starts on.
    expect(pdfHit).toMatchObject({ file_id: pdfId, metadata: { page: 1 } });
    const vector = await search(owner, { query: 'grey heron fish', top_k: 2, mode: 'vector' });
    expect(vector.body.results[0]?.file_id).toBe(mdId);
  });

  it('narrows search by file ids and by metadata filters', async () => {
    const onlyDocx = await search(owner, { query: 'revenue compass otters', file_ids: [docxId], top_k: 10 });
    expect(onlyDocx.status).toBe(200);
    expect(new Set(onlyDocx.body.results.map((r) => r.file_id))).toEqual(new Set([docxId]));
    const finance = await search(owner, {
      query: 'revenue compass otters',
      top_k: 10,
      filters: { type: 'eq', key: 'department', value: 'finance' },
    });
    expect(new Set(finance.body.results.map((r) => r.file_id))).toEqual(new Set([pdfId]));
    const recent = await search(owner, {
      query: 'revenue compass otters',
      top_k: 10,
      filters: {
        type: 'and',
        filters: [
          { type: 'gte', key: 'year', value: 2025 },
          { type: 'ne', key: 'department', value: 'finance' },
        ],
      },
    });
    expect(new Set(recent.body.results.map((r) => r.file_id))).toEqual(new Set([docxId]));
  });

  it('answers bad searches with 422 and changes nothing', async () => {
    for (const body of [
      {},
      { query: '' },
      { query: 'x', top_k: 0 },
      { query: 'x', mode: 'fuzzy' },
      { query: 'x', filters: { type: 'xor' } },
    ]) {
      const res = await search(owner, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body).toMatchObject({ success: false });
    }
  });

  it('re-ingests with a static chunking strategy, replacing the chunks', async () => {
    const before = await waitForFile(t, owner, mdId);
    const again = await ingest(t, owner, mdId, {
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } },
    });
    expect(again.status).toBe('ready');
    expect(again).toMatchObject({
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } },
    });
    const rows = await t.stack.kernel.database.prisma.knowledgeChunk.count({ where: { fileId: mdId } });
    expect(rows).toBe(again.chunk_count);
    expect(before.chunk_count).toBeGreaterThan(0);
    const bad = await t.rest('POST', `/api/tenants/${owner.tenantId}/files/${mdId}/ingest`, {
      token: owner.accessToken,
      body: {
        chunking_strategy: {
          type: 'static',
          static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 80 },
        },
      },
    });
    expect(bad.status).toBe(422);
  });

  it('fails an unsupported or corrupt file with the reason, and search never sees it', async () => {
    const png = await upload(
      t,
      owner,
      'logo.png',
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
      'image/png',
    );
    const broken = await upload(
      t,
      owner,
      'broken.pdf',
      new TextEncoder().encode('%PDF-1.7 not really'),
      'application/pdf',
    );
    const [a, b] = await Promise.all([ingest(t, owner, png.body.id), ingest(t, owner, broken.body.id)]);
    expect(a.status).toBe('failed');
    expect(a.error).toMatch(/image\/png/);
    expect(b.status).toBe('failed');
    expect(b.error).toMatch(/PDF/);
    expect(a.chunk_count).toBe(0);
  });

  it('refuses empty and malformed uploads with 4xx and keeps nothing', async () => {
    const before = await t.stack.kernel.database.prisma.knowledgeFile.count({
      where: { tenantId: owner.tenantId },
    });
    const empty = await upload(t, owner, 'empty.txt', new Uint8Array(), 'text/plain');
    expect(empty.status).toBe(400);
    const noFile = await fetch(`${t.url}/api/tenants/${owner.tenantId}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: (() => {
        const f = new FormData();
        f.append('metadata', '{}');
        return f;
      })(),
    });
    expect(noFile.status).toBe(422);
    const badMeta = new FormData();
    badMeta.append('file', new Blob(['hello']), 'a.txt');
    badMeta.append('metadata', '{not json');
    const badMetaRes = await fetch(`${t.url}/api/tenants/${owner.tenantId}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: badMeta,
    });
    expect(badMetaRes.status).toBe(422);
    const garbage = await fetch(`${t.url}/api/tenants/${owner.tenantId}/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${owner.accessToken}`,
        'content-type': 'multipart/form-data; boundary=xyz',
      },
      body: '--nope\r\n\r\n',
    });
    expect(garbage.status).toBe(422);
    const after = await t.stack.kernel.database.prisma.knowledgeFile.count({
      where: { tenantId: owner.tenantId },
    });
    expect(after).toBe(before);
  });

  it('takes a multi-megabyte upload through the bridge, and refuses one over FILES_MAX_UPLOAD_MB', async () => {
    const big = `${'Paragraph about tide tables and harbour pilots. '.repeat(20)}\n\n`.repeat(3000);
    expect(big.length).toBeGreaterThan(2_500_000);
    const res = await upload(t, owner, 'tides.txt', new TextEncoder().encode(big), 'text/plain');
    expect(res.status).toBe(201);
    expect(res.body.size_bytes).toBe(big.length);
    const small = await bootStack({ FILES_MAX_UPLOAD_MB: '1' });
    try {
      const account = await small.register();
      const refused = await upload(small, account, 'tides.txt', new TextEncoder().encode(big), 'text/plain');
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({ success: false, error: 'PayloadTooLarge' });
      expect(
        await small.stack.kernel.database.prisma.knowledgeFile.count({
          where: { tenantId: account.tenantId },
        }),
      ).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('works through GraphQL: upload as base64, ingest, search', async () => {
    const text = 'The observatory dome opens at dusk so the telescope can track Saturn.';
    const up = await t.gql<{ uploadKnowledgeFile: { id: string; status: string } }>(
      `mutation($t: ID!, $in: UploadKnowledgeFileInput!) { uploadKnowledgeFile(tenantId: $t, input: $in) { id status } }`,
      {
        t: owner.tenantId,
        in: { file: { filename: 'dome.txt', contentBase64: Buffer.from(text).toString('base64') } },
      },
      owner.accessToken,
    );
    expect(up.errors).toBeUndefined();
    const id = up.data?.uploadKnowledgeFile.id as string;
    const started = await t.gql(
      `mutation($t: ID!, $f: ID!) { ingestKnowledgeFile(tenantId: $t, fileId: $f) { status } }`,
      { t: owner.tenantId, f: id },
      owner.accessToken,
    );
    expect(started.errors).toBeUndefined();
    await waitForFile(t, owner, id);
    const found = await t.gql<{ searchKnowledge: { results: { fileId: string; text: string }[] } }>(
      `query($t: ID!) { searchKnowledge(tenantId: $t, input: { query: "when does the dome open", topK: 1 }) { results { fileId text } } }`,
      { t: owner.tenantId },
      owner.accessToken,
    );
    expect(found.data?.searchKnowledge.results[0]).toEqual({ fileId: id, text });
  });

  it('downloads a file’s bytes with the legacy headers', async () => {
    const res = await fetch(`${t.url}/api/v1/openai/files/${mdId}/download`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="field-guide.md"');
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(await res.text()).toBe(markdown);
    const foreign = await fetch(`${t.url}/api/v1/openai/files/${mdId}/download`, {
      headers: { authorization: `Bearer ${other.accessToken}` },
    });
    expect(foreign.status).toBe(404);
  });
});

describe('agent files', () => {
  it('attaches files to an agent; search by agent_id looks only there', async () => {
    const agent = await t.rest<{ id: string }>('POST', `/api/tenants/${owner.tenantId}/agents`, {
      token: owner.accessToken,
      body: { key: 'naturalist', display_name: 'Naturalist' },
    });
    expect(agent.status).toBe(201);
    const attached = await t.rest<{ items: FileBody[] }>(
      'POST',
      `/api/tenants/${owner.tenantId}/agents/${agent.body.id}/files`,
      { token: owner.accessToken, body: { file_ids: [mdId, mdId] } },
    );
    expect(attached.status).toBe(200);
    expect(attached.body.items.map((f) => f.id)).toEqual([mdId]);
    const listed = await t.rest<{ items: FileBody[] }>(
      'GET',
      `/api/tenants/${owner.tenantId}/agents/${agent.body.id}/files`,
      {
        token: owner.accessToken,
      },
    );
    expect(listed.body.items.map((f) => f.id)).toEqual([mdId]);
    const res = await search(owner, { query: 'revenue grew', agent_id: agent.body.id, top_k: 5 });
    expect(res.status).toBe(200);
    expect(res.body.results.every((r) => r.file_id === mdId)).toBe(true);
    const foreignFile = await t.rest('POST', `/api/tenants/${owner.tenantId}/agents/${agent.body.id}/files`, {
      token: owner.accessToken,
      body: { file_ids: ['00000000-0000-4000-8000-000000000000'] },
    });
    expect(foreignFile.status).toBe(404);
    const unknownAgent = await t.rest(
      'GET',
      `/api/tenants/${owner.tenantId}/agents/00000000-0000-4000-8000-000000000000/files`,
      {
        token: owner.accessToken,
      },
    );
    expect(unknownAgent.status).toBe(404);
  });
});

describe('a second tenant', () => {
  it('gets 404 on every file route and finds nothing in search', async () => {
    const base = `/api/tenants/${owner.tenantId}`;
    const mine = `/api/tenants/${other.tenantId}`;
    const token = other.accessToken;
    for (const [method, path, body] of [
      ['GET', `${base}/files`],
      ['GET', `${base}/files/${pdfId}`],
      ['POST', `${base}/search`, { query: 'revenue' }],
      ['GET', `${mine}/files/${pdfId}`],
      ['GET', `${mine}/files/${pdfId}/status`],
      ['POST', `${mine}/files/${pdfId}/ingest`, {}],
      ['DELETE', `${mine}/files/${pdfId}`],
      ['POST', `${mine}/search`, { query: 'revenue', file_ids: [pdfId] }],
    ] as [string, string, unknown][]) {
      const res = await t.rest(method, path, { token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const nothing = await t.rest<SearchBody>('POST', `${mine}/search`, {
      token,
      body: { query: 'revenue grew twelve percent aurora lighthouse compass otters', top_k: 50 },
    });
    expect(nothing.status).toBe(200);
    expect(nothing.body.results).toEqual([]);
    const still = await t.rest<FileBody>('GET', `${base}/files/${pdfId}`, { token: owner.accessToken });
    expect(still.body.status).toBe('ready');
  });

  it('lets viewers and read-only API keys read and search, never upload, ingest or delete', async () => {
    const viewer = await addMember(t, owner, 'viewer');
    const reader = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
      token: owner.accessToken,
      body: { name: 'knowledge reader', scopes: ['knowledge:read'] },
    });
    expect(reader.status).toBe(201);
    const base = `/api/tenants/${owner.tenantId}`;
    for (const headers of [
      { authorization: `Bearer ${viewer.token}` },
      { 'x-api-key': reader.body.key },
    ] as Record<string, string>[]) {
      const read = await t.rest('GET', `${base}/files/${pdfId}`, { headers });
      expect(read.status).toBe(200);
      const found = await t.rest<SearchBody>('POST', `${base}/search`, {
        headers,
        body: { query: 'revenue' },
      });
      expect(found.status).toBe(200);
      expect(found.body.results.length).toBeGreaterThan(0);
      for (const [method, path] of [
        ['POST', `${base}/files/${pdfId}/ingest`],
        ['DELETE', `${base}/files/${pdfId}`],
      ] as const) {
        const res = await t.rest(method, path, { headers, ...(method === 'POST' ? { body: {} } : {}) });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
      const form = new FormData();
      form.append('file', new Blob(['x']), 'x.txt');
      const up = await fetch(`${t.url}${base}/files`, { method: 'POST', headers, body: form });
      expect(up.status).toBe(403);
    }
    const still = await t.rest<FileBody>('GET', `${base}/files/${pdfId}`, { token: owner.accessToken });
    expect(still.body.status).toBe('ready');
  });
});

describe('deleting a file', () => {
  it('removes its chunks and bytes, and search no longer finds it', async () => {
    const up = await upload(
      t,
      owner,
      'temp.txt',
      new TextEncoder().encode('Zebras migrate across the savanna.'),
      'text/plain',
    );
    await ingest(t, owner, up.body.id);
    const file = await t.stack.kernel.database.prisma.knowledgeFile.findUniqueOrThrow({
      where: { id: up.body.id },
    });
    expect(await t.stack.kernel.blobs.head(file.blobKey)).not.toBeNull();
    const del = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/files/${up.body.id}`, {
      token: owner.accessToken,
    });
    expect(del.status).toBe(204);
    expect(await t.stack.kernel.database.prisma.knowledgeChunk.count({ where: { fileId: up.body.id } })).toBe(
      0,
    );
    expect(await t.stack.kernel.blobs.head(file.blobKey)).toBeNull();
    const res = await search(owner, { query: 'zebras savanna', top_k: 5 });
    expect(res.body.results.some((r) => r.file_id === up.body.id)).toBe(false);
    const again = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/files/${up.body.id}`, {
      token: owner.accessToken,
    });
    expect(again.status).toBe(404);
  });
});

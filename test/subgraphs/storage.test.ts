import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore, type LocalBlobStore } from '../../subgraphs/kernel/blobs.js';
import { loadConfig } from '../../subgraphs/kernel/config.js';
import { type FakeS3, startFakeS3 } from '../fakes/s3.js';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { type Member, tenantWithRoles } from './tenancy-kit.js';

const UPLOAD = '/api/v1/storage/objects/upload-url';
const OBJECTS = '/api/v1/storage/objects';
const DOWNLOAD = '/api/v1/storage/objects/{object_id}/download-url';
const OBJECT = '/api/v1/storage/objects/{object_id}';

interface Upload {
  object_id: string;
  upload_url: string;
  method: string;
  headers: Record<string, string>;
  bucket: string;
  object_key: string;
  expires_in_seconds: number;
}
interface Download {
  object_id: string;
  download_url: string;
  method: string;
  headers: Record<string, string>;
  bucket: string;
  object_key: string;
  expires_in_seconds: number;
}
interface ObjectRow {
  id: string;
  status: string;
  status_reason?: string | null;
  filename: string;
  mime_type: string;
  size_bytes: number;
  bucket: string;
  object_key: string;
  conversation_id: string | null;
  agent_key: string | null;
}
interface ErrorBody {
  success: false;
  error: string;
  message: string;
  details: { loc: (string | number)[]; msg: string; type: string }[] | null;
}

/** A tiny valid PNG (signature + IHDR start is all the check reads). */
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000dIHDR-the-rest-of-a-png', 'utf8'),
]);

function helpers(t: () => TestStack) {
  const create = (token: string, body: unknown) =>
    t().rest<Upload & ErrorBody>('POST', UPLOAD, { token, body });
  const list = (token: string, query = '') =>
    t().rest<{ items: ObjectRow[]; next_offset: number | null } & ErrorBody>('GET', `${OBJECTS}${query}`, {
      token,
    });
  const downloadUrl = (token: string, id: string) =>
    t().rest<Download & ErrorBody>('GET', DOWNLOAD.replace('{object_id}', id), { token });
  const remove = (token: string, id: string) =>
    t().rest<ErrorBody | null>('DELETE', OBJECT.replace('{object_id}', id), { token });
  const put = (upload: Upload, body: Uint8Array | string, headers: Record<string, string> = upload.headers) =>
    fetch(upload.upload_url, { method: upload.method, headers, body: body as BodyInit });
  return { create, list, downloadUrl, remove, put };
}

describe('storage on the local provider', () => {
  let t: TestStack;
  let owner: Account;
  let other: Account;
  let admin: Member;
  let viewer: Member;
  const { create, list, downloadUrl, remove, put } = helpers(() => t);

  beforeAll(async () => {
    t = await bootStack();
    ({ owner, other, admin, viewer } = await tenantWithRoles(t));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('upload URL → PUT the bytes → uploaded → download URL → the same bytes as an attachment', async () => {
    const conversationId = randomUUID();
    const created = await create(owner.accessToken, {
      filename: 'Résumé 2024.png',
      mime_type: 'image/png',
      size_bytes: PNG.length,
      agent_key: 'triage',
      conversation_id: conversationId,
      metadata: { source: 'test' },
    });
    expect(created.status).toBe(201);
    expect(contractProblems('POST', UPLOAD, 201, created.body)).toEqual([]);
    const upload = created.body;
    expect(upload).toMatchObject({
      method: 'PUT',
      headers: { 'Content-Type': 'image/png' },
      bucket: 'local',
      object_key: `${owner.tenantId}/${upload.object_id}/Re_sume_2024.png`, // safeFilename keeps the accent's place
      expires_in_seconds: 900,
    });
    expect(upload.upload_url.startsWith(`${t.url}/blobs/`)).toBe(true);

    const before = await list(owner.accessToken);
    expect(before.body.items.find((o) => o.id === upload.object_id)?.status).toBe('pending_upload');

    const putRes = await put(upload, PNG);
    expect(putRes.status).toBe(200);
    expect(await putRes.text()).toBe('');
    expect(putRes.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);

    const after = await list(owner.accessToken);
    expect(after.status).toBe(200);
    expect(contractProblems('GET', OBJECTS, 200, after.body)).toEqual([]);
    expect(after.body.items.find((o) => o.id === upload.object_id)).toMatchObject({
      status: 'uploaded',
      filename: 'Résumé 2024.png',
      mime_type: 'image/png',
      size_bytes: PNG.length,
      conversation_id: conversationId,
      agent_key: 'triage',
    });
    const byConversation = await list(owner.accessToken, `?conversation_id=${conversationId}`);
    expect(byConversation.body.items.map((o) => o.id)).toEqual([upload.object_id]);

    const dl = await downloadUrl(owner.accessToken, upload.object_id);
    expect(dl.status).toBe(200);
    expect(contractProblems('GET', DOWNLOAD, 200, dl.body)).toEqual([]);
    expect(dl.body).toMatchObject({ object_id: upload.object_id, method: 'GET', bucket: 'local' });
    const got = await fetch(dl.body.download_url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-length')).toBe(String(PNG.length));
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="R_sum_ 2024.png"; filename*=UTF-8''R%C3%A9sum%C3%A9%202024.png`,
    );
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');

    // The GraphQL face refreshes and returns the object too.
    const gql = await t.gql<{ storageObject: { status: string; uploadedAt: string | null } }>(
      'query($id: ID!) { storageObject(objectId: $id) { status uploadedAt } }',
      { id: upload.object_id },
      owner.accessToken,
    );
    expect(gql.data?.storageObject.status).toBe('UPLOADED');
    expect(gql.data?.storageObject.uploadedAt).not.toBeNull();
  });

  it('refuses a download URL before the bytes are there (409), and a PUT whose type or length differs', async () => {
    const { body: upload } = await create(admin.token, {
      filename: 'notes.txt',
      mime_type: 'text/plain',
      size_bytes: 5,
    });
    const early = await downloadUrl(admin.token, upload.object_id);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ success: false, error: 'Conflict' });
    expect(early.body.message).toContain('not been uploaded yet');
    expect(contractProblems('GET', DOWNLOAD, 409, early.body)).toEqual([]);

    const wrongType = await put(upload, 'hello', { 'Content-Type': 'text/html' });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ success: false, error: 'BadRequest' });
    const short = await put(upload, 'hell');
    expect(short.status).toBe(400);
    const long = await put(upload, 'hello world');
    expect(long.status).toBe(413);
    expect((await list(admin.token)).body.items.find((o) => o.id === upload.object_id)?.status).toBe(
      'pending_upload',
    );

    expect((await put(upload, 'hello')).status).toBe(200);
    // A signed PUT cannot replace bytes already checked.
    expect((await put(upload, 'HELLO')).status).toBe(409);
    const dl = await downloadUrl(admin.token, upload.object_id);
    expect(dl.status).toBe(200);
    expect(await (await fetch(dl.body.download_url)).text()).toBe('hello');
  });

  it('rejects bytes whose size or magic bytes do not match, and says why instead of a download URL', async () => {
    // The local PUT enforces the signed length; a store that does not is simulated by writing directly.
    const { body: sized } = await create(owner.accessToken, {
      filename: 'a.json',
      mime_type: 'application/json',
      size_bytes: 10,
    });
    await t.stack.kernel.blobs.put(sized.object_key, Buffer.from('{"a":1}'), 'application/json');
    const row = (await list(owner.accessToken)).body.items.find((o) => o.id === sized.object_id);
    expect(row?.status).toBe('rejected');
    const refused = await downloadUrl(owner.accessToken, sized.object_id);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      'The upload was rejected: 7 bytes were uploaded, but 10 were declared.',
    );

    const fakePdf = 'this is not a pdf at all';
    const { body: pdf } = await create(owner.accessToken, {
      filename: 'report.pdf',
      mime_type: 'application/pdf',
      size_bytes: fakePdf.length,
    });
    expect((await put(pdf, fakePdf)).status).toBe(200);
    const refusedPdf = await downloadUrl(owner.accessToken, pdf.object_id);
    expect(refusedPdf.status).toBe(409);
    expect(refusedPdf.body.message).toContain('not a PDF document');
    const gql = await t.gql<{ storageObject: { status: string; statusReason: string } }>(
      'query($id: ID!) { storageObject(objectId: $id) { status statusReason } }',
      { id: pdf.object_id },
      owner.accessToken,
    );
    expect(gql.data?.storageObject).toMatchObject({ status: 'REJECTED' });
    expect(gql.data?.storageObject.statusReason).toContain('not a PDF document');
  });

  it('answers 403 for a forged or expired signature, and for a URL used with the other method', async () => {
    const { body: upload } = await create(owner.accessToken, {
      filename: 'x.txt',
      mime_type: 'text/plain',
      size_bytes: 3,
    });
    const url = new URL(upload.upload_url);
    url.searchParams.set('len', '4'); // a longer body than signed
    const forged = await fetch(url, { method: 'PUT', headers: upload.headers, body: 'abcd' });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({
      success: false,
      error: 'Forbidden',
      message: 'The URL signature is not valid.',
      details: null,
    });
    const badSig = new URL(upload.upload_url);
    badSig.searchParams.set('sig', 'A'.repeat(43));
    expect((await fetch(badSig, { method: 'PUT', headers: upload.headers, body: 'abc' })).status).toBe(403);
    const unsigned = new URL(upload.upload_url);
    unsigned.searchParams.delete('sig');
    expect((await fetch(unsigned, { method: 'PUT', headers: upload.headers, body: 'abc' })).status).toBe(403);

    const store = t.stack.kernel.blobs as LocalBlobStore;
    const expired = store.signedUrl(upload.object_key, {
      op: 'put',
      exp: String(Math.floor(Date.now() / 1000) - 5),
      ct: 'text/plain',
      len: '3',
    });
    const late = await fetch(expired, { method: 'PUT', headers: upload.headers, body: 'abc' });
    expect(late.status).toBe(403);
    expect((await late.json()).message).toBe('This URL has expired.');

    expect((await fetch(upload.upload_url)).status).toBe(403); // GET with a PUT URL
    expect((await put(upload, 'abc')).status).toBe(200);
  });

  it('validates the request: 400 for a type not allowed or a size over the limit, 422 for malformed fields', async () => {
    const ok = { filename: 'f.txt', mime_type: 'text/plain', size_bytes: 1 };
    const cases: [Record<string, unknown>, number, (string | number)[] | null][] = [
      [{ ...ok, mime_type: 'application/x-msdownload' }, 400, null],
      [{ ...ok, size_bytes: 512 * 1024 * 1024 + 1 }, 400, null],
      [{ ...ok, filename: 'f'.repeat(257) }, 422, ['body', 'filename']],
      [{ ...ok, filename: '' }, 422, ['body', 'filename']],
      [{ ...ok, mime_type: `text/${'x'.repeat(124)}` }, 422, ['body', 'mime_type']],
      [{ ...ok, size_bytes: -1 }, 422, ['body', 'size_bytes']],
      [{ ...ok, agent_key: 'k'.repeat(65) }, 422, ['body', 'agent_key']],
      [{ ...ok, conversation_id: 'not-a-uuid' }, 422, ['body', 'conversation_id']],
      [{ ...ok, metadata: [1, 2] }, 422, ['body', 'metadata']],
      [{ filename: 'f.txt', mime_type: 'text/plain' }, 422, ['body', 'size_bytes']],
    ];
    for (const [body, status, loc] of cases) {
      const res = await create(owner.accessToken, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.body.success).toBe(false);
      expect(contractProblems('POST', UPLOAD, status, res.body)).toEqual([]);
      if (loc) {
        expect(res.body.details?.map((d) => d.loc)).toContainEqual(loc);
      }
    }
    const badList = await list(owner.accessToken, '?limit=101');
    expect(badList.status).toBe(422);
    const badConversation = await list(owner.accessToken, '?conversation_id=nope');
    expect(badConversation.status).toBe(422);
    const malformed = await downloadUrl(owner.accessToken, 'not-a-uuid');
    expect(malformed.status).toBe(422);
    expect(malformed.body.details?.map((d) => d.loc)).toContainEqual(['path', 'object_id']);
  });

  it('lets viewers read but not create or delete', async () => {
    const denied = await create(viewer.token, { filename: 'f.txt', mime_type: 'text/plain', size_bytes: 1 });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ success: false, error: 'Forbidden' });
    expect((await list(viewer.token)).status).toBe(200);
    const { body: upload } = await create(owner.accessToken, {
      filename: 'v.txt',
      mime_type: 'text/plain',
      size_bytes: 1,
    });
    expect((await remove(viewer.token, upload.object_id)).status).toBe(403);
    // An owner narrowed to viewer by X-Tenant-Role is refused too.
    const narrowed = await t.rest('POST', UPLOAD, {
      token: owner.accessToken,
      headers: { 'x-tenant-role': 'viewer' },
      body: { filename: 'f.txt', mime_type: 'text/plain', size_bytes: 1 },
    });
    expect(narrowed.status).toBe(403);
  });

  it('keeps tenants apart: another tenant sees nothing and gets 404 on download URL and delete', async () => {
    const { body: upload } = await create(owner.accessToken, {
      filename: 'private.txt',
      mime_type: 'text/plain',
      size_bytes: 2,
    });
    expect((await put(upload, 'hi')).status).toBe(200);
    const theirs = await list(other.accessToken);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    const dl = await downloadUrl(other.accessToken, upload.object_id);
    expect(dl.status).toBe(404);
    expect(contractProblems('GET', DOWNLOAD, 404, dl.body)).toEqual([]);
    expect((await remove(other.accessToken, upload.object_id)).status).toBe(404);
    expect((await downloadUrl(owner.accessToken, upload.object_id)).status).toBe(200);
    const gql = await t.gql(
      'query($id: ID!) { storageObject(objectId: $id) { id } }',
      { id: upload.object_id },
      other.accessToken,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('lets an API key with storage:read list but not create', async () => {
    const key = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
      token: owner.accessToken,
      body: { name: 'reader', scopes: ['storage:read'] },
    });
    expect(key.status).toBe(201);
    const apiKey = key.body.key;
    const denied = await create(apiKey, { filename: 'f.txt', mime_type: 'text/plain', size_bytes: 1 });
    expect(denied.status).toBe(403);
    const listed = await list(apiKey);
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThan(0);

    const writer = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
      token: owner.accessToken,
      body: { name: 'writer', scopes: ['storage:read', 'storage:write'] },
    });
    expect(
      (await create(writer.body.key, { filename: 'k.txt', mime_type: 'text/plain', size_bytes: 1 })).status,
    ).toBe(201);
  });

  it('deletes idempotently: the bytes go, the row is soft-deleted, the activity feed records it once', async () => {
    const { body: upload } = await create(owner.accessToken, {
      filename: 'gone.txt',
      mime_type: 'text/plain',
      size_bytes: 4,
    });
    expect((await put(upload, 'gone')).status).toBe(200);
    const dl = await downloadUrl(owner.accessToken, upload.object_id);
    const first = await remove(owner.accessToken, upload.object_id);
    expect(first.status).toBe(204);
    expect(first.body).toBeNull();
    expect((await remove(owner.accessToken, upload.object_id)).status).toBe(204);
    expect((await remove(owner.accessToken, randomUUID())).status).toBe(404);
    expect((await downloadUrl(owner.accessToken, upload.object_id)).status).toBe(404);
    expect((await list(owner.accessToken)).body.items.some((o) => o.id === upload.object_id)).toBe(false);
    expect((await fetch(dl.body.download_url)).status).toBe(404);
    expect(await t.stack.kernel.blobs.head(upload.object_key)).toBeNull();

    const db = t.stack.kernel.database.prisma;
    const row = await db.storageObject.findUniqueOrThrow({ where: { id: upload.object_id } });
    expect(row.status).toBe('deleted');
    expect(row.deletedAt).not.toBeNull();
    const entries = await db.activityEvent.findMany({
      where: { tenantId: owner.tenantId, action: 'storage.file.deleted', objectId: upload.object_id },
    });
    expect(entries.map((e) => [e.objectType, e.objectName, e.actorType])).toEqual([
      ['storage_object', row.filename, 'user'],
    ]);
  });

  it('pages with next_offset', async () => {
    const fresh = await t.register();
    for (let i = 0; i < 3; i++) {
      await create(fresh.accessToken, { filename: `${i}.txt`, mime_type: 'text/plain', size_bytes: 1 });
    }
    const first = await list(fresh.accessToken, '?limit=2');
    expect(first.body.items.map((o) => o.filename)).toEqual(['2.txt', '1.txt']);
    expect(first.body.next_offset).toBe(2);
    const second = await list(fresh.accessToken, '?limit=2&offset=2');
    expect(second.body.items.map((o) => o.filename)).toEqual(['0.txt']);
    expect(second.body.next_offset).toBeNull();
  });
});

describe('storage on S3 (s3rver)', () => {
  let s3: FakeS3;
  let t: TestStack;
  let owner: Account;
  const { create, list, downloadUrl, remove, put } = helpers(() => t);

  beforeAll(async () => {
    s3 = await startFakeS3();
    t = await bootStack(s3.env);
    owner = await t.register();
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('upload URL → PUT to S3 → uploaded → download URL → the same bytes as an attachment', async () => {
    const created = await create(owner.accessToken, {
      filename: 'image one.png',
      mime_type: 'image/png',
      size_bytes: PNG.length,
    });
    expect(created.status).toBe(201);
    expect(contractProblems('POST', UPLOAD, 201, created.body)).toEqual([]);
    const upload = created.body;
    expect(upload.bucket).toBe(s3.bucket);
    expect(upload.upload_url.startsWith(`${s3.endpoint}/${s3.bucket}/${owner.tenantId}/`)).toBe(true);
    const signed = new URL(upload.upload_url).searchParams.get('X-Amz-SignedHeaders') ?? '';
    expect(signed.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));

    expect((await put(upload, PNG)).status).toBe(200);
    const row = (await list(owner.accessToken)).body.items.find((o) => o.id === upload.object_id);
    expect(row).toMatchObject({ status: 'uploaded', bucket: s3.bucket });

    const dl = await downloadUrl(owner.accessToken, upload.object_id);
    expect(dl.status).toBe(200);
    expect(contractProblems('GET', DOWNLOAD, 200, dl.body)).toEqual([]);
    const got = await fetch(dl.body.download_url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="image one.png"');

    expect((await remove(owner.accessToken, upload.object_id)).status).toBe(204);
    expect(await t.stack.kernel.blobs.head(upload.object_key)).toBeNull();
  });

  it('rejects bytes of another size or type (s3rver does not enforce the signed headers; the check does)', async () => {
    const { body: sized } = await create(owner.accessToken, {
      filename: 'a.txt',
      mime_type: 'text/plain',
      size_bytes: 3,
    });
    expect((await put(sized, 'abcdef')).status).toBe(200);
    const refused = await downloadUrl(owner.accessToken, sized.object_id);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('The upload was rejected: 6 bytes were uploaded, but 3 were declared.');

    const { body: typed } = await create(owner.accessToken, {
      filename: 'b.txt',
      mime_type: 'text/plain',
      size_bytes: 3,
    });
    expect((await put(typed, 'abc', { 'Content-Type': 'text/html' })).status).toBe(200);
    const row = (await list(owner.accessToken)).body.items.find((o) => o.id === typed.object_id);
    expect(row?.status).toBe('rejected');
    expect((await downloadUrl(owner.accessToken, typed.object_id)).body.message).toContain(
      'uploaded as text/html, but text/plain was declared',
    );
  });

  it('a download URL before the upload is 409', async () => {
    const { body: upload } = await create(owner.accessToken, {
      filename: 'later.txt',
      mime_type: 'text/plain',
      size_bytes: 1,
    });
    expect((await downloadUrl(owner.accessToken, upload.object_id)).status).toBe(409);
  });
});

describe('blob store configuration', () => {
  it('fails start-up naming a missing S3 setting', async () => {
    const config = loadConfig({ STORAGE_PROVIDER: 's3', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' });
    await expect(createBlobStore(config, Buffer.alloc(32))).rejects.toThrow(/S3_BUCKET/);
  });

  it('signs local URLs with the key: another key does not verify them', async () => {
    const config = loadConfig({ DATA_DIR: 'memory://' });
    const a = (await createBlobStore(config, Buffer.alloc(32, 1))) as LocalBlobStore;
    const b = (await createBlobStore(config, Buffer.alloc(32, 2))) as LocalBlobStore;
    const { url } = await a.presignDownload('t/o/f.txt', 'f.txt', 60);
    const parsed = new URL(url);
    const query = Object.fromEntries(parsed.searchParams);
    expect(a.verify('t/o/f.txt', query)).toMatchObject({
      ok: true,
      request: { op: 'get', filename: 'f.txt' },
    });
    expect(b.verify('t/o/f.txt', query)).toEqual({ ok: false, reason: 'invalid' });
    expect(a.verify('t/o/other.txt', query)).toEqual({ ok: false, reason: 'invalid' });
  });
});

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Config } from './config.js';

/** What a stored blob is, as the store reports it. */
export interface BlobHead {
  sizeBytes: number;
  contentType: string | null;
}

/** A URL a client uses to move bytes directly to or from the store, and the headers it must send. */
export interface PresignedUrl {
  url: string;
  method: 'PUT' | 'GET';
  headers: Record<string, string>;
  expiresInSeconds: number;
}

/**
 * Where file bytes live: local disk under DATA_DIR (the embedded default) or an S3-compatible
 * bucket. Keys are `<tenant id>/<owner id>/<safe filename>`; the store never sees a tenant check,
 * callers own that.
 */
export interface BlobStore {
  readonly provider: 'local' | 's3';
  /** The bucket keys live in (`local` for the disk store). */
  readonly bucket: string;
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The whole blob, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** The first `length` bytes (type sniffing), or null when there is none. */
  getPrefix(key: string, length: number): Promise<Buffer | null>;
  head(key: string): Promise<BlobHead | null>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /** A URL to PUT exactly `sizeBytes` bytes of `contentType` to `key`. */
  presignUpload(
    key: string,
    contentType: string,
    sizeBytes: number,
    expiresInSeconds: number,
  ): Promise<PresignedUrl>;
  /** A URL to GET `key`, served as an attachment named `filename`. */
  presignDownload(key: string, filename: string, expiresInSeconds: number): Promise<PresignedUrl>;
}

/** `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266; the quoted name is an ASCII fallback). */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_') || 'file';
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return fallback === filename
    ? `attachment; filename="${fallback}"`
    : `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A media type without parameters, lower-cased: `Text/Plain; charset=utf-8` → `text/plain`. */
export function bareMediaType(type: string | null | undefined): string {
  return (type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A key made only of safe segments: no `..`, no absolute path, no backslash or NUL. */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  if (!key || key.length > 1024 || segments.some((s) => !s || s === '.' || s === '..' || /[\\\0]/.test(s))) {
    throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
  }
}

/** A filename reduced to characters safe in a key and a header: `Q3 report (final).pdf` → `Q3_report_final_.pdf`. */
export function safeFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/^\.+/, '')
    .slice(-128);
  return cleaned || 'file';
}

/** The local disk part of a store: files under `<root>/<key>`, written to a temporary name and renamed. */
export class DiskBlobs {
  constructor(readonly root: string) {}

  path(key: string): string {
    assertSafeKey(key);
    const full = resolve(this.root, key);
    if (!full.startsWith(resolve(this.root) + sep)) {
      throw new Error(`blob key escapes the store: ${key}`);
    }
    return full;
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // no copy
    await this.putStream(key, Readable.from([view]), contentType, bytes.length);
  }

  /** Records the content type beside the bytes (the disk has no metadata of its own). */
  async writeType(key: string, contentType: string): Promise<void> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(`${file}.type`, 'w');
    try {
      await handle.writeFile(contentType);
    } finally {
      await handle.close();
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return null;
      }
      throw error;
    }
  }

  async getPrefix(key: string, length: number): Promise<Buffer | null> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.path(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return null;
      }
      throw error;
    }
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    try {
      const info = await stat(this.path(key));
      let contentType: string | null = null;
      try {
        contentType = (await readFile(`${this.path(key)}.type`, 'utf8')) || null;
      } catch {
        contentType = null;
      }
      return { sizeBytes: info.size, contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return null;
      }
      throw error;
    }
  }

  /**
   * Streams `source` to a temporary file beside the blob and renames it into place only when exactly
   * `exactBytes` arrived: more is refused as soon as it arrives, fewer at the end (nothing is kept
   * either way). Returns the SHA-256 (hex) of the bytes.
   */
  async putStream(
    key: string,
    source: Readable,
    contentType: string,
    exactBytes: number,
  ): Promise<{ sha256: string }> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${randomUUID()}.part`;
    const handle = await open(temporary, 'w');
    const hash = createHash('sha256');
    let received = 0;
    try {
      for await (const chunk of source) {
        const bytes = chunk as Buffer;
        received += bytes.length;
        if (received > exactBytes) {
          throw new BlobSizeError('over', exactBytes, received);
        }
        hash.update(bytes);
        await handle.write(bytes);
      }
      if (received !== exactBytes) {
        throw new BlobSizeError('under', exactBytes, received);
      }
      await handle.sync();
      await handle.close();
      await rename(temporary, file);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temporary, { force: true });
      throw error;
    }
    await this.writeType(key, contentType);
    return { sha256: hash.digest('hex') };
  }

  stream(key: string) {
    return createReadStream(this.path(key));
  }

  async delete(key: string): Promise<void> {
    const file = this.path(key);
    await rm(file, { force: true });
    await rm(`${file}.type`, { force: true });
  }
}

/** The disk store's root under DATA_DIR (`memory://` data dirs share one temporary root per machine). */
export function localBlobRoot(dataDir: string, tmpDir: string): string {
  // One root for every process of the machine: processes sharing a PostgreSQL (tests) take each
  // other's ingest jobs, so they must see each other's bytes. Keys hold UUIDs: no collisions.
  return dataDir.startsWith('memory://')
    ? join(tmpDir, 'agent-platform-blobs')
    : join(resolve(dataDir), 'blobs');
}

/** A streamed body that was longer (`over`, as soon as it is) or shorter (`under`) than signed. */
export class BlobSizeError extends Error {
  constructor(
    readonly kind: 'over' | 'under',
    readonly expected: number,
    readonly received: number,
  ) {
    super(
      kind === 'over'
        ? `The body is longer than the signed ${expected} bytes.`
        : `The body has ${received} bytes; the URL was signed for exactly ${expected}.`,
    );
  }
}

/** What a valid signed local URL carries. */
export interface SignedBlobRequest {
  op: 'put' | 'get';
  key: string;
  /** Expiry, unix seconds. */
  expiresAt: number;
  /** put: the content type the body must have. */
  contentType: string;
  /** put: the exact body length. */
  sizeBytes: number;
  /** get: the attachment's filename. */
  filename: string;
}

/** The query parameters of a signed local URL, in the order they are signed. */
const SIGNED_PARAMS = ['op', 'exp', 'ct', 'len', 'fn'] as const;

function signatureOf(signingKey: Buffer, key: string, params: Record<string, string>): string {
  const text = ['v1', key, ...SIGNED_PARAMS.map((p) => params[p] ?? '')].join('\n');
  return createHmac('sha256', signingKey).update(text).digest('base64url');
}

/** Each segment percent-encoded, the slashes kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * The embedded default: bytes on disk (DiskBlobs) and URLs the platform signs itself
 * (`<public base>/blobs/<key>?op=…&exp=…&ct=…&len=…&fn=…&sig=…`, HMAC-SHA256 over all of them),
 * served by the gateway (gateway/blob-routes.ts). The public base is PUBLIC_URL until the gateway
 * knows its own address (port 0: `setPublicBaseUrl`).
 */
export class LocalBlobStore implements BlobStore {
  readonly provider = 'local' as const;
  readonly bucket = 'local';
  readonly disk: DiskBlobs;
  private publicBaseUrl: string;

  constructor(
    root: string,
    private readonly signingKey: Buffer,
    publicBaseUrl: string,
  ) {
    this.disk = new DiskBlobs(root);
    this.publicBaseUrl = publicBaseUrl.replace(/\/+$/, '');
  }

  /** Where signed URLs point from now on (the gateway's URL once it listens). */
  setPublicBaseUrl(url: string): void {
    this.publicBaseUrl = url.replace(/\/+$/, '');
  }

  put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    return this.disk.put(key, bytes, contentType);
  }

  get(key: string): Promise<Buffer | null> {
    return this.disk.get(key);
  }

  getPrefix(key: string, length: number): Promise<Buffer | null> {
    return this.disk.getPrefix(key, length);
  }

  head(key: string): Promise<BlobHead | null> {
    return this.disk.head(key);
  }

  delete(key: string): Promise<void> {
    return this.disk.delete(key);
  }

  /** A signed URL with these parameters (tests forge and expire URLs with it too). */
  signedUrl(key: string, params: Partial<Record<(typeof SIGNED_PARAMS)[number], string>>): string {
    assertSafeKey(key);
    const all = Object.fromEntries(SIGNED_PARAMS.map((p) => [p, params[p] ?? ''])) as Record<string, string>;
    const query = new URLSearchParams();
    for (const p of SIGNED_PARAMS) {
      if (all[p]) {
        query.set(p, all[p]);
      }
    }
    query.set('sig', signatureOf(this.signingKey, key, all));
    return `${this.publicBaseUrl}/blobs/${encodeKeyPath(key)}?${query}`;
  }

  async presignUpload(
    key: string,
    contentType: string,
    sizeBytes: number,
    expiresInSeconds: number,
  ): Promise<PresignedUrl> {
    const exp = String(Math.floor(Date.now() / 1000) + expiresInSeconds);
    return {
      url: this.signedUrl(key, { op: 'put', exp, ct: contentType, len: String(sizeBytes) }),
      method: 'PUT',
      headers: { 'Content-Type': contentType },
      expiresInSeconds,
    };
  }

  async presignDownload(key: string, filename: string, expiresInSeconds: number): Promise<PresignedUrl> {
    const exp = String(Math.floor(Date.now() / 1000) + expiresInSeconds);
    return {
      url: this.signedUrl(key, { op: 'get', exp, fn: filename }),
      method: 'GET',
      headers: {},
      expiresInSeconds,
    };
  }

  /**
   * Checks a request's key and query against its signature: the request it allows, or why not
   * (`invalid`: missing or wrong signature, unsafe key; `expired`).
   */
  verify(
    key: string,
    query: Record<string, string | undefined>,
  ): { ok: true; request: SignedBlobRequest } | { ok: false; reason: 'invalid' | 'expired' } {
    try {
      assertSafeKey(key);
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const params = Object.fromEntries(SIGNED_PARAMS.map((p) => [p, query[p] ?? ''])) as Record<
      string,
      string
    >;
    const given = Buffer.from(query.sig ?? '', 'utf8');
    const expected = Buffer.from(signatureOf(this.signingKey, key, params), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'invalid' };
    }
    const op = params.op;
    const expiresAt = Number(params.exp);
    if ((op !== 'put' && op !== 'get') || !Number.isInteger(expiresAt)) {
      return { ok: false, reason: 'invalid' };
    }
    if (expiresAt < Date.now() / 1000) {
      return { ok: false, reason: 'expired' };
    }
    const sizeBytes = op === 'put' ? Number(params.len) : 0;
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      return { ok: false, reason: 'invalid' };
    }
    return {
      ok: true,
      request: {
        op,
        key,
        expiresAt,
        contentType: params.ct ?? '',
        sizeBytes,
        filename: params.fn ?? '',
      },
    };
  }
}

/**
 * The key of the local store's signed URLs: STORAGE_SIGNING_KEY when set (a gateway started alone
 * must share it with the subgraphs), else derived from the secret box.
 */
export function storageSigningKey(
  config: Pick<Config, 'STORAGE_SIGNING_KEY'>,
  secrets: { derive(purpose: string): Buffer } | null,
): Buffer {
  if (config.STORAGE_SIGNING_KEY) {
    return Buffer.from(config.STORAGE_SIGNING_KEY, 'utf8');
  }
  if (!secrets) {
    throw new Error('STORAGE_SIGNING_KEY is not set (needed to verify the local store’s signed URLs).');
  }
  return secrets.derive('storage-url-signing');
}

const S3_REQUIRED = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

/** Fails, naming them, when settings the S3 store needs are missing. */
export function assertS3Settings(config: Config): void {
  const missing = S3_REQUIRED.filter((name) => !config[name]);
  if (missing.length) {
    throw new Error(`STORAGE_PROVIDER=s3 needs ${missing.join(', ')} (not set).`);
  }
}

/** The S3 store (the AWS SDK loads only for it); fails, naming the setting, when one is missing. */
async function openS3BlobStore(config: Config): Promise<BlobStore> {
  const { S3BlobStore } = await import('./blobs-s3.js');
  return S3BlobStore.fromConfig(config);
}

/**
 * The configured blob store: `local` (disk under DATA_DIR, URLs signed with `signingKey` and served by
 * the gateway) or `s3` (S3_BUCKET at S3_ENDPOINT; fails here, naming it, when a setting is missing).
 */
export async function createBlobStore(config: Config, signingKey: Buffer): Promise<BlobStore> {
  if (config.STORAGE_PROVIDER === 's3') {
    return openS3BlobStore(config);
  }
  return new LocalBlobStore(localBlobRoot(config.DATA_DIR, tmpdir()), signingKey, config.PUBLIC_URL);
}

import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

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
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.part`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    await this.writeType(key, contentType);
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

  stream(key: string) {
    return createReadStream(this.path(key));
  }

  async delete(key: string): Promise<void> {
    const file = this.path(key);
    await rm(file, { force: true });
    await rm(`${file}.type`, { force: true });
  }
}

/** The disk store's root under DATA_DIR (`memory://` data dirs get a per-process temporary root). */
export function localBlobRoot(dataDir: string, tmpDir: string): string {
  return dataDir.startsWith('memory://')
    ? join(tmpDir, `agent-platform-blobs-${process.pid}`)
    : join(resolve(dataDir), 'blobs');
}

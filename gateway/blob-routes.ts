/**
 * The local blob store's signed URLs (`/blobs/<key>?op=…&sig=…`, see subgraphs/kernel/blobs.ts):
 * PUT writes exactly the signed bytes of the signed type, GET serves them as an attachment. Only for
 * STORAGE_PROVIDER=local; S3's presigned URLs point at S3 itself.
 */
import type { NextFunction, Request, Response } from 'express';
import { envelope } from '../rest-bridge/errors.js';
import { attachmentDisposition, BlobSizeError, type LocalBlobStore } from '../subgraphs/kernel/blobs.js';
import type { Logger } from '../subgraphs/kernel/logger.js';

function fail(res: Response, status: number, message: string): void {
  if (!res.headersSent) {
    res.status(status).json(envelope(status, message));
  }
}

/** The media type as compared: lower-case, no spaces around parameters. */
const normalType = (value: string) =>
  value
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)
    .join(';')
    .toLowerCase();

/** The request's key: the path below the mount point, each segment decoded. */
function keyOf(req: Request): string | null {
  try {
    return req.path.replace(/^\/+/, '').split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
}

function queryOf(req: Request): Record<string, string | undefined> {
  const url = new URL(req.originalUrl, 'http://blob.invalid');
  return Object.fromEntries(url.searchParams);
}

/** The handler to mount on `/blobs`. */
export function blobRoutes(store: LocalBlobStore, log: Logger) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const method = req.method.toUpperCase();
    if (method !== 'PUT' && method !== 'GET' && method !== 'HEAD') {
      res.set('allow', 'GET, HEAD, PUT');
      fail(res, 405, 'Method not allowed.');
      return;
    }
    const key = keyOf(req);
    const checked = key ? store.verify(key, queryOf(req)) : ({ ok: false, reason: 'invalid' } as const);
    if (!checked.ok) {
      fail(
        res,
        403,
        checked.reason === 'expired' ? 'This URL has expired.' : 'The URL signature is not valid.',
      );
      return;
    }
    const signed = checked.request;
    const wanted = method === 'PUT' ? 'put' : 'get';
    if (signed.op !== wanted) {
      fail(res, 403, `This URL is signed for ${signed.op.toUpperCase()}, not ${method}.`);
      return;
    }
    try {
      if (method === 'PUT') {
        await put(store, signed, req, res);
      } else {
        await get(store, signed, method === 'HEAD', res);
      }
    } catch (error) {
      log.error({ err: error, key: signed.key }, 'blob request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      next(error);
    }
  };
}

async function put(
  store: LocalBlobStore,
  signed: { key: string; contentType: string; sizeBytes: number },
  req: Request,
  res: Response,
): Promise<void> {
  const given = req.get('content-type') ?? '';
  if (normalType(given) !== normalType(signed.contentType)) {
    res.set('connection', 'close');
    fail(res, 400, `Content-Type must be ${signed.contentType} (as signed), not ${given || 'absent'}.`);
    return;
  }
  const declared = req.get('content-length');
  if (declared !== undefined && Number(declared) !== signed.sizeBytes) {
    res.set('connection', 'close');
    const over = Number(declared) > signed.sizeBytes;
    fail(
      res,
      over ? 413 : 400,
      `The body must be exactly ${signed.sizeBytes} bytes (as signed); Content-Length is ${declared}.`,
    );
    return;
  }
  if (await store.head(signed.key)) {
    res.set('connection', 'close');
    fail(res, 409, 'This object has already been uploaded.');
    return;
  }
  try {
    const { sha256 } = await store.disk.putStream(signed.key, req, signed.contentType, signed.sizeBytes);
    res.status(200).set('etag', `"${sha256}"`).end();
  } catch (error) {
    if (error instanceof BlobSizeError) {
      res.set('connection', 'close');
      fail(res, error.kind === 'over' ? 413 : 400, error.message);
      return;
    }
    throw error;
  }
}

async function get(
  store: LocalBlobStore,
  signed: { key: string; filename: string },
  headOnly: boolean,
  res: Response,
): Promise<void> {
  const head = await store.head(signed.key);
  if (!head) {
    fail(res, 404, 'Object not found.');
    return;
  }
  // setHeader, not res.set: Express would add a charset to the stored type.
  res.statusCode = 200;
  res.setHeader('content-type', head.contentType ?? 'application/octet-stream');
  res.setHeader('content-length', String(head.sizeBytes));
  res.setHeader(
    'content-disposition',
    attachmentDisposition(signed.filename || signed.key.split('/').pop() || 'file'),
  );
  res.setHeader('cache-control', 'private, no-store');
  // Tenant bytes served from the API's origin: never sniffed, never run as a page.
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', "default-src 'none'; sandbox");
  if (headOnly) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = store.disk.stream(signed.key);
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { attachmentDisposition } from '../subgraphs/kernel/blobs.js';
import { envelope } from './errors.js';

/** What a download route's operation answers (REST-cased): a name and a signed URL or the bytes. */
export interface DownloadResult {
  filename?: string | null;
  url?: string | null;
  content_base64?: string | null;
}

const LEGACY_HEADERS = {
  'content-type': 'application/octet-stream',
  'cache-control': 'private, max-age=300',
};

function fail(res: ServerResponse, status: number, message: string) {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify(envelope(status, message)));
}

/**
 * Sends a download as the legacy API did: the bytes given, or the bytes at the signed URL relayed
 * as they arrive (404 when the store has none, 502 when it fails).
 */
export async function sendDownload(res: ServerResponse, result: DownloadResult): Promise<void> {
  const filename = result.filename || 'file.bin';
  if (typeof result.content_base64 === 'string') {
    const bytes = Buffer.from(result.content_base64, 'base64');
    res
      .writeHead(200, {
        ...LEGACY_HEADERS,
        'content-length': String(bytes.length),
        'content-disposition': attachmentDisposition(filename),
      })
      .end(bytes);
    return;
  }
  if (!result.url) {
    fail(res, 502, 'The file has no content to download.');
    return;
  }
  let upstream: Response;
  try {
    upstream = await fetch(result.url, { signal: AbortSignal.timeout(30_000) });
  } catch {
    fail(res, 502, 'The file store is unreachable.');
    return;
  }
  if (upstream.status === 404) {
    fail(res, 404, 'File not found');
    return;
  }
  if (!upstream.ok || !upstream.body) {
    fail(res, 502, `The file store failed (HTTP ${upstream.status}).`);
    return;
  }
  const length = upstream.headers.get('content-length');
  res.writeHead(200, {
    ...LEGACY_HEADERS,
    ...(length ? { 'content-length': length } : {}),
    'content-disposition': attachmentDisposition(filename),
  });
  await pipeline(Readable.fromWeb(upstream.body as never), res).catch(() => res.destroy());
}

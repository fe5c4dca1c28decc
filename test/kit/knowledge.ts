import { expect } from 'vitest';
import type { Account, TestStack } from './stack.js';

/** Helpers of the knowledge tests: multipart upload, ingest and wait, through the REST bridge. */

export interface FileBody {
  id: string;
  filename: string;
  mime_type: string;
  size_bytes: number;
  status: string;
  error: string | null;
  chunk_count: number;
  metadata: Record<string, unknown>;
}

/** Uploads a file as `multipart/form-data` (part `file`, optional JSON `metadata`). */
export async function upload(
  stack: TestStack,
  account: Account,
  filename: string,
  bytes: Uint8Array,
  type: string,
  metadata?: Record<string, unknown>,
): Promise<{ status: number; body: FileBody & Record<string, unknown> }> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)], { type }), filename);
  if (metadata) {
    form.append('metadata', JSON.stringify(metadata));
  }
  const res = await fetch(`${stack.url}/api/tenants/${account.tenantId}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${account.accessToken}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** Asks for an ingest and waits until the file is `ready` or `failed`. */
export async function ingest(
  stack: TestStack,
  account: Account,
  fileId: string,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<FileBody> {
  const started = await stack.rest<FileBody>(
    'POST',
    `/api/tenants/${account.tenantId}/files/${fileId}/ingest`,
    {
      token: account.accessToken,
      body: body ?? {},
    },
  );
  expect(started.status).toBe(202);
  expect(['queued', 'processing', 'ready']).toContain(started.body.status);
  return waitForFile(stack, account, fileId, timeoutMs);
}

export async function waitForFile(stack: TestStack, account: Account, fileId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await stack.rest<FileBody>('GET', `/api/tenants/${account.tenantId}/files/${fileId}`, {
      token: account.accessToken,
    });
    expect(res.status).toBe(200);
    if (res.body.status === 'ready' || res.body.status === 'failed') {
      return res.body;
    }
    if (Date.now() > deadline) {
      throw new Error(`file ${fileId} still ${res.body.status}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

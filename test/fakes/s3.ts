/**
 * An S3-compatible server on loopback (s3rver, port 0) for tests: a temporary directory, one bucket,
 * path-style addressing, the settings a stack needs to use it (`env`).
 *
 * s3rver 3.7 does NOT verify Signature V4 (its authentication middleware says so: "Signature
 * version 4 calculation is unimplemented"): it checks only that the access key exists and that a
 * presigned URL has not expired. A forged V4 signature, or a body whose length or type differs from
 * the signed ones, is accepted here; real S3 and MinIO refuse them. The platform's own byte check
 * (size, content type, magic bytes) is what the S3 tests exercise instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export interface FakeS3 {
  endpoint: string;
  bucket: string;
  /** STORAGE_PROVIDER=s3 and the S3_* settings of this server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** s3rver's built-in account (the only credentials it knows). */
const ACCESS_KEY = 'S3RVER';

export async function startFakeS3(bucket = 'test-bucket'): Promise<FakeS3> {
  const directory = mkdtempSync(join(tmpdir(), 'fake-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    env: {
      STORAGE_PROVIDER: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: ACCESS_KEY,
      S3_SECRET_ACCESS_KEY: ACCESS_KEY,
      S3_FORCE_PATH_STYLE: 'true',
    },
    async close() {
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

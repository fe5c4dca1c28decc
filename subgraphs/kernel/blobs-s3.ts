import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertS3Settings,
  attachmentDisposition,
  type BlobHead,
  type BlobStore,
  type PresignedUrl,
} from './blobs.js';
import type { Config } from './config.js';

/** The settings an S3 store cannot start without. */

/** An object that is not there: S3 answers 404 (`NoSuchKey`, `NotFound`). */
function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound')
  );
}

/**
 * Bytes in an S3-compatible bucket (AWS, MinIO, R2 …). Presigned PUTs sign Content-Type and
 * Content-Length, so the service itself refuses other bytes; presigned GETs ask for an attachment.
 */
export class S3BlobStore implements BlobStore {
  readonly provider = 's3' as const;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** From S3_* settings; a missing one fails start-up with its name. */
  static fromConfig(config: Config): S3BlobStore {
    assertS3Settings(config);
    const client = new S3Client({
      region: config.S3_REGION,
      ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
      forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true',
      credentials: {
        accessKeyId: config.S3_ACCESS_KEY_ID ?? '',
        secretAccessKey: config.S3_SECRET_ACCESS_KEY ?? '',
      },
      // No checksum headers the client of a presigned URL would have to repeat.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3BlobStore(client, config.S3_BUCKET ?? '');
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: contentType,
        ContentLength: bytes.byteLength,
      }),
    );
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
    } catch (error) {
      if (isMissing(error)) {
        return null;
      }
      throw error;
    }
  }

  async getPrefix(key: string, length: number): Promise<Buffer | null> {
    if (length <= 0) {
      return (await this.head(key)) ? Buffer.alloc(0) : null;
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${length - 1}` }),
      );
      const bytes = out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      // A server that ignores Range sends everything.
      return bytes.subarray(0, length);
    } catch (error) {
      if (isMissing(error)) {
        return null;
      }
      // 416: the object is empty.
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 416) {
        return Buffer.alloc(0);
      }
      throw error;
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { sizeBytes: out.ContentLength ?? 0, contentType: out.ContentType ?? null };
    } catch (error) {
      if (isMissing(error)) {
        return null;
      }
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (!isMissing(error)) {
        throw error;
      }
    }
  }

  async presignUpload(
    key: string,
    contentType: string,
    sizeBytes: number,
    expiresInSeconds: number,
  ): Promise<PresignedUrl> {
    const url = await getSignedUrl(
      this.client,
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: contentType,
        ContentLength: sizeBytes,
      }),
      { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) },
    );
    return { url, method: 'PUT', headers: { 'Content-Type': contentType }, expiresInSeconds };
  }

  async presignDownload(key: string, filename: string, expiresInSeconds: number): Promise<PresignedUrl> {
    const url = await getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: attachmentDisposition(filename),
      }),
      { expiresIn: expiresInSeconds },
    );
    return { url, method: 'GET', headers: {}, expiresInSeconds };
  }
}

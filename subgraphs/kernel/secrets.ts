import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { Db } from './db.js';

/**
 * Encryption at rest for secrets the platform must read back (TOTP seeds): AES-256-GCM with the key
 * from DATA_ENCRYPTION_KEY, or a key generated once and kept in `kernel_secret` (embedded default).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static async open(db: Db, configured: string | undefined): Promise<SecretBox> {
    if (configured) {
      return new SecretBox(createHash('sha256').update(configured).digest());
    }
    const name = 'data_encryption_key';
    // INSERT … ON CONFLICT DO NOTHING: processes starting together on a fresh database agree on the
    // first key written (an upsert is a read then an insert, and the second insert failed).
    await db.kernelSecret.createMany({
      data: [{ name, value: randomBytes(32).toString('base64') }],
      skipDuplicates: true,
    });
    const row = await db.kernelSecret.findUniqueOrThrow({ where: { name } });
    return new SecretBox(Buffer.from(row.value, 'base64'));
  }

  /** A key for one purpose (`storage-url-signing` …): HMAC-SHA256 of the purpose under this box's key. */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(purpose).digest();
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || !body) {
      throw new Error('unrecognised sealed secret');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

/** SHA-256 hex of a token or code; what is stored instead of the secret itself. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A random URL-safe token of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

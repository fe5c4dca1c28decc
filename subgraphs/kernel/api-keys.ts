import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './db.js';
import { UnauthenticatedError } from './errors.js';
import { sha256 } from './secrets.js';
import type { ApiKeyViewer } from './viewer.js';

/** `ak_<12 hex prefix>_<base64url secret>`: the prefix finds the row, the secret's SHA-256 proves it. */
const API_KEY_PATTERN = /^ak_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$/;

/** How often `lastUsedAt` is written at most per key. */
const LAST_USED_THROTTLE_MS = 60_000;

export interface ParsedApiKey {
  prefix: string;
  secret: string;
}

/** Whether a credential looks like an API key (as opposed to a JWT). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith('ak_');
}

export function parseApiKey(credential: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(credential);
  return match?.[1] && match[2] ? { prefix: match[1], secret: match[2] } : null;
}

/** A fresh key: the full text (shown once), its prefix and the hash to store. */
export function generateApiKey(): { key: string; prefix: string; keyHash: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `ak_${prefix}_${secret}`, prefix, keyHash: sha256(secret) };
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verifies an API key and builds its viewer. Unknown, malformed, revoked or expired keys, and keys of
 * a tenant that is not active, answer UNAUTHENTICATED. Records `lastUsedAt` at most once a minute.
 */
export async function authenticateApiKey(db: Db, credential: string): Promise<ApiKeyViewer> {
  const invalid = new UnauthenticatedError('Invalid, expired or revoked API key.');
  const parsed = parseApiKey(credential);
  if (!parsed) {
    throw invalid;
  }
  const row = await db.apiKey.findUnique({ where: { prefix: parsed.prefix } });
  const now = new Date();
  if (!row || !sameHash(row.keyHash, sha256(parsed.secret))) {
    throw invalid;
  }
  if (row.revokedAt || (row.expiresAt && row.expiresAt <= now)) {
    throw invalid;
  }
  const tenant = await db.tenant.findUnique({ where: { id: row.tenantId }, select: { status: true } });
  if (tenant?.status !== 'active') {
    throw invalid;
  }
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_THROTTLE_MS) {
    // Conditional, so concurrent requests write it once; a failure here must not fail the request.
    await db.apiKey
      .updateMany({
        where: {
          id: row.id,
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_THROTTLE_MS) } }],
        },
        data: { lastUsedAt: now },
      })
      .catch(() => undefined);
  }
  return {
    kind: 'api-key',
    subject: `api-key:${row.id}`,
    apiKeyId: row.id,
    tenantId: row.tenantId,
    role: null,
    userId: null,
    scopes: new Set(row.scopes),
    sessionId: null,
    emailVerified: false,
    claims: {},
  };
}

import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../kernel/secrets.js';
import type { IdentityTx } from './db.js';

/** What an email token is for (the `EmailToken.purpose` column). */
export type EmailTokenPurpose = 'email_verification' | 'password_reset';

const TOKEN_SHAPE = /^([0-9a-f]{32})\.([0-9a-f]{64})$/;

/** Mints a `<uuid hex>.<64 hex secret>` token; only the secret's SHA-256 is stored. */
export async function mintEmailToken(
  tx: IdentityTx,
  userId: string,
  purpose: EmailTokenPurpose,
  ttlMinutes: number,
): Promise<string> {
  const id = randomUUID();
  const secret = randomBytes(32).toString('hex');
  await tx.emailToken.create({
    data: {
      id,
      userId,
      purpose,
      secretHash: sha256(secret),
      expiresAt: new Date(Date.now() + ttlMinutes * 60_000),
    },
  });
  return `${id.replaceAll('-', '')}.${secret}`;
}

/** Whether a string has the token's shape (else the caller answers "malformed"). */
export function isWellFormedEmailToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/**
 * Marks a live token of that purpose used (single use, race-safe) and returns its user, or null
 * when the token is malformed, unknown, expired, already used or its secret does not match.
 */
export async function redeemEmailToken(
  tx: IdentityTx,
  token: string,
  purpose: EmailTokenPurpose,
): Promise<{ userId: string } | null> {
  const match = TOKEN_SHAPE.exec(token);
  if (!match?.[1] || !match[2]) {
    return null;
  }
  const hex = match[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const row = await tx.emailToken.findUnique({ where: { id } });
  if (!row || row.purpose !== purpose || row.secretHash !== sha256(match[2])) {
    return null;
  }
  const claimed = await tx.emailToken.updateMany({
    where: { id, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  return claimed.count === 1 ? { userId: row.userId } : null;
}

/** Voids every other live token of a user for that purpose (after a successful redemption). */
export async function voidEmailTokens(
  tx: IdentityTx,
  userId: string,
  purpose: EmailTokenPurpose,
): Promise<void> {
  await tx.emailToken.updateMany({
    where: { userId, purpose, usedAt: null },
    data: { usedAt: new Date() },
  });
}

import { type Algorithm, hash, verify } from '@node-rs/argon2';
import type { IdentityTx } from './db.js';

// OWASP's argon2id recommendation: m=19 MiB, t=2, p=1. (Algorithm is a const enum: 2 = Argon2id.)
const ARGON2ID = { algorithm: 2 as Algorithm, memoryCost: 19456, timeCost: 2, parallelism: 1 };

// A real hash of a random password, so unknown emails cost the same as wrong passwords.
const DECOY = hash(crypto.randomUUID(), ARGON2ID);

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

/** Verifies a password; with no stored hash it still spends the time of one verification. */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    await verify(await DECOY, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}

/** At least 14 characters from at least two classes (upper, lower, digit, symbol). */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < 14) {
    problems.push('Password must be at least 14 characters long.');
  }
  if (password.length > 256) {
    problems.push('Password must be at most 256 characters long.');
  }
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 2) {
    problems.push('Password must mix at least two of: lowercase, uppercase, digits, symbols.');
  }
  return problems;
}

/** How many previous passwords may not be reused (legacy AUTH_PASSWORD_HISTORY_COUNT). */
export const PASSWORD_HISTORY_COUNT = 5;

/** Records a password hash in the user's history and keeps only the newest PASSWORD_HISTORY_COUNT rows. */
export async function recordPasswordHistory(
  tx: IdentityTx,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await tx.passwordHistory.create({ data: { userId, passwordHash } });
  const keep = await tx.passwordHistory.findMany({
    where: { userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: PASSWORD_HISTORY_COUNT,
    select: { id: true },
  });
  await tx.passwordHistory.deleteMany({ where: { userId, id: { notIn: keep.map((k) => k.id) } } });
}

/** Whether the password is the current one or one of the last PASSWORD_HISTORY_COUNT. */
export async function wasRecentlyUsed(
  tx: IdentityTx,
  user: { id: string; passwordHash: string },
  password: string,
): Promise<boolean> {
  const history = await tx.passwordHistory.findMany({
    where: { userId: user.id },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: PASSWORD_HISTORY_COUNT,
    select: { passwordHash: true },
  });
  const hashes = [user.passwordHash, ...history.map((h) => h.passwordHash)];
  for (const stored of hashes) {
    if (await verify(stored, password).catch(() => false)) {
      return true;
    }
  }
  return false;
}

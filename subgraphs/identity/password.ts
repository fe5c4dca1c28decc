import { type Algorithm, hash, verify } from '@node-rs/argon2';

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

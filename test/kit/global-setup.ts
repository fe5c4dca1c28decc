import { deployMigrations } from '../../prisma/migrate.js';
import { openDatabase } from '../../subgraphs/kernel/db.js';

/** With DATABASE_URL, migrate the shared test PostgreSQL once before any test file boots a stack. */
export default async function setup() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    return;
  }
  const db = await openDatabase({ url });
  try {
    await deployMigrations(db);
    // Rate-limit counters are keyed by client IP, and every test connects from 127.0.0.1: start clean.
    await db.prisma.rateLimiterFlexible.deleteMany({});
  } finally {
    await db.close();
  }
}

import { describe, expect, it } from 'vitest';
import { deployMigrations } from '../../prisma/migrate.js';
import { openDatabase } from '../../subgraphs/kernel/db.js';
import { SecretBox } from '../../subgraphs/kernel/secrets.js';

describe('the generated data key', () => {
  it('is written once when processes open the box together on a fresh database, and all agree on it', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      await deployMigrations(db);
      const boxes = await Promise.all(Array.from({ length: 4 }, () => SecretBox.open(db.prisma, undefined)));
      const sealed = (boxes[0] as SecretBox).seal('totp-seed');
      for (const box of boxes) {
        expect(box.open(sealed)).toBe('totp-seed');
      }
      expect(await db.prisma.kernelSecret.count()).toBe(1);
    } finally {
      await db.close();
    }
  });
});

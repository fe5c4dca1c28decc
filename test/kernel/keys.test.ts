import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMigrations } from '../../prisma/migrate.js';
import { loadConfig } from '../../subgraphs/kernel/config.js';
import { type Database, openDatabase } from '../../subgraphs/kernel/db.js';
import { KeyRing } from '../../subgraphs/kernel/keys.js';

describe('access token verification', () => {
  let db: Database;
  let keys: KeyRing;
  const config = loadConfig({});
  const claims = { sub: 'user-1', token_use: 'access' };

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await deployMigrations(db);
    keys = new KeyRing(db.prisma, config);
    await keys.load();
  });
  afterAll(() => db.close());

  it('remembers a verified token only until it expires', async () => {
    const token = await keys.sign(claims, 1, config.AUTH_AUDIENCE);
    const first = await keys.verify(token, 'access');
    expect(first.sub).toBe('user-1');
    expect(await keys.verify(token, 'access')).toBe(first); // remembered: the same frozen claims
    expect(Object.isFrozen(first)).toBe(true);
    while (Math.floor(Date.now() / 1000) < (first.exp as number)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await expect(keys.verify(token, 'access')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('never takes a token for a remembered one it differs from', async () => {
    const token = await keys.sign(claims, 60, config.AUTH_AUDIENCE);
    await keys.verify(token, 'access');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
    await expect(keys.verify(`${header}.${payload}.${flipped}`, 'access')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    // A remembered access token is still not a refresh token.
    await expect(keys.verify(token, 'refresh')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type RestResult, type TestStack } from '../kit/stack.js';

let t: TestStack;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  t = await bootStack();
  [alice, bob] = await Promise.all([t.register(), t.register()]);
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.stack.kernel.database.prisma;
const CONSENTS = '/api/v1/users/consents';
const PREFS = '/api/v1/users/notification-preferences';

/** Sends a REST request and checks the response against the contract (success and error alike). */
async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RestResult<T>> {
  const res = await t.rest<T>(method, path, options);
  expect(contractProblems(method, path, res.status, res.body)).toEqual([]);
  return res;
}

describe('consents', () => {
  it('records a consent once per policy and version (201, no data) and lists it', async () => {
    const body = { policy_key: 'terms', version: '2024-01', ip_hash: 'abc', user_agent_hash: 'def' };
    const first = await call('POST', CONSENTS, { token: alice.accessToken, body });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ success: true, message: 'Consent recorded.', data: null });
    const row = await db().consent.findFirstOrThrow({ where: { userId: alice.userId, policyKey: 'terms' } });
    expect(row).toMatchObject({ version: '2024-01', ipHash: 'abc', userAgentHash: 'def' });

    const again = await call('POST', CONSENTS, {
      token: alice.accessToken,
      body: { ...body, ip_hash: 'other' },
    });
    expect(again.status).toBe(201);
    const rows = await db().consent.findMany({ where: { userId: alice.userId, policyKey: 'terms' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ipHash: 'abc', acceptedAt: row.acceptedAt });

    await call('POST', CONSENTS, {
      token: alice.accessToken,
      body: { policy_key: 'terms', version: '2025-01' },
    });
    const list = await call<{ policy_key: string; version: string; accepted_at: string }[]>('GET', CONSENTS, {
      token: alice.accessToken,
    });
    expect(list.status).toBe(200);
    expect(list.body.map((c) => c.version).sort()).toEqual(['2024-01', '2025-01']);
    expect(list.body.find((c) => c.version === '2024-01')?.accepted_at).toBe(row.acceptedAt.toISOString());

    const theirs = await call<unknown[]>('GET', CONSENTS, { token: bob.accessToken });
    expect(theirs.body).toEqual([]);
  });

  it('lists at most 50, newest first', async () => {
    const account = await t.register();
    await db().consent.createMany({
      data: Array.from({ length: 55 }, (_, i) => ({
        userId: account.userId,
        policyKey: 'bulk',
        version: `v${i}`,
        acceptedAt: new Date(Date.UTC(2024, 0, 1, 0, i)),
      })),
    });
    const list = await call<{ version: string }[]>('GET', CONSENTS, { token: account.accessToken });
    expect(list.body).toHaveLength(50);
    expect(list.body[0]?.version).toBe('v54');
  });

  it('refuses bad input with 422 and records nothing; needs a credential', async () => {
    const account = await t.register();
    for (const body of [
      { policy_key: 'x'.repeat(65), version: '1' },
      { policy_key: 'terms', version: 'v'.repeat(33) },
      { policy_key: 'terms' },
      { policy_key: '', version: '1' },
      { policy_key: 'terms', version: '1', ip_hash: 'h'.repeat(129) },
      { policy_key: 'terms', version: 1 },
    ]) {
      const res = await call('POST', CONSENTS, { token: account.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect(await db().consent.count({ where: { userId: account.userId } })).toBe(0);
    expect((await call('GET', CONSENTS)).status).toBe(401);
    expect((await call('POST', CONSENTS, { body: { policy_key: 'terms', version: '1' } })).status).toBe(401);
  });
});

describe('notification preferences', () => {
  it('upserts per channel and category in the caller’s tenant and lists them', async () => {
    const created = await call<Record<string, unknown>>('PUT', PREFS, {
      token: alice.accessToken,
      body: { channel: 'email', category: 'billing' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.any(String),
      channel: 'email',
      category: 'billing',
      enabled: true,
      tenant_id: alice.tenantId,
    });
    const updated = await call<Record<string, unknown>>('PUT', PREFS, {
      token: alice.accessToken,
      body: { channel: 'email', category: 'billing', enabled: false, tenant_id: alice.tenantId },
    });
    expect(updated.body).toMatchObject({ id: created.body.id, enabled: false });
    await call('PUT', PREFS, { token: alice.accessToken, body: { channel: 'sms', category: 'security' } });
    const list = await call<{ channel: string; enabled: boolean }[]>('GET', PREFS, {
      token: alice.accessToken,
    });
    expect(list.status).toBe(200);
    expect(list.body.map((p) => [p.channel, p.enabled])).toEqual([
      ['email', false],
      ['sms', true],
    ]);
    const theirs = await call<unknown[]>('GET', PREFS, { token: bob.accessToken });
    expect(theirs.body).toEqual([]);
  });

  it('refuses another tenant with 403 and changes nothing', async () => {
    const before = await db().notificationPreference.count({ where: { userId: alice.userId } });
    const res = await call('PUT', PREFS, {
      token: alice.accessToken,
      body: { channel: 'email', category: 'news', tenant_id: bob.tenantId },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ message: 'Tenant context mismatch for notification preferences.' });
    const header = await call('PUT', PREFS, {
      token: alice.accessToken,
      headers: { 'x-tenant-id': bob.tenantId },
      body: { channel: 'email', category: 'news' },
    });
    expect(header.status).toBe(403);
    const read = await call('GET', PREFS, {
      token: alice.accessToken,
      headers: { 'x-tenant-id': bob.tenantId },
    });
    expect(read.status).toBe(403);
    expect(await db().notificationPreference.count({ where: { userId: alice.userId } })).toBe(before);
    expect(await db().notificationPreference.count({ where: { tenantId: bob.tenantId } })).toBe(0);
  });

  it('refuses bad input with 422 and changes nothing; needs a credential', async () => {
    const account = await t.register();
    for (const body of [
      { channel: 'c'.repeat(17), category: 'billing' },
      { channel: 'email', category: 'c'.repeat(65) },
      { channel: 'email' },
      { channel: '', category: 'billing' },
      { channel: 'email', category: 'billing', tenant_id: 'not-a-uuid' },
      { channel: 'email', category: 'billing', enabled: 'sometimes' },
    ]) {
      const res = await call('PUT', PREFS, { token: account.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect(await db().notificationPreference.count({ where: { userId: account.userId } })).toBe(0);
    expect((await call('GET', PREFS)).status).toBe(401);
    expect((await call('PUT', PREFS, { body: { channel: 'email', category: 'x' } })).status).toBe(401);
  });

  it('works over GraphQL too', async () => {
    const res = await t.gql<{ setNotificationPreference: { channel: string; tenantId: string } }>(
      `mutation ($input: SetNotificationPreferenceInput!) {
        setNotificationPreference(input: $input) { channel tenantId } }`,
      { input: { channel: 'push', category: `c-${randomUUID().slice(0, 8)}` } },
      bob.accessToken,
    );
    expect(res.data?.setNotificationPreference).toEqual({ channel: 'push', tenantId: bob.tenantId });
    const consents = await t.gql<{ consents: unknown[] }>(
      'query { consents { policyKey } }',
      {},
      bob.accessToken,
    );
    expect(consents.data?.consents).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;
let owner: Account;
let other: Account;

beforeAll(async () => {
  t = await bootStack();
  [owner, other] = await Promise.all([t.register(), t.register()]);
});
afterAll(async () => {
  await t?.close();
});

const PATH = '/api/v1/tenants/settings';

const valid = {
  billing_contacts: [{ name: 'Grace', email: 'grace@example.com', role: 'CFO' }],
  billing_webhook_url: 'https://hooks.example.com/billing',
  plan_metadata: { tier: 'gold', seats: 12, '': 'dropped' },
  flags: { betaAgents: true, legacy_mode: 'false', '': true },
};

describe('tenant settings', () => {
  it('answers defaults before anything is saved', async () => {
    const res = await t.rest('GET', PATH, { token: owner.accessToken });
    expect(res.status).toBe(200);
    expect(contractProblems('GET', PATH, 200, res.body)).toEqual([]);
    expect(res.body).toEqual({
      tenant_id: owner.tenantId,
      billing_contacts: [],
      billing_webhook_url: null,
      plan_metadata: {},
      flags: {},
      version: 0,
      updated_at: null,
    });
  });

  it('replaces the settings, coerces map values, keeps map keys as sent, and bumps the version', async () => {
    const first = await t.rest<Record<string, unknown>>('PUT', PATH, {
      token: owner.accessToken,
      body: valid,
    });
    expect(first.status).toBe(200);
    expect(contractProblems('PUT', PATH, 200, first.body)).toEqual([]);
    expect(first.body).toMatchObject({
      billing_contacts: [
        { name: 'Grace', email: 'grace@example.com', role: 'CFO', phone: null, notify_billing: true },
      ],
      billing_webhook_url: 'https://hooks.example.com/billing',
      plan_metadata: { tier: 'gold', seats: '12' },
      // Keys inside JSON maps are data, not field names: they are not re-cased.
      flags: { betaAgents: true, legacy_mode: false },
      version: 1,
    });
    const second = await t.rest<{ version: number; billing_contacts: unknown[] }>('PUT', PATH, {
      token: owner.accessToken,
      body: { billing_contacts: [], plan_metadata: {}, flags: {} },
    });
    expect(second.body.version).toBe(2);
    expect(second.body.billing_contacts).toEqual([]);
    const read = await t.gql<{ tenantSettings: { version: number; billingWebhookUrl: string | null } }>(
      'query { tenantSettings { version billingWebhookUrl } }',
      {},
      owner.accessToken,
    );
    expect(read.data?.tenantSettings).toEqual({ version: 2, billingWebhookUrl: null });
  });

  it('keeps tenants apart: another tenant reads and writes only its own settings', async () => {
    await t.rest('PUT', PATH, { token: owner.accessToken, body: valid });
    const theirs = await t.rest<{ tenant_id: string; billing_contacts: unknown[] }>('GET', PATH, {
      token: other.accessToken,
    });
    expect(theirs.body.tenant_id).toBe(other.tenantId);
    expect(theirs.body.billing_contacts).toEqual([]);
  });

  it.each([
    [
      'more than 10 contacts',
      {
        ...valid,
        billing_contacts: Array.from({ length: 11 }, (_, i) => ({
          name: `n${i}`,
          email: `n${i}@example.com`,
        })),
      },
    ],
    ['a contact without email', { ...valid, billing_contacts: [{ name: 'x' }] }],
    ['a contact with a bad email', { ...valid, billing_contacts: [{ name: 'x', email: 'nope' }] }],
    ['a non-http webhook', { ...valid, billing_webhook_url: 'ftp://example.com/x' }],
    ['a missing flags map', { billing_contacts: [], plan_metadata: {} }],
    ['an unknown field', { ...valid, surprise: 1 }],
    [
      'an oversize contact name',
      { ...valid, billing_contacts: [{ name: 'x'.repeat(129), email: 'a@example.com' }] },
    ],
  ])('rejects %s with 422 and changes nothing', async (_name, body) => {
    const before = await t.rest<{ version: number }>('GET', PATH, { token: owner.accessToken });
    const res = await t.rest('PUT', PATH, { token: owner.accessToken, body });
    expect(res.status).toBe(422);
    expect(contractProblems('PUT', PATH, 422, res.body)).toEqual([]);
    const after = await t.rest<{ version: number }>('GET', PATH, { token: owner.accessToken });
    expect(after.body.version).toBe(before.body.version);
  });

  it('requires an owner or admin: 401 without credentials, 403 for a member', async () => {
    expect((await t.rest('GET', PATH)).status).toBe(401);
    // A member of the tenant (memberships are managed by the identity issue; created directly here).
    const member = await t.register();
    await t.stack.kernel.database.prisma.membership.updateMany({
      where: { userId: member.userId },
      data: { role: 'member' },
    });
    const login = await t.rest<{ access_token: string }>('POST', '/api/v1/auth/token', {
      body: { email: member.email, password: member.password },
    });
    const res = await t.rest('GET', PATH, { token: login.body.access_token });
    expect(res.status).toBe(403);
    expect(contractProblems('GET', PATH, 403, res.body)).toEqual([]);
  });
});

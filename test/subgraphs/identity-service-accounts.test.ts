import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';

const ISSUE = '/api/v1/auth/service-accounts/issue';
const BROWSER = '/api/v1/auth/service-accounts/browser-issue';
const TOKENS = '/api/v1/auth/service-accounts/tokens';
const REVOKE = '/api/v1/auth/service-accounts/tokens/{jti}/revoke';

type Body = Record<string, unknown>;
type TokenList = { items: Body[]; total: number; limit: number; offset: number };

let t: TestStack;
let ownerA: Account;
let ownerB: Account;
let operatorToken: string;

const OVERRIDE = { 'x-operator-override': 'true', 'x-operator-reason': 'incident 42 follow-up' };

beforeAll(async () => {
  t = await bootStack({
    SERVICE_ACCOUNT_ISSUE_PER_ACCOUNT_MINUTE: '3',
    SERVICE_ACCOUNT_ISSUE_PER_MINUTE: '1000',
  });
  const operator = await t.register();
  [ownerA, ownerB] = await Promise.all([t.register(), t.register()]);
  await t.stack.kernel.database.prisma.user.update({
    where: { id: operator.userId },
    data: { platformRole: 'operator' },
  });
  const login = await t.rest<Body>('POST', '/api/v1/auth/token', {
    body: { email: operator.email, password: operator.password },
  });
  operatorToken = login.body.access_token as string;
});
afterAll(async () => {
  await t?.close();
});

async function browserIssue(token: string, body: Body, headers?: Record<string, string>) {
  const res = await t.rest<Body>('POST', BROWSER, { token, body, ...(headers ? { headers } : {}) });
  expect(contractProblems('POST', BROWSER, res.status, res.body)).toEqual([]);
  return res;
}

async function listTokens(token: string, query = '', headers?: Record<string, string>) {
  const res = await t.rest<TokenList>('GET', `${TOKENS}${query}`, { token, ...(headers ? { headers } : {}) });
  expect(contractProblems('GET', TOKENS, res.status, res.body)).toEqual([]);
  return res;
}

async function revoke(token: string, jti: string, body: Body = {}, headers?: Record<string, string>) {
  const res = await t.rest<Body>('POST', `${TOKENS}/${encodeURIComponent(jti)}/revoke`, {
    token,
    body,
    ...(headers ? { headers } : {}),
  });
  expect(contractProblems('POST', REVOKE, res.status, res.body)).toEqual([]);
  return res;
}

const reason = 'nightly analytics export';

describe('browser issuance by a tenant admin', () => {
  let first: Body;

  it('issues a refresh JWT for its own tenant (201), stored only as a hash', async () => {
    const res = await browserIssue(ownerA.accessToken, {
      account: 'analytics-batch',
      scopes: ['conversations:read'],
      fingerprint: 'etl-1',
      reason,
    });
    expect(res.status).toBe(201);
    first = res.body;
    expect(res.body).toMatchObject({
      account: 'analytics-batch',
      scopes: ['conversations:read'],
      tenant_id: ownerA.tenantId,
      token_use: 'refresh',
      session_id: null,
    });
    const claims = decodeJwt(res.body.refresh_token as string);
    expect(claims).toMatchObject({
      sub: 'service-account:analytics-batch',
      account: 'analytics-batch',
      token_use: 'refresh',
      scope: 'conversations:read',
      tenant_id: ownerA.tenantId,
      fingerprint: 'etl-1',
    });
    const row = await t.stack.kernel.database.prisma.serviceAccountToken.findUniqueOrThrow({
      where: { jti: claims.jti as string },
    });
    expect(row.tokenHash).toBe(
      createHash('sha256')
        .update(res.body.refresh_token as string)
        .digest('hex'),
    );
    expect(row.signingKid).toBe(res.body.kid);
    // A service-account refresh token is not a user session: it cannot be refreshed or used as access.
    const refresh = await t.rest('POST', '/api/v1/auth/refresh', {
      body: { refresh_token: res.body.refresh_token },
    });
    expect(refresh.status).toBe(401);
  });

  it('refuses a second active token for the same key (409) unless forced; the old one is revoked', async () => {
    const body = { account: 'analytics-batch', scopes: ['conversations:read'], reason };
    const again = await browserIssue(ownerA.accessToken, body);
    expect(again.status).toBe(409);
    const forced = await browserIssue(ownerA.accessToken, { ...body, force: true });
    expect(forced.status).toBe(201);
    const oldJti = decodeJwt(first.refresh_token as string).jti as string;
    const row = await t.stack.kernel.database.prisma.serviceAccountToken.findUniqueOrThrow({
      where: { jti: oldJti },
    });
    expect(row.revokedReason).toBe('replaced');
    const active = await listTokens(ownerA.accessToken, '?account=ANALYTICS');
    expect(active.status).toBe(200);
    expect(active.body.items.map((i) => i.jti)).toEqual([decodeJwt(forced.body.refresh_token as string).jti]);
    const all = await listTokens(ownerA.accessToken, '?status=all');
    expect(all.body.items.map((i) => i.jti)).toContain(oldJti);
    expect(all.body).toMatchObject({ limit: 20, offset: 0 });
  });

  it('enforces the catalog rules (400) and the tenant boundary (403), creating nothing', async () => {
    const prisma = t.stack.kernel.database.prisma;
    const before = await prisma.serviceAccountToken.count();
    const cases: [Body, number][] = [
      [{ account: 'nope', scopes: ['conversations:read'], reason }, 400],
      [{ account: 'billing-worker', scopes: ['conversations:read'], reason }, 400],
      [{ account: 'billing-worker', scopes: [], reason }, 400],
      [{ account: 'synthetic-monitor', scopes: ['tools:read'], lifetime_minutes: 1441, reason }, 400],
      [{ account: 'synthetic-monitor', scopes: ['tools:read'], lifetime_minutes: 0, reason }, 400],
      [{ account: 'billing-worker', scopes: ['billing:read'], tenant_id: ownerB.tenantId, reason }, 403],
      [{ account: 'support-console', scopes: ['support:*'], reason }, 403],
      [{ account: 'billing-worker', scopes: ['billing:read'], reason: 'short' }, 422],
      [{ account: 'billing-worker', reason }, 422],
    ];
    for (const [body, status] of cases) {
      const res = await browserIssue(ownerA.accessToken, body);
      expect({ body, status: res.status }).toEqual({ body, status });
    }
    const mismatch = await browserIssue(ownerA.accessToken, {
      account: 'billing-worker',
      scopes: ['billing:read'],
      tenant_id: ownerB.tenantId,
      reason,
    });
    expect(mismatch.body).toMatchObject({ message: 'Tenant mismatch for service-account issuance.' });
    expect(await prisma.serviceAccountToken.count()).toBe(before);
  });

  it('limits issuance bursts per account and tenant (429 with Retry-After)', async () => {
    const body = { account: 'billing-worker', scopes: ['billing:read'], reason, force: true };
    for (let i = 0; i < 3; i++) {
      expect((await browserIssue(ownerB.accessToken, body)).status).toBe(201);
    }
    const limited = await browserIssue(ownerB.accessToken, body);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refuses non-admins: down-scoped role or foreign X-Tenant-Id → 403; no credential → 401', async () => {
    const body = { account: 'billing-worker', scopes: ['billing:read'], reason };
    const member = await browserIssue(ownerA.accessToken, body, { 'x-tenant-role': 'member' });
    expect(member.status).toBe(403);
    expect(member.body).toMatchObject({
      message: 'Tenant admin privileges required or set X-Operator-Override header to act as operator.',
    });
    const foreign = await browserIssue(ownerA.accessToken, body, { 'x-tenant-id': ownerB.tenantId });
    expect(foreign.status).toBe(403);
    // The override headers do nothing without the operator scope.
    const fakeOperator = await browserIssue(
      ownerA.accessToken,
      { account: 'support-console', scopes: ['support:*'], reason },
      OVERRIDE,
    );
    expect(fakeOperator.status).toBe(403);
    const anonymous = await t.rest<Body>('POST', BROWSER, { body });
    expect(anonymous.status).toBe(401);
    expect(contractProblems('POST', BROWSER, 401, anonymous.body)).toEqual([]);
    const list = await t.rest<Body>('GET', TOKENS);
    expect(list.status).toBe(401);
    expect(contractProblems('GET', TOKENS, 401, list.body)).toEqual([]);
    const rev = await t.rest<Body>('POST', `${TOKENS}/x/revoke`, { body: {} });
    expect(rev.status).toBe(401);
    expect(contractProblems('POST', REVOKE, 401, rev.body)).toEqual([]);
    const memberList = await listTokens(ownerA.accessToken, '', { 'x-tenant-role': 'viewer' });
    expect(memberList.status).toBe(403);
  });
});

describe('listing and revocation', () => {
  it('keeps tenants apart: a tenant admin lists only its own tokens', async () => {
    const mine = await listTokens(ownerA.accessToken, '?status=all&limit=100');
    expect(mine.status).toBe(200);
    expect(mine.body.total).toBeGreaterThan(0);
    expect(new Set(mine.body.items.map((i) => i.tenant_id))).toEqual(new Set([ownerA.tenantId]));
    const theirs = await listTokens(ownerA.accessToken, `?tenant_id=${ownerB.tenantId}`);
    expect(theirs.status).toBe(403);
    const bad = await listTokens(ownerA.accessToken, '?limit=101');
    expect(bad.status).toBe(422);
    const badStatus = await listTokens(ownerA.accessToken, '?status=zombie');
    expect(badStatus.status).toBe(422);
  });

  it('answers 404 for another tenant’s token or an unknown jti, and revokes its own (200)', async () => {
    const bTokens = await listTokens(ownerB.accessToken);
    const bJti = bTokens.body.items[0]?.jti as string;
    expect(bJti).toBeTruthy();
    const foreign = await revoke(ownerA.accessToken, bJti, { reason: 'not mine' });
    expect(foreign.status).toBe(404);
    const prisma = t.stack.kernel.database.prisma;
    expect(
      (await prisma.serviceAccountToken.findUniqueOrThrow({ where: { jti: bJti } })).revokedAt,
    ).toBeNull();
    const unknown = await revoke(ownerA.accessToken, randomUUID());
    expect(unknown.status).toBe(404);

    const aTokens = await listTokens(ownerA.accessToken);
    const aJti = aTokens.body.items[0]?.jti as string;
    const tooLong = await revoke(ownerA.accessToken, aJti, { reason: 'x'.repeat(257) });
    expect(tooLong.status).toBe(422);
    expect(
      (await prisma.serviceAccountToken.findUniqueOrThrow({ where: { jti: aJti } })).revokedAt,
    ).toBeNull();
    const ok = await revoke(ownerA.accessToken, aJti);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      success: true,
      message: 'Service account token revoked.',
      data: { jti: aJti },
    });
    const row = await prisma.serviceAccountToken.findUniqueOrThrow({ where: { jti: aJti } });
    expect(row.revokedReason).toBe('tenant_admin_manual_revoke');
    const revokedList = await listTokens(ownerA.accessToken, '?status=revoked&limit=100');
    expect(revokedList.body.items.map((i) => i.jti)).toContain(aJti);
  });
});

describe('operators', () => {
  it('issue global accounts and act on any tenant with the override headers', async () => {
    const global = await browserIssue(
      operatorToken,
      {
        account: 'support-console',
        scopes: ['support:*', 'activity:read'],
        lifetime_minutes: 60,
        reason,
        // Global tokens outlive a test run on a shared database.
        force: true,
      },
      OVERRIDE,
    );
    expect(global.status).toBe(201);
    expect(global.body).toMatchObject({ tenant_id: null, scopes: ['activity:read', 'support:*'] });
    const forB = await browserIssue(
      operatorToken,
      { account: 'synthetic-monitor', scopes: ['tools:read'], tenant_id: ownerB.tenantId, reason },
      OVERRIDE,
    );
    expect(forB.status).toBe(201);
    const jti = decodeJwt(forB.body.refresh_token as string).jti as string;

    const listB = await listTokens(
      operatorToken,
      `?tenant_id=${ownerB.tenantId}&include_global=true&limit=100`,
      OVERRIDE,
    );
    expect(listB.status).toBe(200);
    const tenants = new Set(listB.body.items.map((i) => i.tenant_id));
    expect(tenants.has(ownerB.tenantId)).toBe(true);
    expect(tenants.has(null)).toBe(true);
    expect(tenants.has(ownerA.tenantId)).toBe(false);

    const revoked = await revoke(operatorToken, jti, {}, OVERRIDE);
    expect(revoked.status).toBe(200);
    const row = await t.stack.kernel.database.prisma.serviceAccountToken.findUniqueOrThrow({
      where: { jti },
    });
    expect(row.revokedReason).toBe('incident 42 follow-up');
  });

  it('need the override reason header', async () => {
    const res = await browserIssue(
      operatorToken,
      { account: 'demo-bot', scopes: ['chat:write'], reason },
      { 'x-operator-override': 'yes' },
    );
    expect(res.status).toBe(403);
  });

  it('are served over GraphQL too', async () => {
    const res = await t.gql<{ serviceAccountTokens: { total: number } }>(
      '{ serviceAccountTokens(status: ALL) { total items { jti account } } }',
      {},
      ownerA.accessToken,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.serviceAccountTokens.total).toBeGreaterThan(0);
  });
});

describe('machine issuance (/issue)', () => {
  it('answers 503 when Vault verification is unavailable and the dev flag is off (the default)', async () => {
    const before = await t.stack.kernel.database.prisma.serviceAccountToken.count();
    for (const token of ['dev-local', 'vault:forged', undefined]) {
      const res = await t.rest<Body>('POST', ISSUE, {
        body: { account: 'demo-bot', scopes: ['chat:write'] },
        ...(token ? { token } : {}),
      });
      expect(res.status).toBe(503);
      expect(contractProblems('POST', ISSUE, 503, res.body)).toEqual([]);
      expect(res.body).toMatchObject({ error: 'ServiceUnavailable' });
    }
    expect(await t.stack.kernel.database.prisma.serviceAccountToken.count()).toBe(before);
  });

  // The dev flag is a deployment setting: a second stack with it on, driven through HTTP like a client.
  describe('with SERVICE_ACCOUNT_DEV_LOCAL_ISSUANCE=true', () => {
    let dev: TestStack;
    beforeAll(async () => {
      dev = await bootStack({
        SERVICE_ACCOUNT_DEV_LOCAL_ISSUANCE: 'true',
        // A shared PostgreSQL shares the counters with this file's other stack.
        SERVICE_ACCOUNT_ISSUE_PER_MINUTE: '1000',
      });
    });
    afterAll(async () => {
      await dev?.close();
    });

    it('refuses any credential but dev-local (401) and issues nothing', async () => {
      const prisma = dev.stack.kernel.database.prisma;
      const before = await prisma.serviceAccountToken.count();
      const user = await dev.register();
      for (const token of ['vault:forged', user.accessToken, undefined]) {
        const res = await dev.rest<Body>('POST', ISSUE, {
          body: { account: 'demo-bot', scopes: ['chat:write'] },
          ...(token ? { token } : {}),
        });
        expect(res.status).toBe(401);
        expect(contractProblems('POST', ISSUE, 401, res.body)).toEqual([]);
        expect(res.body).toMatchObject({
          success: false,
          error: 'Unauthorized',
          message: 'Vault-signed credential required for service-account issuance.',
        });
      }
      expect(await prisma.serviceAccountToken.count()).toBe(before);
    });

    it('issues with `Authorization: Bearer dev-local` (201), stored only as a hash', async () => {
      const res = await dev.rest<Body>('POST', ISSUE, {
        token: 'dev-local',
        body: { account: 'demo-bot', scopes: ['conversations:read', 'chat:write'], force: true },
      });
      expect(res.status).toBe(201);
      expect(contractProblems('POST', ISSUE, 201, res.body)).toEqual([]);
      expect(res.body).toMatchObject({ account: 'demo-bot', tenant_id: null, token_use: 'refresh' });
      const claims = decodeJwt(res.body.refresh_token as string);
      expect(claims).toMatchObject({
        sub: 'service-account:demo-bot',
        scope: 'chat:write conversations:read',
      });
      const row = await dev.stack.kernel.database.prisma.serviceAccountToken.findUniqueOrThrow({
        where: { jti: claims.jti as string },
      });
      expect(row.tokenHash).toBe(
        createHash('sha256')
          .update(res.body.refresh_token as string)
          .digest('hex'),
      );
    });

    it('validates the body after the credential (422), issuing nothing', async () => {
      const prisma = dev.stack.kernel.database.prisma;
      const before = await prisma.serviceAccountToken.count();
      const res = await dev.rest<Body>('POST', ISSUE, {
        token: 'dev-local',
        body: { scopes: ['chat:write'] },
      });
      expect(res.status).toBe(422);
      expect(contractProblems('POST', ISSUE, 422, res.body)).toEqual([]);
      expect(await prisma.serviceAccountToken.count()).toBe(before);
    });
  });
});

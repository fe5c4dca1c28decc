import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../subgraphs/identity/password.js';
import { contractProblems } from '../kit/contract.js';
import { bootStack, type TestStack } from '../kit/stack.js';

const PASSWORD = 'Correct-Horse-Battery-9';
const REGISTER = '/api/v1/auth/register';
const POLICY = '/api/v1/auth/signup-policy';
const INVITES = '/api/v1/auth/invites';
const REVOKE_INVITE = '/api/v1/auth/invites/{invite_id}/revoke';
const REQUESTS = '/api/v1/auth/signup-requests';
const APPROVE = '/api/v1/auth/signup-requests/{request_id}/approve';
const REJECT = '/api/v1/auth/signup-requests/{request_id}/reject';
const REQUEST_ACCESS = '/api/v1/auth/request-access';

type Body = Record<string, unknown>;

const email = (tag = 'user') => `${tag}-${randomUUID()}@example.com`;

/** A tenant owner created straight in the database (t.register() only works under the public policy). */
async function seedOwner(t: TestStack, operator: boolean): Promise<{ id: string; token: string }> {
  const prisma = t.stack.kernel.database.prisma;
  const address = email(operator ? 'operator' : 'owner');
  const tenant = await prisma.tenant.create({
    data: { name: 'Seeded', slug: `seeded-${randomUUID().slice(0, 12)}` },
  });
  const user = await prisma.user.create({
    data: {
      email: address,
      passwordHash: await hashPassword(PASSWORD),
      platformRole: operator ? 'operator' : null,
    },
  });
  await prisma.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'owner' } });
  const login = await t.rest<Body>('POST', '/api/v1/auth/token', {
    body: { email: address, password: PASSWORD },
  });
  expect(login.status).toBe(200);
  return { id: user.id, token: login.body.access_token as string };
}

function registerBody(address: string, inviteToken?: string): Body {
  return {
    email: address,
    password: PASSWORD,
    tenant_name: `Tenant ${randomUUID().slice(0, 8)}`,
    accept_terms: true,
    ...(inviteToken ? { invite_token: inviteToken } : {}),
  };
}

async function register(t: TestStack, address: string, inviteToken?: string) {
  const res = await t.rest<Body>('POST', REGISTER, { body: registerBody(address, inviteToken) });
  expect(contractProblems('POST', REGISTER, res.status, res.body)).toEqual([]);
  return res;
}

async function createInvite(t: TestStack, token: string, body: Body = {}) {
  const res = await t.rest<Body>('POST', INVITES, { token, body });
  expect(contractProblems('POST', INVITES, res.status, res.body)).toEqual([]);
  return res;
}

describe('public policy', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await bootStack({ SIGNUP_RATE_LIMIT_PER_EMAIL_DAY: '2', SIGNUP_CONCURRENT_REQUESTS_LIMIT: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes the policy (REST and GraphQL)', async () => {
    const res = await t.rest<Body>('GET', POLICY);
    expect(res.status).toBe(200);
    expect(contractProblems('GET', POLICY, 200, res.body)).toEqual([]);
    expect(res.body).toEqual({ policy: 'public', invite_required: false, request_access_enabled: false });
    const gql = await t.gql<{ signupPolicy: Body }>('{ signupPolicy { policy inviteRequired } }');
    expect(gql.data?.signupPolicy).toEqual({ policy: 'PUBLIC', inviteRequired: false });
  });

  it('registers without an invite and records the password in the history', async () => {
    const res = await register(t, email());
    expect(res.status).toBe(201);
    const history = await t.stack.kernel.database.prisma.passwordHistory.findMany({
      where: { userId: res.body.user_id as string },
    });
    expect(history).toHaveLength(1);
    expect(history[0]?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('limits signups per email per day: 429 with Retry-After, nothing created', async () => {
    const address = email('limited');
    expect((await register(t, address)).status).toBe(201);
    expect((await register(t, address)).status).toBe(409);
    const third = await register(t, address);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(third.body).toMatchObject({ success: false, error: 'TooManyRequests' });
  });

  it('caps pending access requests per IP (429) and drops honeypot submissions silently', async () => {
    const prisma = t.stack.kernel.database.prisma;
    const pendingFromHere = () =>
      prisma.signupRequest.count({
        where: { status: 'pending', ipAddress: { in: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] } },
      });
    const before = await pendingFromHere();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.rest<Body>('POST', REQUEST_ACCESS, {
        body: { email: email('req'), organization: 'Acme', full_name: 'Ada Lovelace', accept_terms: true },
      });
      expect(contractProblems('POST', REQUEST_ACCESS, res.status, res.body)).toEqual([]);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body).toMatchObject({
          message: 'Too many pending requests from this IP. Try again soon.',
        });
      } else {
        // Accepted even under the public policy (legacy behaviour), answering the policy.
        expect(res.status).toBe(202);
        expect(res.body).toEqual({ policy: 'public', invite_required: false, request_access_enabled: false });
      }
    }
    expect(statuses.at(-1)).toBe(429);
    expect(await pendingFromHere()).toBe(Math.max(before, 3));
    const bot = email('bot');
    const honeypot = await t.rest<Body>('POST', REQUEST_ACCESS, {
      body: {
        email: bot,
        organization: 'Bots',
        full_name: 'Bot Bot',
        accept_terms: true,
        honeypot: 'gotcha',
      },
    });
    expect(honeypot.status).toBe(202);
    expect(contractProblems('POST', REQUEST_ACCESS, 202, honeypot.body)).toEqual([]);
    expect(await prisma.signupRequest.count({ where: { email: bot } })).toBe(0);
  });

  it('refuses invalid access requests with 422 and stores nothing', async () => {
    const address = email('invalid');
    const res = await t.rest<Body>('POST', REQUEST_ACCESS, {
      body: { email: address, organization: 'A', full_name: 'Ada', accept_terms: false },
    });
    expect(res.status).toBe(422);
    expect(contractProblems('POST', REQUEST_ACCESS, 422, res.body)).toEqual([]);
    expect(await t.stack.kernel.database.prisma.signupRequest.count({ where: { email: address } })).toBe(0);
  });
});

describe('invite_only policy', () => {
  let t: TestStack;
  let operator: { id: string; token: string };
  let owner: { id: string; token: string };
  beforeAll(async () => {
    t = await bootStack({ SIGNUP_ACCESS_POLICY: 'invite_only' });
    [operator, owner] = await Promise.all([seedOwner(t, true), seedOwner(t, false)]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes the policy', async () => {
    const res = await t.rest<Body>('GET', POLICY);
    expect(contractProblems('GET', POLICY, 200, res.body)).toEqual([]);
    expect(res.body).toEqual({ policy: 'invite_only', invite_required: true, request_access_enabled: true });
  });

  it('refuses signup without an invite or with an unknown one (403), creating nothing', async () => {
    const address = email();
    const missing = await register(t, address);
    expect(missing.status).toBe(403);
    expect(missing.body).toMatchObject({ message: 'Invite token is required for signup.' });
    const unknown = await register(t, address, 'not-a-real-invite-token');
    expect(unknown.status).toBe(403);
    expect(unknown.body).toMatchObject({ message: 'Invite token is invalid.' });
    expect(await t.stack.kernel.database.prisma.user.count({ where: { email: address } })).toBe(0);
  });

  it('issues an invite (201) recording the issuer, and exhausts it at max_redemptions', async () => {
    const issued = await createInvite(t, operator.token, { max_redemptions: 2, note: 'two seats' });
    expect(issued.status).toBe(201);
    const token = issued.body.invite_token as string;
    expect(issued.body).toMatchObject({
      token_hint: token.slice(0, 8),
      status: 'active',
      max_redemptions: 2,
      redeemed_count: 0,
      note: 'two seats',
      invited_email: null,
    });
    const row = await t.stack.kernel.database.prisma.signupInvite.findUniqueOrThrow({
      where: { id: issued.body.id as string },
    });
    expect(row.issuerUserId).toBe(operator.id);
    expect(row.tokenHash).not.toBe(token);
    expect((await register(t, email(), token)).status).toBe(201);
    expect((await register(t, email(), token)).status).toBe(201);
    const third = await register(t, email(), token);
    expect(third.status).toBe(403);
    expect(third.body).toMatchObject({ message: 'Invite token is no longer active.' });
    const list = await t.rest<{ invites: Body[]; total: number }>('GET', `${INVITES}?status=exhausted`, {
      token: operator.token,
    });
    expect(list.status).toBe(200);
    expect(contractProblems('GET', INVITES, 200, list.body)).toEqual([]);
    expect(list.body.invites.find((i) => i.id === issued.body.id)).toMatchObject({
      status: 'exhausted',
      redeemed_count: 2,
    });
  });

  it('binds an invite to its email: another email is refused and consumes nothing', async () => {
    const invited = email('invited');
    const issued = await createInvite(t, operator.token, { invited_email: invited });
    const token = issued.body.invite_token as string;
    const wrong = await register(t, email('intruder'), token);
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ message: 'Invite token is restricted to a different email.' });
    const row = await t.stack.kernel.database.prisma.signupInvite.findUniqueOrThrow({
      where: { id: issued.body.id as string },
    });
    expect(row.redeemedCount).toBe(0);
    expect((await register(t, invited.toUpperCase(), token)).status).toBe(201);
  });

  it('does not consume the invite when the signup fails (email already registered → 409)', async () => {
    const address = email('twice');
    const first = await createInvite(t, operator.token);
    expect((await register(t, address, first.body.invite_token as string)).status).toBe(201);
    const second = await createInvite(t, operator.token);
    const dup = await register(t, address, second.body.invite_token as string);
    expect(dup.status).toBe(409);
    const row = await t.stack.kernel.database.prisma.signupInvite.findUniqueOrThrow({
      where: { id: second.body.id as string },
    });
    expect(row).toMatchObject({ redeemedCount: 0, status: 'active' });
  });

  it('refuses an expired invite (403) and marks it expired', async () => {
    const issued = await createInvite(t, operator.token, { expires_in_hours: 1 });
    const prisma = t.stack.kernel.database.prisma;
    await prisma.signupInvite.update({
      where: { id: issued.body.id as string },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await register(t, email(), issued.body.invite_token as string);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ message: 'Invite token has expired.' });
    const row = await prisma.signupInvite.findUniqueOrThrow({ where: { id: issued.body.id as string } });
    expect(row).toMatchObject({ status: 'expired', revokedReason: 'expired' });
    const list = await t.rest<{ invites: Body[] }>('GET', `${INVITES}?status=expired&limit=200`, {
      token: operator.token,
    });
    expect(list.body.invites.map((i) => i.id)).toContain(issued.body.id);
  });

  it('revokes an invite; a revoked invite cannot be used or revoked again (404)', async () => {
    const issued = await createInvite(t, operator.token, { expires_in_hours: null });
    expect(issued.body.expires_at).toBeNull();
    const path = `${INVITES}/${issued.body.id}/revoke`;
    const revoked = await t.rest<Body>('POST', path, { token: operator.token });
    expect(revoked.status).toBe(200);
    expect(contractProblems('POST', REVOKE_INVITE, 200, revoked.body)).toEqual([]);
    expect(revoked.body).toMatchObject({ id: issued.body.id, status: 'revoked' });
    const use = await register(t, email(), issued.body.invite_token as string);
    expect(use.status).toBe(403);
    expect(use.body).toMatchObject({ message: 'Invite token is no longer active.' });
    for (const again of [path, `${INVITES}/${randomUUID()}/revoke`, `${INVITES}/not-a-uuid/revoke`]) {
      const res = await t.rest<Body>('POST', again, { token: operator.token });
      expect(res.status).toBe(404);
      expect(contractProblems('POST', REVOKE_INVITE, 404, res.body)).toEqual([]);
      expect(res.body).toMatchObject({ message: 'Invite not found or already revoked.' });
    }
  });

  it('filters invites by email and mails an invite on request', async () => {
    const invited = email('mailed');
    const issued = await createInvite(t, operator.token, { invited_email: invited, send_email: true });
    expect(issued.status).toBe(201);
    const list = await t.rest<{ invites: Body[]; total: number }>(
      'GET',
      `${INVITES}?email=${encodeURIComponent(invited)}`,
      { token: operator.token },
    );
    expect(list.body.total).toBe(1);
    expect(list.body.invites[0]?.id).toBe(issued.body.id);
    const mail = await t.stack.kernel.database.prisma.emailOutbox.findFirst({ where: { to: invited } });
    expect(mail?.purpose).toBe('signup_invite');
    expect(mail?.text).toContain(issued.body.invite_token as string);
  });

  it('refuses bad invite input with 422 and creates nothing', async () => {
    const prisma = t.stack.kernel.database.prisma;
    const before = await prisma.signupInvite.count();
    for (const body of [
      { max_redemptions: 11 },
      { expires_in_hours: 0 },
      { invited_email: 'not-an-email' },
      { signup_request_id: 'nope' },
    ]) {
      const res = await createInvite(t, operator.token, body);
      expect(res.status).toBe(422);
    }
    const list = await t.rest<Body>('GET', `${INVITES}?limit=0`, { token: operator.token });
    expect(list.status).toBe(422);
    expect(contractProblems('GET', INVITES, 422, list.body)).toEqual([]);
    const unknownRequest = await createInvite(t, operator.token, { signup_request_id: randomUUID() });
    expect(unknownRequest.status).toBe(404);
    expect(await prisma.signupInvite.count()).toBe(before);
  });

  it('answers 401 without credentials and 403 without the operator scopes', async () => {
    const id = randomUUID();
    const calls: [string, string, string, Body | undefined][] = [
      ['GET', INVITES, INVITES, undefined],
      ['POST', INVITES, INVITES, {}],
      ['POST', `${INVITES}/${id}/revoke`, REVOKE_INVITE, undefined],
      ['GET', REQUESTS, REQUESTS, undefined],
      ['POST', `${REQUESTS}/${id}/approve`, APPROVE, {}],
      ['POST', `${REQUESTS}/${id}/reject`, REJECT, {}],
    ];
    for (const [method, path, contractPath, body] of calls) {
      const anonymous = await t.rest<Body>(method, path, { body });
      expect(anonymous.status).toBe(401);
      expect(contractProblems(method, contractPath, 401, anonymous.body)).toEqual([]);
      const member = await t.rest<Body>(method, path, { body, token: owner.token });
      expect(member.status).toBe(403);
      expect(contractProblems(method, contractPath, 403, member.body)).toEqual([]);
    }
  });
});

describe('approval policy', () => {
  let t: TestStack;
  let operator: { id: string; token: string };
  beforeAll(async () => {
    t = await bootStack({ SIGNUP_ACCESS_POLICY: 'approval' });
    operator = await seedOwner(t, true);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function requestAccess(address: string) {
    const res = await t.rest<Body>('POST', REQUEST_ACCESS, {
      body: {
        email: address,
        organization: 'Analytical Engines',
        full_name: 'Ada Lovelace',
        message: 'We would like to try it.',
        accept_terms: true,
      },
    });
    expect(res.status).toBe(202);
    expect(contractProblems('POST', REQUEST_ACCESS, 202, res.body)).toEqual([]);
    expect(res.body).toEqual({ policy: 'approval', invite_required: true, request_access_enabled: true });
    const row = await t.stack.kernel.database.prisma.signupRequest.findFirstOrThrow({
      where: { email: address },
    });
    return row.id;
  }

  it('runs the whole flow: request → approve → register with the token → login', async () => {
    const address = email('approved');
    const requestId = await requestAccess(address);
    const list = await t.rest<{ requests: Body[]; total: number }>(
      'GET',
      `${REQUESTS}?status=pending&limit=200`,
      {
        token: operator.token,
      },
    );
    expect(list.status).toBe(200);
    expect(contractProblems('GET', REQUESTS, 200, list.body)).toEqual([]);
    expect(list.body.requests.find((r) => r.id === requestId)).toMatchObject({
      email: address,
      organization: 'Analytical Engines',
      full_name: 'Ada Lovelace',
      status: 'pending',
    });
    const approved = await t.rest<{ request: Body; invite: Body }>(
      'POST',
      `${REQUESTS}/${requestId}/approve`,
      { token: operator.token, body: { note: 'welcome', invite_expires_in_hours: 24 } },
    );
    expect(approved.status).toBe(200);
    expect(contractProblems('POST', APPROVE, 200, approved.body)).toEqual([]);
    const token = approved.body.invite.invite_token as string;
    expect(approved.body.request).toMatchObject({
      id: requestId,
      status: 'approved',
      decision_reason: 'welcome',
      invite_token_hint: token.slice(0, 8),
    });
    expect(approved.body.invite).toMatchObject({
      invited_email: address,
      signup_request_id: requestId,
      max_redemptions: 1,
      note: 'welcome',
    });
    const row = await t.stack.kernel.database.prisma.signupRequest.findUniqueOrThrow({
      where: { id: requestId },
    });
    expect(row.decidedBy).toBe(operator.id);
    expect(row.decidedAt).not.toBeNull();
    const byRequest = await t.rest<{ invites: Body[]; total: number }>(
      'GET',
      `${INVITES}?request_id=${requestId}`,
      {
        token: operator.token,
      },
    );
    expect(byRequest.body.total).toBe(1);

    const again = await t.rest<Body>('POST', `${REQUESTS}/${requestId}/approve`, {
      token: operator.token,
      body: {},
    });
    expect(again.status).toBe(409);
    expect(contractProblems('POST', APPROVE, 409, again.body)).toEqual([]);
    expect(again.body).toMatchObject({ message: 'Request already processed by another operator.' });
    expect(byRequest.body.total).toBe(1);
    const rejectApproved = await t.rest<Body>('POST', `${REQUESTS}/${requestId}/reject`, {
      token: operator.token,
      body: {},
    });
    expect(rejectApproved.status).toBe(409);

    const signup = await register(t, address, token);
    expect(signup.status).toBe(201);
    const login = await t.rest<Body>('POST', '/api/v1/auth/token', {
      body: { email: address, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.body.tenant_id).toBe(signup.body.tenant_id);
    const reuse = await register(t, email(), token);
    expect(reuse.status).toBe(403);
  });

  it('requires an approved invite: an operator invite without a request is refused (403)', async () => {
    const issued = await createInvite(t, operator.token);
    const res = await register(t, email(), issued.body.invite_token as string);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ message: 'Approval-required signup must use an approved invite.' });
    const missing = await register(t, email());
    expect(missing.status).toBe(403);
    expect(missing.body).toMatchObject({ message: 'Invite token is required for signup.' });
  });

  it('rejects a request (no invite) and answers 404 for unknown requests', async () => {
    const requestId = await requestAccess(email('rejected'));
    const rejected = await t.rest<{ request: Body; invite: unknown }>(
      'POST',
      `${REQUESTS}/${requestId}/reject`,
      {
        token: operator.token,
        body: { reason: 'not a fit' },
      },
    );
    expect(rejected.status).toBe(200);
    expect(contractProblems('POST', REJECT, 200, rejected.body)).toEqual([]);
    expect(rejected.body.request).toMatchObject({ status: 'rejected', decision_reason: 'not a fit' });
    expect(rejected.body.invite).toBeNull();
    const list = await t.rest<{ requests: Body[] }>('GET', `${REQUESTS}?status=rejected&limit=200`, {
      token: operator.token,
    });
    expect(list.body.requests.map((r) => r.id)).toContain(requestId);
    for (const id of [randomUUID(), 'not-a-uuid']) {
      for (const [path, contractPath] of [
        [`${REQUESTS}/${id}/approve`, APPROVE],
        [`${REQUESTS}/${id}/reject`, REJECT],
      ] as const) {
        const res = await t.rest<Body>('POST', path, { token: operator.token, body: {} });
        expect(res.status).toBe(404);
        expect(contractProblems('POST', contractPath, 404, res.body)).toEqual([]);
      }
    }
  });

  it('refuses bad decision input with 422 and leaves the request pending', async () => {
    const requestId = await requestAccess(email('pending'));
    const res = await t.rest<Body>('POST', `${REQUESTS}/${requestId}/approve`, {
      token: operator.token,
      body: { invite_expires_in_hours: 0 },
    });
    expect(res.status).toBe(422);
    expect(contractProblems('POST', APPROVE, 422, res.body)).toEqual([]);
    const bad = await t.rest<Body>('GET', `${REQUESTS}?status=unknown`, { token: operator.token });
    expect(bad.status).toBe(422);
    expect(contractProblems('GET', REQUESTS, 422, bad.body)).toEqual([]);
    const prisma = t.stack.kernel.database.prisma;
    expect((await prisma.signupRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe(
      'pending',
    );
    expect(await prisma.signupInvite.count({ where: { signupRequestId: requestId } })).toBe(0);
  });

  it('serves the operator surface over GraphQL too', async () => {
    const res = await t.gql<{ signupRequests: { total: number }; signupInvites: { total: number } }>(
      '{ signupRequests(status: APPROVED) { total } signupInvites { total } }',
      {},
      operator.token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.signupRequests.total).toBeGreaterThan(0);
    expect(res.data?.signupInvites.total).toBeGreaterThan(0);
  });
});

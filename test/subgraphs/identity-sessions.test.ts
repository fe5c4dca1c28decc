import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type MailCatcher, startMailCatcher } from '../kit/mail.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;
let mail: MailCatcher;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await bootStack({ SMTP_URL: mail.url, AUTH_EMAIL_VERIFICATION_IP_PER_HOUR: '10000' });
});
afterAll(async () => {
  await t?.close();
  await mail?.close();
});

const db = () => t.stack.kernel.database.prisma;

type Json = Record<string, unknown>;

async function login(a: Account): Promise<{ accessToken: string; refreshToken: string; sessionId: string }> {
  const res = await t.rest<Record<string, string>>('POST', '/api/v1/auth/token', {
    body: { email: a.email, password: a.password },
  });
  expect(res.status).toBe(200);
  return {
    accessToken: res.body.access_token as string,
    refreshToken: res.body.refresh_token as string,
    sessionId: res.body.session_id as string,
  };
}

async function refreshStatus(refreshToken: string): Promise<number> {
  return (await t.rest('POST', '/api/v1/auth/refresh', { body: { refresh_token: refreshToken } })).status;
}

function expectContract(method: string, path: string, res: { status: number; body: unknown }) {
  expect(contractProblems(method, path, res.status, res.body)).toEqual([]);
}

describe('GET /auth/sessions', () => {
  it('lists the caller’s sessions with paging, the current flag and revoked ones on request', async () => {
    const a = await t.register();
    const second = await login(a);
    const res = await t.rest<{ sessions: Json[]; total: number; limit: number; offset: number }>(
      'GET',
      '/api/v1/auth/sessions',
      { token: second.accessToken, headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Firefox/120.0' } },
    );
    expect(res.status).toBe(200);
    expectContract('GET', '/api/v1/auth/sessions', res);
    expect(res.body).toMatchObject({ total: 2, limit: 20, offset: 0 });
    const ids = res.body.sessions.map((s) => s.id);
    expect(ids.sort()).toEqual([a.sessionId, second.sessionId].sort());
    expect(res.body.sessions.find((s) => s.id === second.sessionId)?.current).toBe(true);
    expect(res.body.sessions.find((s) => s.id === a.sessionId)?.current).toBe(false);
    expect(res.body.sessions[0]).toMatchObject({ tenant_id: a.tenantId, revoked_at: null, location: null });
    expect(res.body.sessions[0]?.client).toHaveProperty('user_agent');

    const page = await t.rest<{ sessions: Json[]; total: number }>(
      'GET',
      '/api/v1/auth/sessions?limit=1&offset=1',
      { token: second.accessToken },
    );
    expect(page.status).toBe(200);
    expectContract('GET', '/api/v1/auth/sessions', page);
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.body.sessions).toHaveLength(1);

    // Revoke the first one: hidden by default, listed with include_revoked.
    const del = await t.rest('DELETE', `/api/v1/auth/sessions/${a.sessionId}`, { token: second.accessToken });
    expect(del.status).toBe(200);
    const live = await t.rest<{ total: number }>('GET', '/api/v1/auth/sessions', {
      token: second.accessToken,
    });
    expect(live.body.total).toBe(1);
    const all = await t.rest<{ total: number; sessions: Json[] }>(
      'GET',
      '/api/v1/auth/sessions?include_revoked=true',
      { token: second.accessToken },
    );
    expectContract('GET', '/api/v1/auth/sessions', all);
    expect(all.body.total).toBe(2);
    expect(all.body.sessions.find((s) => s.id === a.sessionId)?.revoked_at).not.toBeNull();
  });

  it('filters by tenant_id and never shows another user’s sessions', async () => {
    const a = await t.register();
    const b = await t.register();
    const mine = await t.rest<{ total: number; sessions: Json[] }>(
      'GET',
      `/api/v1/auth/sessions?tenant_id=${b.tenantId}`,
      { token: a.accessToken },
    );
    expect(mine.status).toBe(200);
    expect(mine.body.total).toBe(0);
    const own = await t.rest<{ sessions: Json[] }>('GET', '/api/v1/auth/sessions', { token: b.accessToken });
    expect(own.body.sessions.map((s) => s.id)).toEqual([b.sessionId]);
  });

  it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['offset=-1'], ['tenant_id=not-a-uuid']])(
    'answers 422 for %s',
    async (query) => {
      const a = await t.register();
      const res = await t.rest('GET', `/api/v1/auth/sessions?${query}`, { token: a.accessToken });
      expect(res.status).toBe(422);
      expectContract('GET', '/api/v1/auth/sessions', res);
    },
  );

  it('answers 401 without a token', async () => {
    const res = await t.rest('GET', '/api/v1/auth/sessions');
    expect(res.status).toBe(401);
    expectContract('GET', '/api/v1/auth/sessions', res);
  });

  it('works over GraphQL too', async () => {
    const a = await t.register();
    const res = await t.gql<{
      userSessions: { total: number; sessions: { id: string; current: boolean }[] };
    }>(
      'query { userSessions(limit: 5) { total sessions { id current client { device } } } }',
      {},
      a.accessToken,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.userSessions).toMatchObject({
      total: 1,
      sessions: [{ id: a.sessionId, current: true }],
    });
  });
});

describe('DELETE /auth/sessions/{session_id}', () => {
  it('revokes an own session and its refresh token; a second time is 404', async () => {
    const a = await t.register();
    const other = await login(a);
    const res = await t.rest('DELETE', `/api/v1/auth/sessions/${other.sessionId}`, { token: a.accessToken });
    expect(res.status).toBe(200);
    expectContract('DELETE', '/api/v1/auth/sessions/{session_id}', res);
    expect(res.body).toEqual({
      success: true,
      message: 'Session revoked successfully.',
      data: { revoked: true },
    });
    expect(await refreshStatus(other.refreshToken)).toBe(401);
    expect(await refreshStatus(a.refreshToken)).toBe(200);

    const again = await t.rest('DELETE', `/api/v1/auth/sessions/${other.sessionId}`, {
      token: a.accessToken,
    });
    expect(again.status).toBe(404);
    expectContract('DELETE', '/api/v1/auth/sessions/{session_id}', again);
    expect(again.body).toMatchObject({ error: 'NotFound', message: 'Session not found or already revoked.' });
  });

  it('answers 404 for another user’s (or tenant’s) session and leaves it alone', async () => {
    const a = await t.register();
    const b = await t.register();
    const res = await t.rest('DELETE', `/api/v1/auth/sessions/${b.sessionId}`, { token: a.accessToken });
    expect(res.status).toBe(404);
    expectContract('DELETE', '/api/v1/auth/sessions/{session_id}', res);
    const row = await db().session.findUnique({ where: { id: b.sessionId } });
    expect(row?.revokedAt).toBeNull();
    expect(await refreshStatus(b.refreshToken)).toBe(200);

    const gql = await t.gql(
      'mutation ($id: ID!) { revokeUserSession(sessionId: $id) { revoked } }',
      { id: b.sessionId },
      a.accessToken,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('answers 422 for a malformed id and 401 without a token', async () => {
    const a = await t.register();
    const bad = await t.rest('DELETE', '/api/v1/auth/sessions/not-a-uuid', { token: a.accessToken });
    expect(bad.status).toBe(422);
    expectContract('DELETE', '/api/v1/auth/sessions/{session_id}', bad);
    const anon = await t.rest('DELETE', `/api/v1/auth/sessions/${a.sessionId}`);
    expect(anon.status).toBe(401);
    expectContract('DELETE', '/api/v1/auth/sessions/{session_id}', anon);
    expect((await db().session.findUnique({ where: { id: a.sessionId } }))?.revokedAt).toBeNull();
  });
});

describe('POST /auth/logout', () => {
  it('revokes the given refresh token and its session; a second time is "already inactive"', async () => {
    const a = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/logout', {
      token: a.accessToken,
      body: { refresh_token: a.refreshToken },
    });
    expect(res.status).toBe(200);
    expectContract('POST', '/api/v1/auth/logout', res);
    expect(res.body).toEqual({
      success: true,
      message: 'Session revoked successfully.',
      data: { revoked: true },
    });
    expect((await db().session.findUnique({ where: { id: a.sessionId } }))?.revokedAt).not.toBeNull();
    expect(await refreshStatus(a.refreshToken)).toBe(401);

    const again = await t.rest('POST', '/api/v1/auth/logout', {
      token: a.accessToken,
      body: { refresh_token: a.refreshToken },
    });
    expect(again.status).toBe(200);
    expectContract('POST', '/api/v1/auth/logout', again);
    expect(again.body).toEqual({
      success: true,
      message: 'Session already inactive.',
      data: { revoked: false },
    });
  });

  it('refuses another user’s refresh token with 403 and leaves it working', async () => {
    const a = await t.register();
    const b = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/logout', {
      token: a.accessToken,
      body: { refresh_token: b.refreshToken },
    });
    expect(res.status).toBe(403);
    expectContract('POST', '/api/v1/auth/logout', res);
    expect(res.body).toMatchObject({ message: 'Refresh token does not belong to the authenticated user.' });
    expect(await refreshStatus(b.refreshToken)).toBe(200);
  });

  it.each([
    ['a malformed token', { refresh_token: 'not.a.jwt' }, 403],
    ['an access token', 'ACCESS', 403],
    ['a missing field', {}, 422],
    ['a wrong type', { refresh_token: 12345 }, 422],
    ['an empty token', { refresh_token: '' }, 422],
    ['an oversize token', { refresh_token: 'x'.repeat(5000) }, 422],
  ])('answers %s with a 4xx envelope and revokes nothing', async (_name, body, status) => {
    const a = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/logout', {
      token: a.accessToken,
      body: body === 'ACCESS' ? { refresh_token: a.accessToken } : body,
    });
    expect(res.status).toBe(status);
    expectContract('POST', '/api/v1/auth/logout', res);
    expect(await db().session.count({ where: { userId: a.userId, revokedAt: { not: null } } })).toBe(0);
  });

  it('answers 401 without a bearer token', async () => {
    const a = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/logout', { body: { refresh_token: a.refreshToken } });
    expect(res.status).toBe(401);
    expectContract('POST', '/api/v1/auth/logout', res);
    expect(await refreshStatus(a.refreshToken)).toBe(200);
  });

  it('logs out over GraphQL', async () => {
    const a = await t.register();
    const res = await t.gql<{ logoutSession: { revoked: boolean; message: string } }>(
      'mutation ($input: LogoutSessionInput!) { logoutSession(input: $input) { revoked message } }',
      { input: { refreshToken: a.refreshToken } },
      a.accessToken,
    );
    expect(res.data?.logoutSession).toEqual({ revoked: true, message: 'Session revoked successfully.' });
  });
});

describe('POST /auth/logout/all', () => {
  it('revokes every session of the caller (a count), not other users’', async () => {
    const a = await t.register();
    const b = await t.register();
    const s2 = await login(a);
    const s3 = await login(a);
    const res = await t.rest('POST', '/api/v1/auth/logout/all', { token: a.accessToken });
    expect(res.status).toBe(200);
    expectContract('POST', '/api/v1/auth/logout/all', res);
    expect(res.body).toEqual({
      success: true,
      message: 'All sessions revoked successfully.',
      data: { revoked: 3 },
    });
    for (const token of [a.refreshToken, s2.refreshToken, s3.refreshToken]) {
      expect(await refreshStatus(token)).toBe(401);
    }
    expect(await refreshStatus(b.refreshToken)).toBe(200);

    const again = await t.rest('POST', '/api/v1/auth/logout/all', { token: a.accessToken });
    expect(again.status).toBe(200);
    expectContract('POST', '/api/v1/auth/logout/all', again);
    expect(again.body).toEqual({
      success: true,
      message: 'No active sessions to revoke.',
      data: { revoked: 0 },
    });
  });

  it('answers 401 without a token', async () => {
    const res = await t.rest('POST', '/api/v1/auth/logout/all');
    expect(res.status).toBe(401);
    expectContract('POST', '/api/v1/auth/logout/all', res);
  });
});

function tokenFrom(text: string): string {
  const match = /token=([0-9a-f]{32}\.[0-9a-f]{64})/.exec(text);
  if (!match?.[1]) {
    throw new Error(`no token in mail: ${text}`);
  }
  return match[1];
}

describe('email verification', () => {
  it('mails a token over SMTP; following it verifies the email and revokes every session', async () => {
    const a = await t.register();
    const other = await login(a);
    const send = await t.rest('POST', '/api/v1/auth/email/send', { token: a.accessToken });
    expect(send.status).toBe(202);
    expectContract('POST', '/api/v1/auth/email/send', send);
    expect(send.body).toEqual({
      success: true,
      message: 'Verification email sent.',
      data: { email_verified: false },
    });

    const received = await mail.next(a.email);
    expect(received.subject).toMatch(/verify/i);
    const token = tokenFrom(received.text);
    const [id, secret] = token.split('.') as [string, string];
    const rows = await db().emailToken.findMany({ where: { userId: a.userId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      purpose: 'email_verification',
      secretHash: createHash('sha256').update(secret).digest('hex'),
    });
    expect(rows[0]?.id.replaceAll('-', '')).toBe(id);
    expect(JSON.stringify(rows)).not.toContain(secret);

    const verify = await t.rest('POST', '/api/v1/auth/email/verify', { body: { token } });
    expect(verify.status).toBe(200);
    expectContract('POST', '/api/v1/auth/email/verify', verify);
    expect(verify.body).toEqual({ success: true, message: 'Email verified successfully.', data: null });
    expect((await db().user.findUnique({ where: { id: a.userId } }))?.emailVerifiedAt).not.toBeNull();
    expect(await refreshStatus(a.refreshToken)).toBe(401);
    expect(await refreshStatus(other.refreshToken)).toBe(401);

    const reuse = await t.rest('POST', '/api/v1/auth/email/verify', { body: { token } });
    expect(reuse.status).toBe(400);
    expectContract('POST', '/api/v1/auth/email/verify', reuse);
    expect(reuse.body).toMatchObject({ message: 'Verification token is invalid or expired.' });

    const fresh = await login(a);
    expect(decodeJwt(fresh.accessToken).email_verified).toBe(true);
    const already = await t.rest('POST', '/api/v1/auth/email/send', { token: fresh.accessToken });
    expect(already.status).toBe(202);
    expectContract('POST', '/api/v1/auth/email/send', already);
    expect(already.body).toEqual({
      success: true,
      message: 'Email already verified.',
      data: { email_verified: true },
    });
  });

  it('verifies over GraphQL', async () => {
    const a = await t.register();
    const sent = await t.gql<{ sendEmailVerification: { emailVerified: boolean } }>(
      'mutation { sendEmailVerification { message emailVerified } }',
      {},
      a.accessToken,
    );
    expect(sent.data?.sendEmailVerification.emailVerified).toBe(false);
    const token = tokenFrom((await mail.next(a.email)).text);
    const res = await t.gql<{ verifyEmail: { message: string } }>(
      'mutation ($input: VerifyEmailInput!) { verifyEmail(input: $input) { message } }',
      { input: { token } },
    );
    expect(res.data?.verifyEmail.message).toBe('Email verified successfully.');
  });

  it.each([
    ['a malformed token', { token: 'abc.def' }, 400, 'Verification token is malformed.'],
    [
      'an unknown token',
      { token: `${randomUUID().replaceAll('-', '')}.${'a'.repeat(64)}` },
      400,
      'Verification token is invalid or expired.',
    ],
    ['a missing token', {}, 422, 'Request validation failed.'],
    ['a wrong type', { token: 42 }, 422, 'Request validation failed.'],
    ['an oversize token', { token: 'a'.repeat(2000) }, 422, 'Request validation failed.'],
  ])('refuses %s and verifies nothing', async (_name, body, status, message) => {
    const res = await t.rest('POST', '/api/v1/auth/email/verify', { body });
    expect(res.status).toBe(status);
    expectContract('POST', '/api/v1/auth/email/verify', res);
    expect(res.body).toMatchObject({ success: false, message });
  });

  it('refuses a token with the right id but a wrong secret, and the real one still works', async () => {
    const a = await t.register();
    await t.rest('POST', '/api/v1/auth/email/send', { token: a.accessToken });
    const token = tokenFrom((await mail.next(a.email)).text);
    const forged = `${token.split('.')[0]}.${'0'.repeat(64)}`;
    const res = await t.rest('POST', '/api/v1/auth/email/verify', { body: { token: forged } });
    expect(res.status).toBe(400);
    expectContract('POST', '/api/v1/auth/email/verify', res);
    expect((await db().user.findUnique({ where: { id: a.userId } }))?.emailVerifiedAt).toBeNull();
    expect((await t.rest('POST', '/api/v1/auth/email/verify', { body: { token } })).status).toBe(200);
  });

  it('limits verification mails per user (429 with Retry-After) and needs a token', async () => {
    const a = await t.register();
    for (let i = 0; i < 3; i++) {
      expect((await t.rest('POST', '/api/v1/auth/email/send', { token: a.accessToken })).status).toBe(202);
    }
    const limited = await t.rest('POST', '/api/v1/auth/email/send', { token: a.accessToken });
    expect(limited.status).toBe(429);
    expectContract('POST', '/api/v1/auth/email/send', limited);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await db().emailToken.count({ where: { userId: a.userId } })).toBe(3);

    const anon = await t.rest('POST', '/api/v1/auth/email/send');
    expect(anon.status).toBe(401);
    expectContract('POST', '/api/v1/auth/email/send', anon);
  });
});

import { randomUUID } from 'node:crypto';
import { Secret } from 'otpauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../rest-bridge/routes/index.js';
import { matchTotpStep, totpAt, totpForStep, totpStep } from '../../subgraphs/identity/mfa.service.js';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type RestResult, type TestStack } from '../kit/stack.js';

let t: TestStack;

beforeAll(async () => {
  t = await bootStack();
});
afterAll(async () => {
  await t?.close();
});
// Every request of this file comes from loopback: clear the per-IP attempt counter between tests
// (the per-user counter is what the rate-limit test exercises; users are fresh per test).
beforeEach(async () => {
  await t.stack.kernel.database.prisma.rateLimiterFlexible.deleteMany({
    where: { key: { startsWith: 'mfa_attempt_ip' } },
  });
});

const db = () => t.stack.kernel.database.prisma;

/** Sends a REST request and checks the response against the contract (success and error alike). */
async function call<T = Record<string, unknown>>(
  method: string,
  contractPath: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RestResult<T>> {
  const res = await t.rest<T>(method, path, options);
  expect(contractProblems(method, contractPath, res.status, res.body)).toEqual([]);
  return res;
}

const LOGIN_STATUS_WITH_MFA = routes.find((r) => r.path === '/api/v1/auth/token')?.statusFor ? 202 : 200;

async function login(account: Account) {
  return call<Record<string, unknown>>('POST', '/api/v1/auth/token', '/api/v1/auth/token', {
    body: { email: account.email, password: account.password },
  });
}

async function loginChallenge(account: Account): Promise<{ token: string; methods: { id: string }[] }> {
  const res = await login(account);
  expect(res.status).toBe(LOGIN_STATUS_WITH_MFA);
  expect(res.body).toMatchObject({ mfa_required: true });
  expect(contractProblems('POST', '/api/v1/auth/token', 202, res.body)).toEqual([]);
  return { token: res.body.challenge_token as string, methods: res.body.methods as { id: string }[] };
}

async function enroll(account: Account, label?: string) {
  const res = await call<{ secret: string; method_id: string; otpauth_url: string }>(
    'POST',
    '/api/v1/auth/mfa/totp/enroll',
    `/api/v1/auth/mfa/totp/enroll${label === undefined ? '' : `?label=${encodeURIComponent(label)}`}`,
    { token: account.accessToken },
  );
  expect(res.status).toBe(201);
  return { ...res.body, key: Secret.fromBase32(res.body.secret) };
}

/** A code the server has not accepted yet for this method: the step after the last used one. */
async function freshCode(methodId: string, key: Secret): Promise<string> {
  const row = await db().mfaMethod.findUniqueOrThrow({ where: { id: methodId } });
  const current = totpStep(Date.now());
  const step = Math.max(current - 1, row.lastUsedStep === null ? -1 : Number(row.lastUsedStep) + 1);
  if (step > current + 1) {
    throw new Error('no unused step inside the window; the test used too many codes');
  }
  return totpForStep(key, step);
}

const verify = (account: Account, methodId: string, code: string) =>
  call('POST', '/api/v1/auth/mfa/totp/verify', '/api/v1/auth/mfa/totp/verify', {
    token: account.accessToken,
    body: { method_id: methodId, code },
  });

const complete = (challengeToken: string, methodId: string, code: string) =>
  call<Record<string, unknown>>('POST', '/api/v1/auth/mfa/complete', '/api/v1/auth/mfa/complete', {
    body: { challenge_token: challengeToken, method_id: methodId, code },
  });

/** A fresh account with a verified TOTP method. */
async function accountWithMfa() {
  const account = await t.register();
  const method = await enroll(account, 'phone');
  const res = await verify(account, method.method_id, await freshCode(method.method_id, method.key));
  expect(res.status).toBe(200);
  return { account, method };
}

/** A wrong code for a key: a 6-digit value that matches none of the accepted steps. */
function wrongCode(key: Secret): string {
  const now = Date.now();
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (matchTotpStep(key, code, now) === null && matchTotpStep(key, code, now + 30_000) === null) {
      return code;
    }
  }
}

describe('TOTP (RFC 6238)', () => {
  // Appendix B, SHA1, secret "12345678901234567890", 8 digits.
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  const key = Secret.fromLatin1('12345678901234567890');

  it.each(vectors)('generates and accepts the test vector at T=%i', (seconds, code) => {
    expect(totpAt(key, seconds * 1000, 8)).toBe(code);
    expect(matchTotpStep(key, code, seconds * 1000, 8)).toBe(Math.floor(seconds / 30));
  });

  it('accepts one step either side and nothing further, 6 digits only by default', () => {
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    for (const delta of [-1, 0, 1]) {
      expect(matchTotpStep(key, totpForStep(key, step + delta), now)).toBe(step + delta);
    }
    for (const delta of [-2, 2]) {
      expect(matchTotpStep(key, totpForStep(key, step + delta), now)).toBeNull();
    }
    expect(matchTotpStep(key, totpForStep(key, step, 8), now)).toBeNull();
    expect(matchTotpStep(key, 'abcdef', now)).toBeNull();
  });
});

describe('enrolment', () => {
  it('creates a pending method with a sealed secret and an otpauth URL for the user', async () => {
    const account = await t.register();
    const empty = await call('GET', '/api/v1/auth/mfa', '/api/v1/auth/mfa', { token: account.accessToken });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual([]);

    const method = await enroll(account, 'phone');
    expect(method.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(method.otpauth_url);
    expect(`${url.protocol}//${url.host}`).toBe('otpauth://totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/Agent Platform:${account.email}`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      secret: method.secret,
      issuer: 'Agent Platform',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    const row = await db().mfaMethod.findUniqueOrThrow({ where: { id: method.method_id } });
    expect(row.secretEncrypted).not.toContain(method.secret);
    expect(t.stack.kernel.secrets.open(row.secretEncrypted)).toBe(method.secret);

    const list = await call<Record<string, unknown>[]>('GET', '/api/v1/auth/mfa', '/api/v1/auth/mfa', {
      token: account.accessToken,
    });
    expect(list.body).toEqual([
      {
        id: method.method_id,
        method_type: 'totp',
        label: 'phone',
        verified_at: null,
        last_used_at: null,
        revoked_at: null,
      },
    ]);
    // A pending method does not challenge logins.
    const session = await login(account);
    expect(session.status).toBe(200);
    expect(session.body.access_token).toEqual(expect.any(String));
  });

  it('refuses a duplicate label with 409 and a bad label with 422, creating nothing', async () => {
    const account = await t.register();
    await enroll(account, 'laptop');
    const dup = await call(
      'POST',
      '/api/v1/auth/mfa/totp/enroll',
      '/api/v1/auth/mfa/totp/enroll?label=laptop',
      { token: account.accessToken },
    );
    expect(dup.status).toBe(409);
    const long = await call(
      'POST',
      '/api/v1/auth/mfa/totp/enroll',
      `/api/v1/auth/mfa/totp/enroll?label=${'x'.repeat(65)}`,
      { token: account.accessToken },
    );
    expect(long.status).toBe(422);
    expect(await db().mfaMethod.count({ where: { userId: account.userId } })).toBe(1);
  });

  it('needs a credential', async () => {
    const res = await call('GET', '/api/v1/auth/mfa', '/api/v1/auth/mfa');
    expect(res.status).toBe(401);
    const enrolled = await call('POST', '/api/v1/auth/mfa/totp/enroll', '/api/v1/auth/mfa/totp/enroll');
    expect(enrolled.status).toBe(401);
  });

  it('verifies with a current code; a wrong or malformed code changes nothing', async () => {
    const account = await t.register();
    const method = await enroll(account);
    const wrong = await verify(account, method.method_id, wrongCode(method.key));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ success: false, message: 'Invalid MFA code.' });
    const short = await verify(account, method.method_id, '123');
    expect(short.status).toBe(422);
    const notUuid = await verify(account, 'nope', '123456');
    expect(notUuid.status).toBe(422);
    let row = await db().mfaMethod.findUniqueOrThrow({ where: { id: method.method_id } });
    expect(row.verifiedAt).toBeNull();
    expect(row.lastUsedStep).toBeNull();

    const ok = await verify(account, method.method_id, await freshCode(method.method_id, method.key));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ success: true, message: 'MFA verified.', data: null });
    row = await db().mfaMethod.findUniqueOrThrow({ where: { id: method.method_id } });
    expect(row.verifiedAt).toBeInstanceOf(Date);
    expect(row.lastUsedAt).toBeInstanceOf(Date);
    expect(row.lastUsedStep).not.toBeNull();
  });

  it('rate limits code attempts per user with 429 and Retry-After', async () => {
    const account = await t.register();
    const method = await enroll(account);
    const code = wrongCode(method.key);
    for (let i = 0; i < 10; i++) {
      expect((await verify(account, method.method_id, code)).status).toBe(400);
    }
    const limited = await verify(account, method.method_id, await freshCode(method.method_id, method.key));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(
      (await db().mfaMethod.findUniqueOrThrow({ where: { id: method.method_id } })).verifiedAt,
    ).toBeNull();
  });
});

describe('login with a second factor', () => {
  it('enrol → verify → login answers a challenge → complete with TOTP gives a session, once', async () => {
    const { account, method } = await accountWithMfa();
    const challenge = await loginChallenge(account);
    expect(challenge.methods).toEqual([expect.objectContaining({ id: method.method_id, label: 'phone' })]);

    // The challenge token is not an access token.
    const me = await call('GET', '/api/v1/auth/me', '/api/v1/auth/me', { token: challenge.token });
    expect(me.status).toBe(401);

    const wrong = await complete(challenge.token, method.method_id, wrongCode(method.key));
    expect(wrong.status).toBe(401);

    const code = await freshCode(method.method_id, method.key);
    const done = await complete(challenge.token, method.method_id, code);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      token_type: 'bearer',
      user_id: account.userId,
      tenant_id: account.tenantId,
    });
    const who = await call<{ data: { user_id: string } }>('GET', '/api/v1/auth/me', '/api/v1/auth/me', {
      token: done.body.access_token as string,
    });
    expect(who.status).toBe(200);
    expect(who.body.data.user_id).toBe(account.userId);
    // The activity feed records the login, with its second factor.
    const logins = await db().activityEvent.findMany({
      where: { tenantId: account.tenantId, action: 'auth.login.success' },
    });
    expect(logins.map((e) => [e.actorId, e.metadata])).toEqual([[account.userId, { mfa: 'totp' }]]);

    // The challenge works once.
    const again = await complete(
      challenge.token,
      method.method_id,
      await freshCode(method.method_id, method.key),
    );
    expect(again.status).toBe(401);

    // A code's time step is accepted once, even with a new challenge.
    const next = await loginChallenge(account);
    const replay = await complete(next.token, method.method_id, code);
    expect(replay.status).toBe(401);
    // The refused attempt left the new challenge unused.
    const [latest] = await db().mfaChallenge.findMany({
      where: { userId: account.userId },
      orderBy: { createdAt: 'desc' },
      take: 1,
    });
    expect(latest?.usedAt).toBeNull();
  });

  it('refuses an expired or forged challenge and a bad body', async () => {
    const { account, method } = await accountWithMfa();
    const challenge = await loginChallenge(account);
    await db().mfaChallenge.updateMany({
      where: { userId: account.userId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await complete(
      challenge.token,
      method.method_id,
      await freshCode(method.method_id, method.key),
    );
    expect(expired.status).toBe(401);
    const forged = await complete(`${challenge.token.slice(0, -4)}AAAA`, method.method_id, '123456');
    expect(forged.status).toBe(401);
    const garbage = await complete('not-a-token-at-all', method.method_id, '123456');
    expect(garbage.status).toBe(401);
    const missing = await call('POST', '/api/v1/auth/mfa/complete', '/api/v1/auth/mfa/complete', {
      body: { challenge_token: challenge.token, code: '123456' },
    });
    expect(missing.status).toBe(422);
    expect(await db().session.count({ where: { userId: account.userId } })).toBe(1);
  });

  it('also answers a challenge over GraphQL', async () => {
    const { account, method } = await accountWithMfa();
    const res = await t.gql<{
      login: { __typename: string; challengeToken: string; methods: { id: string }[] };
    }>(
      `mutation ($input: LoginInput!) { login(input: $input) {
        __typename ... on MfaChallenge { challengeToken methods { id } } } }`,
      { input: { email: account.email, password: account.password } },
    );
    expect(res.data?.login.__typename).toBe('MfaChallenge');
    expect(res.data?.login.methods).toEqual([{ id: method.method_id }]);
    const done = await t.gql<{ completeMfaLogin: { userId: string } }>(
      `mutation ($input: CompleteMfaLoginInput!) { completeMfaLogin(input: $input) { userId } }`,
      {
        input: {
          challengeToken: res.data?.login.challengeToken,
          methodId: method.method_id,
          code: await freshCode(method.method_id, method.key),
        },
      },
    );
    expect(done.data?.completeMfaLogin.userId).toBe(account.userId);
  });
});

describe('recovery codes', () => {
  it('are shown once, stored as hashes, and each completes one login', async () => {
    const { account, method } = await accountWithMfa();
    const first = await call<{ codes: string[] }>(
      'POST',
      '/api/v1/auth/mfa/recovery/regenerate',
      '/api/v1/auth/mfa/recovery/regenerate',
      { token: account.accessToken },
    );
    expect(first.status).toBe(200);
    const res = await call<{ codes: string[] }>(
      'POST',
      '/api/v1/auth/mfa/recovery/regenerate',
      '/api/v1/auth/mfa/recovery/regenerate',
      { token: account.accessToken },
    );
    const codes = res.body.codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[a-z2-7]{10}$/);
    }
    const rows = await db().recoveryCode.findMany({ where: { userId: account.userId } });
    expect(rows).toHaveLength(10);
    expect(rows.some((r) => codes.includes(r.codeHash) || r.codeHash.includes(codes[0] as string))).toBe(
      false,
    );

    // Regenerating replaced the first batch.
    const stale = await loginChallenge(account);
    expect((await complete(stale.token, method.method_id, first.body.codes[0] as string)).status).toBe(401);

    const code = codes[0] as string;
    const done = await complete(
      stale.token,
      method.method_id,
      `${code.slice(0, 5).toUpperCase()}-${code.slice(5)}`,
    );
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe(account.userId);
    expect(await db().recoveryCode.count({ where: { userId: account.userId, usedAt: { not: null } } })).toBe(
      1,
    );

    const next = await loginChallenge(account);
    const reused = await complete(next.token, method.method_id, code);
    expect(reused.status).toBe(401);
    // The refused attempt left the challenge usable.
    const other = await complete(next.token, method.method_id, codes[1] as string);
    expect(other.status).toBe(200);
  });
});

describe('revocation and isolation', () => {
  it('another user cannot see, verify, use or revoke your methods', async () => {
    const { account: alice, method } = await accountWithMfa();
    const bob = await t.register();
    const bobs = await call<unknown[]>('GET', '/api/v1/auth/mfa', '/api/v1/auth/mfa', {
      token: bob.accessToken,
    });
    expect(bobs.body).toEqual([]);
    const revoke = await call(
      'DELETE',
      '/api/v1/auth/mfa/{method_id}',
      `/api/v1/auth/mfa/${method.method_id}`,
      {
        token: bob.accessToken,
      },
    );
    expect(revoke.status).toBe(404);
    const verified = await verify(bob, method.method_id, await freshCode(method.method_id, method.key));
    expect(verified.status).toBe(400);
    expect(verified.body).toMatchObject({ message: 'MFA method not found.' });
    const row = await db().mfaMethod.findUniqueOrThrow({ where: { id: method.method_id } });
    expect(row.revokedAt).toBeNull();

    // Bob's challenge cannot be completed with Alice's method.
    const bobMethod = await enroll(bob);
    await verify(bob, bobMethod.method_id, await freshCode(bobMethod.method_id, bobMethod.key));
    const bobChallenge = await loginChallenge(bob);
    const crossed = await complete(
      bobChallenge.token,
      method.method_id,
      await freshCode(method.method_id, method.key),
    );
    expect(crossed.status).toBe(401);
    expect(await db().session.count({ where: { userId: bob.userId } })).toBe(1);
    expect(alice.userId).not.toBe(bob.userId);
  });

  it('revokes your own method softly; logins stop asking for it; unknown ids answer 404', async () => {
    const { account, method } = await accountWithMfa();
    const res = await call('DELETE', '/api/v1/auth/mfa/{method_id}', `/api/v1/auth/mfa/${method.method_id}`, {
      token: account.accessToken,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: 'MFA method revoked.', data: null });
    const row = await db().mfaMethod.findUniqueOrThrow({ where: { id: method.method_id } });
    expect(row.revokedAt).toBeInstanceOf(Date);
    expect(row.revokedReason).toBe('user_request');
    const list = await call<{ revoked_at: string | null }[]>('GET', '/api/v1/auth/mfa', '/api/v1/auth/mfa', {
      token: account.accessToken,
    });
    expect(list.body[0]?.revoked_at).toEqual(expect.any(String));
    const session = await login(account);
    expect(session.status).toBe(200);
    expect(session.body.access_token).toEqual(expect.any(String));

    const revokedVerify = await verify(
      account,
      method.method_id,
      await freshCode(method.method_id, method.key),
    );
    expect(revokedVerify.status).toBe(400);
    const unknown = await call('DELETE', '/api/v1/auth/mfa/{method_id}', `/api/v1/auth/mfa/${randomUUID()}`, {
      token: account.accessToken,
    });
    expect(unknown.status).toBe(404);
    const bad = await call('DELETE', '/api/v1/auth/mfa/{method_id}', '/api/v1/auth/mfa/not-a-uuid', {
      token: account.accessToken,
    });
    expect(bad.status).toBe(422);
  });
});

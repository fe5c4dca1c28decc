import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../subgraphs/identity/password.js';
import { contractProblems } from '../kit/contract.js';
import { type MailCatcher, startMailCatcher } from '../kit/mail.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;
let mail: MailCatcher;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await bootStack({
    SMTP_URL: mail.url,
    AUTH_PASSWORD_FORGOT_IP_PER_HOUR: '10000',
    // Failed logins here are counted per client IP under a window of this run's own, so they never
    // add up with other test files against a shared PostgreSQL (all of them come from 127.0.0.1).
    AUTH_LOGIN_WINDOW_SECONDS: String(600 + Math.floor(Math.random() * 10_000)),
  });
});
afterAll(async () => {
  await t?.close();
  await mail?.close();
});

const db = () => t.stack.kernel.database.prisma;

function expectContract(method: string, path: string, res: { status: number; body: unknown }) {
  expect(contractProblems(method, path, res.status, res.body)).toEqual([]);
}

async function loginStatus(email: string, password: string, stack = t): Promise<number> {
  return (await stack.rest('POST', '/api/v1/auth/token', { body: { email, password } })).status;
}

async function refreshStatus(refreshToken: string): Promise<number> {
  return (await t.rest('POST', '/api/v1/auth/refresh', { body: { refresh_token: refreshToken } })).status;
}

function tokenFrom(text: string): string {
  const match = /token=([0-9a-f]{32}\.[0-9a-f]{64})/.exec(text);
  if (!match?.[1]) {
    throw new Error(`no token in mail: ${text}`);
  }
  return match[1];
}

const FORGOT_ANSWER = {
  success: true,
  message: 'If the account exists, password reset instructions have been sent.',
  data: null,
};

/** A second member of `owner`'s tenant, created directly (membership management is another module). */
async function addMember(owner: Account, role = 'member'): Promise<Account> {
  const email = `member-${randomUUID()}@example.com`;
  const password = 'Member-Password-2024';
  const user = await db().user.create({ data: { email, passwordHash: await hashPassword(password) } });
  await db().membership.create({ data: { userId: user.id, tenantId: owner.tenantId, role } });
  const res = await t.rest<Record<string, string>>('POST', '/api/v1/auth/token', {
    body: { email, password },
  });
  expect(res.status).toBe(200);
  return {
    email,
    password,
    userId: user.id,
    tenantId: owner.tenantId,
    accessToken: res.body.access_token as string,
    refreshToken: res.body.refresh_token as string,
    sessionId: res.body.session_id as string,
  };
}

describe('forgot + confirm', () => {
  it('mails a reset token over SMTP; following it sets the password and revokes every session', async () => {
    const a = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/password/forgot', {
      body: { email: a.email.toUpperCase() },
    });
    expect(res.status).toBe(202);
    expectContract('POST', '/api/v1/auth/password/forgot', res);
    expect(res.body).toEqual(FORGOT_ANSWER);

    const received = await mail.next(a.email);
    expect(received.subject).toMatch(/reset/i);
    const token = tokenFrom(received.text);
    const row = await db().emailToken.findFirst({ where: { userId: a.userId } });
    expect(row?.purpose).toBe('password_reset');
    expect(row?.secretHash).not.toContain(token.split('.')[1]);

    const next = 'Brand-New-Secret-2025';
    const confirm = await t.rest('POST', '/api/v1/auth/password/confirm', {
      body: { token, new_password: next },
    });
    expect(confirm.status).toBe(200);
    expectContract('POST', '/api/v1/auth/password/confirm', confirm);
    expect(confirm.body).toEqual({
      success: true,
      message: 'Password has been reset successfully.',
      data: null,
    });
    expect(await refreshStatus(a.refreshToken)).toBe(401);
    expect(await loginStatus(a.email, a.password)).toBe(401);
    expect(await loginStatus(a.email, next)).toBe(200);
    expect(await db().passwordHistory.count({ where: { userId: a.userId } })).toBeGreaterThanOrEqual(1);

    const reuse = await t.rest('POST', '/api/v1/auth/password/confirm', {
      body: { token, new_password: 'Yet-Another-Secret-77' },
    });
    expect(reuse.status).toBe(400);
    expectContract('POST', '/api/v1/auth/password/confirm', reuse);
    expect(await loginStatus(a.email, next)).toBe(200);
  });

  it('answers an unknown email exactly like a known one and sends nothing', async () => {
    const known = await t.register();
    const unknown = `nobody-${randomUUID()}@example.com`;
    const a = await t.rest('POST', '/api/v1/auth/password/forgot', { body: { email: unknown } });
    const b = await t.rest('POST', '/api/v1/auth/password/forgot', { body: { email: known.email } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body).toEqual(b.body);
    expectContract('POST', '/api/v1/auth/password/forgot', a);
    await mail.next(known.email); // the known one's mail arrives (sent after the answer)
    expect(mail.messages.some((m) => m.to.includes(unknown))).toBe(false);
    expect(await db().emailOutbox.count({ where: { to: unknown } })).toBe(0);
  });

  it('works over GraphQL', async () => {
    const a = await t.register();
    const sent = await t.gql<{ requestPasswordReset: { message: string } }>(
      'mutation ($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { message } }',
      { input: { email: a.email } },
    );
    expect(sent.data?.requestPasswordReset.message).toBe(FORGOT_ANSWER.message);
    const token = tokenFrom((await mail.next(a.email)).text);
    const res = await t.gql<{ confirmPasswordReset: { message: string } }>(
      'mutation ($input: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $input) { message } }',
      { input: { token, newPassword: 'GraphQL-Reset-Pass-1' } },
    );
    expect(res.data?.confirmPasswordReset.message).toBe('Password has been reset successfully.');
    expect(await loginStatus(a.email, 'GraphQL-Reset-Pass-1')).toBe(200);
  });

  it.each([
    ['a missing email', {}],
    ['a bad email', { email: 'not-an-email' }],
    ['a wrong type', { email: 42 }],
    ['an oversize email', { email: `${'a'.repeat(400)}@example.com` }],
  ])('answers 422 for %s', async (_name, body) => {
    const res = await t.rest('POST', '/api/v1/auth/password/forgot', { body });
    expect(res.status).toBe(422);
    expectContract('POST', '/api/v1/auth/password/forgot', res);
  });

  it('refuses bad confirmations, and a refused one leaves the token usable', async () => {
    const a = await t.register();
    await t.rest('POST', '/api/v1/auth/password/forgot', { body: { email: a.email } });
    const token = tokenFrom((await mail.next(a.email)).text);
    const cases: [unknown, number][] = [
      [{ token: 'garbage', new_password: 'Perfectly-Fine-Pass-1' }, 400],
      [
        {
          token: `${randomUUID().replaceAll('-', '')}.${'b'.repeat(64)}`,
          new_password: 'Perfectly-Fine-Pass-1',
        },
        400,
      ],
      [{ token, new_password: 'short' }, 422],
      [{ token, new_password: 'alllowercaseletters' }, 422],
      [{ token, new_password: 'X'.repeat(300) }, 422],
      [{ token }, 422],
      [{ token: 7, new_password: 'Perfectly-Fine-Pass-1' }, 422],
      [{ token, new_password: a.password }, 400], // the current password: recently used
    ];
    for (const [body, status] of cases) {
      const res = await t.rest('POST', '/api/v1/auth/password/confirm', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expectContract('POST', '/api/v1/auth/password/confirm', res);
    }
    expect(await loginStatus(a.email, a.password)).toBe(200);
    const ok = await t.rest('POST', '/api/v1/auth/password/confirm', {
      body: { token, new_password: 'Perfectly-Fine-Pass-1' },
    });
    expect(ok.status).toBe(200);
  });
});

describe('change', () => {
  it('changes the password, keeps the current session and revokes the others', async () => {
    const a = await t.register();
    const other = await t.rest<Record<string, string>>('POST', '/api/v1/auth/token', {
      body: { email: a.email, password: a.password },
    });
    const res = await t.rest('POST', '/api/v1/auth/password/change', {
      token: a.accessToken,
      body: { current_password: a.password, new_password: 'Changed-Password-42' },
    });
    expect(res.status).toBe(200);
    expectContract('POST', '/api/v1/auth/password/change', res);
    expect(res.body).toEqual({ success: true, message: 'Password updated successfully', data: null });
    expect(await refreshStatus(other.body.refresh_token as string)).toBe(401);
    expect(await refreshStatus(a.refreshToken)).toBe(200);
    expect(await loginStatus(a.email, 'Changed-Password-42')).toBe(200);
  });

  it('refuses a wrong current password (401), a weak one (422) and any of the last five (400)', async () => {
    const a = await t.register();
    const change = (current: string, next: string) =>
      t.rest('POST', '/api/v1/auth/password/change', {
        token: a.accessToken,
        body: { current_password: current, new_password: next },
      });
    const wrong = await change('Not-The-Password-1', 'Changed-Password-42');
    expect(wrong.status).toBe(401);
    expectContract('POST', '/api/v1/auth/password/change', wrong);
    expect(wrong.body).toMatchObject({ message: 'Invalid current password.' });
    const weak = await change(a.password, 'weakweakweakweak');
    expect(weak.status).toBe(422);
    expectContract('POST', '/api/v1/auth/password/change', weak);
    for (const [body, status] of [
      [{ current_password: a.password }, 422],
      [{ current_password: 5, new_password: 'Changed-Password-42' }, 422],
      [{ current_password: 'x'.repeat(300), new_password: 'Changed-Password-42' }, 422],
    ] as const) {
      const res = await t.rest('POST', '/api/v1/auth/password/change', { token: a.accessToken, body });
      expect(res.status).toBe(status);
      expectContract('POST', '/api/v1/auth/password/change', res);
    }
    const same = await change(a.password, a.password);
    expect(same.status).toBe(400);
    expectContract('POST', '/api/v1/auth/password/change', same);
    expect(same.body).toMatchObject({ message: 'Password was recently used.' });

    expect((await change(a.password, 'Second-Password-222')).status).toBe(200);
    expect((await change('Second-Password-222', 'Third-Password-3333')).status).toBe(200);
    const back = await change('Third-Password-3333', a.password);
    expect(back.status).toBe(400);
    expect(await loginStatus(a.email, 'Third-Password-3333')).toBe(200);
    expect(await db().passwordHistory.count({ where: { userId: a.userId } })).toBeLessThanOrEqual(5);

    const anon = await t.rest('POST', '/api/v1/auth/password/change', {
      body: { current_password: a.password, new_password: 'Changed-Password-42' },
    });
    expect(anon.status).toBe(401);
    expectContract('POST', '/api/v1/auth/password/change', anon);
  });

  it('keeps at most five history rows', async () => {
    const a = await t.register();
    let current = a.password;
    for (let i = 0; i < 6; i++) {
      const next = `Rotating-Password-${i}-xyz`;
      const res = await t.gql<{ changePassword: { message: string } }>(
        'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) { message } }',
        { input: { currentPassword: current, newPassword: next } },
        a.accessToken,
      );
      expect(res.errors).toBeUndefined();
      current = next;
    }
    expect(await db().passwordHistory.count({ where: { userId: a.userId } })).toBe(5);
  });
});

describe('admin reset', () => {
  it('lets an owner reset a member of the tenant (sessions revoked); other tenants get 404', async () => {
    const owner = await t.register();
    const member = await addMember(owner);
    const res = await t.rest('POST', '/api/v1/auth/password/reset', {
      token: owner.accessToken,
      body: { user_id: member.userId, new_password: 'Admin-Chosen-Pass-9' },
    });
    expect(res.status).toBe(200);
    expectContract('POST', '/api/v1/auth/password/reset', res);
    expect(res.body).toEqual({ success: true, message: 'Password reset successfully', data: null });
    expect(await refreshStatus(member.refreshToken)).toBe(401);
    expect(await loginStatus(member.email, 'Admin-Chosen-Pass-9')).toBe(200);

    const stranger = await t.register();
    const foreign = await t.rest('POST', '/api/v1/auth/password/reset', {
      token: stranger.accessToken,
      body: { user_id: member.userId, new_password: 'Hijacked-Password-1' },
    });
    expect(foreign.status).toBe(404);
    expectContract('POST', '/api/v1/auth/password/reset', foreign);
    const unknown = await t.rest('POST', '/api/v1/auth/password/reset', {
      token: owner.accessToken,
      body: { user_id: randomUUID(), new_password: 'Hijacked-Password-1' },
    });
    expect(unknown.status).toBe(404);
    expect(await loginStatus(member.email, 'Admin-Chosen-Pass-9')).toBe(200);
  });

  it('refuses members without support:read (403), bad input (422) and no token (401)', async () => {
    const owner = await t.register();
    const member = await addMember(owner);
    const forbidden = await t.rest('POST', '/api/v1/auth/password/reset', {
      token: member.accessToken,
      body: { user_id: owner.userId, new_password: 'Takeover-Password-1' },
    });
    expect(forbidden.status).toBe(403);
    expectContract('POST', '/api/v1/auth/password/reset', forbidden);
    for (const body of [
      { user_id: 'not-a-uuid', new_password: 'Admin-Chosen-Pass-9' },
      { user_id: member.userId, new_password: 'weak' },
      { user_id: member.userId },
      { user_id: 12, new_password: 'Admin-Chosen-Pass-9' },
    ]) {
      const res = await t.rest('POST', '/api/v1/auth/password/reset', { token: owner.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expectContract('POST', '/api/v1/auth/password/reset', res);
    }
    const anon = await t.rest('POST', '/api/v1/auth/password/reset', {
      body: { user_id: member.userId, new_password: 'Admin-Chosen-Pass-9' },
    });
    expect(anon.status).toBe(401);
    expectContract('POST', '/api/v1/auth/password/reset', anon);
    expect(await loginStatus(owner.email, owner.password)).toBe(200);
    expect(await loginStatus(member.email, member.password)).toBe(200);
  });
});

describe('login lockout', () => {
  it('locks the account after five failures (423), refuses even the right password, unlocks when expired', async () => {
    const a = await t.register();
    const statuses: number[] = [];
    let last: { status: number; body: unknown } = { status: 0, body: null };
    for (let i = 0; i < 5; i++) {
      last = await t.rest('POST', '/api/v1/auth/token', {
        body: { email: a.email, password: 'Wrong-Password-1' },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    expectContract('POST', '/api/v1/auth/token', last);
    expect(last.body).toMatchObject({ error: 'Locked', message: 'Account locked due to repeated failures.' });

    const right = await t.rest('POST', '/api/v1/auth/token', {
      body: { email: a.email, password: a.password },
    });
    expect(right.status).toBe(423);
    expectContract('POST', '/api/v1/auth/token', right);
    expect(right.body).toMatchObject({ message: 'Account is locked.' });
    expect(await refreshStatus(a.refreshToken)).toBe(423);

    await db().user.update({ where: { id: a.userId }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    expect(await loginStatus(a.email, a.password)).toBe(200);
    const user = await db().user.findUnique({ where: { id: a.userId } });
    expect(user).toMatchObject({ failedLogins: 0, lockedUntil: null });
  });

  it('resets the failure count on success', async () => {
    const a = await t.register();
    for (let i = 0; i < 3; i++) {
      expect(await loginStatus(a.email, 'Wrong-Password-1')).toBe(401);
    }
    expect(await loginStatus(a.email, a.password)).toBe(200);
    expect((await db().user.findUnique({ where: { id: a.userId } }))?.failedLogins).toBe(0);
  });
});

describe('rate limits (low limits)', () => {
  let low: TestStack;

  beforeAll(async () => {
    low = await bootStack({
      AUTH_LOGIN_EMAIL_MAX_ATTEMPTS: '3',
      AUTH_LOGIN_IP_MAX_FAILURES: '8',
      // A window of its own, so reruns against a shared PostgreSQL do not inherit counters.
      AUTH_LOGIN_WINDOW_SECONDS: String(600 + Math.floor(Math.random() * 10_000)),
      AUTH_PASSWORD_FORGOT_EMAIL_PER_HOUR: '2',
      // Per-IP counters are shared by every stack on a shared PostgreSQL: keep this one out of the way.
      AUTH_PASSWORD_FORGOT_IP_PER_HOUR: '10000',
      AUTH_REFRESH_IP_PER_MINUTE: '3',
    });
  });
  afterAll(async () => {
    await low?.close();
  });

  const aliased = (count: number, emails: string[], password: string) =>
    `mutation {${Array.from(
      { length: count },
      (_, i) =>
        ` a${i}: login(input: { email: ${JSON.stringify(emails[i % emails.length])}, password: ${JSON.stringify(password)} }) { __typename }`,
    ).join('')} }`;

  it('charges every aliased login of one GraphQL request (each alias is one attempt)', async () => {
    const a = await low.register();
    const res = await low.gql(aliased(4, [a.email], a.password));
    // Three aliases log in; the fourth is over the per-email limit (and, non-null, voids `data`).
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(res.errors?.[0]?.message).toBe('Too many login attempts for this account. Try again later.');
    const sessions = await low.stack.kernel.database.prisma.session.count({ where: { userId: a.userId } });
    expect(sessions).toBe(1 + 3); // the signup session and one per successful alias
    const rest = await low.rest('POST', '/api/v1/auth/token', {
      body: { email: a.email, password: a.password },
    });
    expect(rest.status).toBe(429);
    expectContract('POST', '/api/v1/auth/token', rest);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers 429 with Retry-After before the lockout would hide it', async () => {
    const a = await low.register();
    const statuses: number[] = [];
    let last: { status: number; body: unknown; headers: Headers } | undefined;
    for (let i = 0; i < 4; i++) {
      last = await low.rest('POST', '/api/v1/auth/token', {
        body: { email: a.email, password: 'Wrong-Password-1' },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expectContract('POST', '/api/v1/auth/token', last as { status: number; body: unknown });
    expect(last?.body).toMatchObject({ success: false, error: 'TooManyRequests' });
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    const user = await low.stack.kernel.database.prisma.user.findUnique({ where: { id: a.userId } });
    expect(user).toMatchObject({ failedLogins: 3, lockedUntil: null });
  });

  it('limits password reset requests per email (429, Retry-After)', async () => {
    const a = await low.register();
    for (let i = 0; i < 2; i++) {
      expect(
        (await low.rest('POST', '/api/v1/auth/password/forgot', { body: { email: a.email } })).status,
      ).toBe(202);
    }
    const limited = await low.rest('POST', '/api/v1/auth/password/forgot', { body: { email: a.email } });
    expect(limited.status).toBe(429);
    expectContract('POST', '/api/v1/auth/password/forgot', limited);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits refreshes per client IP', async () => {
    const a = await low.register();
    let token = a.refreshToken;
    let limited: { status: number; body: unknown; headers: Headers } | undefined;
    for (let i = 0; i < 5 && !limited; i++) {
      const res = await low.rest<Record<string, string>>('POST', '/api/v1/auth/refresh', {
        body: { refresh_token: token },
      });
      if (res.status === 429) {
        limited = res;
      } else {
        expect(res.status).toBe(200);
        token = res.body.refresh_token as string;
      }
    }
    expect(limited?.status).toBe(429);
    expectContract('POST', '/api/v1/auth/refresh', limited as { status: number; body: unknown });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  // Last: it throttles the whole loopback address of this stack.
  it('throttles a client IP after repeated failures, whatever the email (even the right password)', async () => {
    // Three failures were charged by the test above; the threshold is eight.
    const statuses: number[] = [];
    let last: { status: number; body: unknown; headers: Headers } | undefined;
    for (let i = 0; i < 6; i++) {
      last = await low.rest('POST', '/api/v1/auth/token', {
        body: { email: `nobody-${randomUUID()}@example.com`, password: 'Wrong-Password-1' },
      });
      statuses.push(last.status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expectContract('POST', '/api/v1/auth/token', last as { status: number; body: unknown });
    expect(last?.body).toMatchObject({ message: 'Too many login attempts from this network segment.' });
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    const b = await low.register();
    expect(await loginStatus(b.email, b.password, low)).toBe(429);
  });
});

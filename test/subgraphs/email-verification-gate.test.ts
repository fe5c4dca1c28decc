import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;

beforeAll(async () => {
  t = await bootStack({ REQUIRE_EMAIL_VERIFICATION: 'true' });
});
afterAll(async () => {
  await t?.close();
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  it('refuses tenant operations until the email is verified, then allows them after a new login', async () => {
    const a = await t.register();
    const blocked = await t.rest('GET', '/api/v1/conversations', { token: a.accessToken });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({
      success: false,
      error: 'Forbidden',
      message: 'Email verification required.',
    });
    expect(contractProblems('GET', '/api/v1/conversations', 403, blocked.body)).toEqual([]);
    expect((await t.rest('GET', '/api/v1/tenants/settings', { token: a.accessToken })).status).toBe(403);
    // Who am I still answers: it has no verification gate.
    expect((await t.rest('GET', '/api/v1/auth/me', { token: a.accessToken })).status).toBe(200);

    const sent = await t.rest('POST', '/api/v1/auth/email/send', { token: a.accessToken });
    expect(sent.status).toBe(202);
    // The embedded default records mail in the outbox: follow the token in it.
    const mail = await t.stack.kernel.database.prisma.emailOutbox.findFirstOrThrow({
      where: { to: a.email, purpose: 'email_verification' },
      orderBy: { createdAt: 'desc' },
    });
    const token = /token: (\S+)/.exec(mail.text)?.[1];
    expect(token).toBeDefined();
    expect((await t.rest('POST', '/api/v1/auth/email/verify', { body: { token } })).status).toBe(200);

    const login = await t.rest<{ access_token: string; email_verified: boolean }>(
      'POST',
      '/api/v1/auth/token',
      {
        body: { email: a.email, password: a.password },
      },
    );
    expect(login.body.email_verified).toBe(true);
    expect((await t.rest('GET', '/api/v1/conversations', { token: login.body.access_token })).status).toBe(
      200,
    );
  });
});

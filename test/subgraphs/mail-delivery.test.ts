/**
 * Mail delivery: where links in mail point (FRONTEND_URL), that mail bodies (live tokens) never reach
 * the logs at info level, and that production refuses to start without a way to deliver mail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../subgraphs/kernel/config.js';
import { assertMailDeliverable, Mailer } from '../../subgraphs/kernel/mailer.js';
import { type MailCatcher, startMailCatcher } from '../kit/mail.js';
import { bootStack, eventually, type TestStack } from '../kit/stack.js';
import { makeOperator } from './tenancy-kit.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FRONTEND_URL = 'https://app.example.com/portal/';
/** The shape of verification and reset tokens (email-token.ts); invite tokens are base64url. */
const EMAIL_TOKEN = /[0-9a-f]{32}\.[0-9a-f]{64}/;

let t: TestStack;
let mail: MailCatcher;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await bootStack({
    SMTP_URL: mail.url,
    FRONTEND_URL,
    AUTH_PASSWORD_FORGOT_IP_PER_HOUR: '10000',
    AUTH_EMAIL_VERIFICATION_IP_PER_HOUR: '10000',
  });
});
afterAll(async () => {
  await t?.close();
  await mail?.close();
});

describe('FRONTEND_URL', () => {
  it('points the verification, reset and invite links at the other frontend', async () => {
    const a = await t.register();
    expect((await t.rest('POST', '/api/v1/auth/email/send', { token: a.accessToken })).status).toBe(202);
    const verification = await mail.next(a.email);
    const token = /verification token: (\S+)/.exec(verification.text)?.[1];
    expect(token).toMatch(EMAIL_TOKEN);
    expect(verification.text).toContain(`https://app.example.com/portal/verify-email?token=${token}`);

    expect((await t.rest('POST', '/api/v1/auth/password/forgot', { body: { email: a.email } })).status).toBe(
      202,
    );
    const reset = await mail.next(a.email);
    const resetToken = /reset token: (\S+)/.exec(reset.text)?.[1];
    expect(reset.text).toContain(`https://app.example.com/portal/reset-password?token=${resetToken}`);

    const operator = await makeOperator(t, a);
    const invited = `invited-${randomUUID()}@example.com`;
    const issued = await t.rest<{ invite_token: string }>('POST', '/api/v1/auth/invites', {
      token: operator,
      body: { invited_email: invited, send_email: true },
    });
    expect(issued.status).toBe(201);
    const invite = await mail.next(invited);
    expect(invite.text).toContain(
      `https://app.example.com/portal/signup?invite=${encodeURIComponent(issued.body.invite_token)}`,
    );

    for (const m of [verification, reset, invite]) {
      expect(m.text).not.toContain(t.stack.kernel.config.PUBLIC_URL);
    }
  });

  it('must be an http(s) URL without a query', () => {
    for (const bad of [
      'app.example.com',
      'ftp://app.example.com/',
      'javascript:alert(1)',
      'https://app.example.com/?x=1',
    ]) {
      expect(() => loadConfig({ FRONTEND_URL: bad })).toThrow(/FRONTEND_URL/);
    }
    expect(loadConfig({}).FRONTEND_URL).toBeUndefined();
  });
});

describe('mail without SMTP', () => {
  it('stays in the outbox with its body; the log names recipient and purpose, the link only at debug', async () => {
    const entries: Record<string, unknown>[] = [];
    const log = pino({ level: 'trace' }, { write: (line: string) => entries.push(JSON.parse(line)) });
    const config = loadConfig({ NODE_ENV: 'development' });
    const mailer = new Mailer(t.stack.kernel.database.prisma, config, log);
    const secret = `${randomUUID().replaceAll('-', '')}.${'ab'.repeat(32)}`;
    const link = `http://127.0.0.1:4000/verify-email?token=${secret}`;
    const to = `outbox-${randomUUID()}@example.com`;
    expect(
      await mailer.send({
        to,
        subject: 'Verify your email address',
        purpose: 'email_verification',
        text: `Open ${link}\nOr use this verification token: ${secret}`,
        link,
      }),
    ).toBe(true);
    mailer.close();

    const row = await t.stack.kernel.database.prisma.emailOutbox.findFirstOrThrow({ where: { to } });
    expect(row.text).toContain(secret);
    expect(row.status).toBe('logged');
    const atInfo = entries.filter((e) => (e.level as number) >= 30);
    expect(atInfo).toEqual([expect.objectContaining({ to, purpose: 'email_verification' })]);
    expect(JSON.stringify(atInfo)).not.toContain(secret);
    expect(entries.filter((e) => e.level === 20)).toEqual([expect.objectContaining({ link })]);
  });
});

describe('production start-up', () => {
  it('refuses production without SMTP_URL, unless MAIL_OUTBOX_ONLY=true', () => {
    const production = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', ...env });
    expect(() => assertMailDeliverable(production({}))).toThrow(
      /SMTP_URL is not set.*MAIL_OUTBOX_ONLY=true/s,
    );
    expect(() => assertMailDeliverable(production({ MAIL_OUTBOX_ONLY: 'false' }))).toThrow(/SMTP_URL/);
    expect(() => assertMailDeliverable(production({ MAIL_OUTBOX_ONLY: 'true' }))).not.toThrow();
    expect(() => assertMailDeliverable(production({ SMTP_URL: 'smtp://127.0.0.1:25' }))).not.toThrow();
    expect(() => assertMailDeliverable(loadConfig({}))).not.toThrow();
  });

  /** `npm start` in a child process, on an embedded database of its own (never a shared PostgreSQL). */
  function start(env: Record<string, string>): { child: ChildProcess; out: () => string } {
    const base = { ...process.env };
    for (const name of ['DATABASE_URL', 'SMTP_URL', 'MAIL_OUTBOX_ONLY', 'FRONTEND_URL', 'LOG_LEVEL']) {
      delete base[name];
    }
    const child = spawn(process.execPath, ['scripts/start.mjs', 'gateway/main'], {
      cwd: ROOT,
      env: { ...base, HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    return { child, out: () => output };
  }

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) {
        resolve(child.exitCode);
      } else {
        child.once('exit', (code) => resolve(code));
      }
    });

  it('npm start with NODE_ENV=production and no SMTP_URL exits with the reason, before opening a database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mail-refusal-'));
    try {
      const dataDir = join(dir, 'data');
      const { child, out } = start({ NODE_ENV: 'production', DATA_DIR: dataDir });
      expect(await exited(child)).toBe(1);
      expect(out()).toMatch(/SMTP_URL is not set/);
      expect(out()).toMatch(/MAIL_OUTBOX_ONLY=true/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('with MAIL_OUTBOX_ONLY=true it serves, and its info log carries no mail body or token', async () => {
    const { child, out } = start({
      NODE_ENV: 'production',
      MAIL_OUTBOX_ONLY: 'true',
      LOG_LEVEL: 'info',
      DATA_DIR: 'memory://',
    });
    try {
      await eventually(() => /GraphQL\s+http:\/\/127\.0\.0\.1:\d+\/graphql/.test(out()), 90_000);
      const url = /GraphQL\s+(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out())?.[1] as string;
      const post = (path: string, body: unknown, token?: string) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
      const email = `prod-${randomUUID()}@example.com`;
      const registered = await post('/api/v1/auth/register', {
        email,
        password: 'Correct-Horse-Battery-9',
        tenant_name: 'Production',
        accept_terms: true,
      });
      expect(registered.status).toBe(201);
      const { access_token } = (await registered.json()) as { access_token: string };
      expect((await post('/api/v1/auth/email/send', {}, access_token)).status).toBe(202);
      expect((await post('/api/v1/auth/password/forgot', { email })).status).toBe(202);
      // Both mails went through the outbox path (the reset one is made after its response).
      await eventually(
        () => /"purpose":"email_verification"/.test(out()) && /"purpose":"password_reset"/.test(out()),
        10_000,
      );
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    expect(out()).toMatch(/email recorded in email_outbox/);
    expect(out()).not.toMatch(EMAIL_TOKEN);
    expect(out()).not.toMatch(/verify-email\?|reset-password\?|"text":/);
  }, 120_000);
});

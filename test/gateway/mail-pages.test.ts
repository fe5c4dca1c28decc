/**
 * The pages that links in mail open (gateway/pages/), followed from real mail (a loopback SMTP
 * server) in headless Chromium: verification, password reset and signup with an invite.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../subgraphs/identity/password.js';
import { hasChromium, launchChromium } from '../kit/browser.js';
import { type MailCatcher, startMailCatcher } from '../kit/mail.js';
import { bootStack, type TestStack } from '../kit/stack.js';

const PUBLIC_URL = 'http://mail-links.test:4000';
const PASSWORD = 'Correct-Horse-Battery-9';

let t: TestStack;
let mail: MailCatcher;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await bootStack({
    SMTP_URL: mail.url,
    PUBLIC_URL,
    // The invite page matters only where an invite is required.
    SIGNUP_ACCESS_POLICY: 'invite_only',
    AUTH_PASSWORD_FORGOT_IP_PER_HOUR: '10000',
    AUTH_EMAIL_VERIFICATION_IP_PER_HOUR: '10000',
  });
});
afterAll(async () => {
  await t?.close();
  await mail?.close();
});

const db = () => t.stack.kernel.database.prisma;

/** A tenant owner created in the database (registration needs an invite here); logged in. */
async function seedUser(operator = false): Promise<{ email: string; token: string; id: string }> {
  const email = `mail-pages-${randomUUID()}@example.com`;
  const tenant = await db().tenant.create({
    data: { name: 'Mail pages', slug: `mail-pages-${randomUUID().slice(0, 12)}` },
  });
  const user = await db().user.create({
    data: { email, passwordHash: await hashPassword(PASSWORD), platformRole: operator ? 'operator' : null },
  });
  await db().membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'owner' } });
  return { email, token: await login(email, PASSWORD), id: user.id };
}

async function login(email: string, password: string): Promise<string> {
  const res = await t.rest<{ access_token: string }>('POST', '/api/v1/auth/token', {
    body: { email, password },
  });
  if (res.status !== 200) {
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.access_token;
}

/**
 * The link to `path` in the next mail to `to`. Links are built on PUBLIC_URL; the stack listens on
 * port 0, so the test opens the same path and query on the gateway's real address.
 */
async function linkIn(to: string, path: string): Promise<string> {
  const received = await mail.next(to);
  const found = new RegExp(`https?://\\S+${path}\\?\\S+`).exec(received.text)?.[0];
  if (!found) {
    throw new Error(`no ${path} link in mail: ${received.text}`);
  }
  const link = new URL(found);
  expect(link.origin).toBe(PUBLIC_URL);
  expect(link.pathname).toBe(path);
  return `${t.url}${link.pathname}${link.search}`;
}

describe('mail pages over HTTP', () => {
  it.each(['/verify-email', '/reset-password', '/signup'])(
    '%s is self-contained, uncached, sends no referrer and reflects nothing from the address',
    async (path) => {
      const hostile = '"><script>alert(1)</script>';
      const res = await fetch(`${t.url}${path}?token=${encodeURIComponent(hostile)}&invite=x`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("form-action 'none'");
      const html = await res.text();
      expect(html).not.toContain('alert(1)');
      expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*\shref=/);
    },
  );
});

describe.skipIf(!hasChromium)('mail pages in headless Chromium', () => {
  let browser: Browser;
  const foreign: string[] = [];
  const failures: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith(t.url)) {
        foreign.push(r.url());
      }
    });
    page.on('pageerror', (e) => failures.push(e.message));
    page.on('dialog', (d) => failures.push(`dialog: ${d.message()}`));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) {
        failures.push(m.text());
      }
    });
    await page.goto(url);
    return page;
  }

  /** The status box once it shows an outcome (`ok` or `error`). */
  async function outcome(page: Page): Promise<{ kind: string; text: string }> {
    const box = page.locator('#status[data-kind="ok"], #status[data-kind="error"]');
    await box.waitFor({ timeout: 15_000 });
    return { kind: (await box.getAttribute('data-kind')) ?? '', text: (await box.textContent()) ?? '' };
  }

  it('verifies an email from the mailed link, and says so when the link is used again', async () => {
    const user = await seedUser();
    const sent = await t.rest('POST', '/api/v1/auth/email/send', { token: user.token });
    expect(sent.status).toBe(202);
    const link = await linkIn(user.email, '/verify-email');

    const page = await open(link);
    expect(await page.title()).toMatch(/verify your email/i);
    // Opening the link spends nothing (mail scanners open links too): the click does.
    await page.waitForTimeout(300);
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).toBeNull();
    await page.getByRole('button', { name: /verify my email/i }).click();
    const done = await outcome(page);
    expect(done).toMatchObject({ kind: 'ok' });
    expect(done.text).toMatch(/verified/i);
    const me = await t.rest<{ email_verified: boolean }>('POST', '/api/v1/auth/token', {
      body: { email: user.email, password: PASSWORD },
    });
    expect(me.body.email_verified).toBe(true);
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).not.toBeNull();

    // The same link again: the API refuses the used token, and the page says so in its words.
    const again = await t.rest<{ message: string }>('POST', '/api/v1/auth/email/verify', {
      body: { token: new URL(link).searchParams.get('token') },
    });
    expect(again.status).toBe(400);
    await page.reload();
    await page.getByRole('button', { name: /verify my email/i }).click();
    const used = await outcome(page);
    expect(used.kind).toBe('error');
    expect(used.text).toMatch(/already been used/);
    expect(used.text).toContain(again.body.message);
    await page.close();
  });

  it('says a link without a token is incomplete, and shows a hostile token only as text', async () => {
    const bare = await open(`${t.url}/verify-email`);
    expect(await outcome(bare)).toMatchObject({ kind: 'error', text: expect.stringMatching(/incomplete/) });
    await bare.close();
    const hostile = await open(
      `${t.url}/verify-email?token=${encodeURIComponent('<img src=x onerror=alert(1)>')}`,
    );
    await hostile.getByRole('button', { name: /verify my email/i }).click();
    const refused = await outcome(hostile);
    expect(refused.kind).toBe('error');
    expect(await hostile.locator('img').count()).toBe(0);
    await hostile.close();
  });

  it('resets a password from the mailed link: the API’s message for a weak one, then success', async () => {
    const user = await seedUser();
    expect(
      (await t.rest('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } })).status,
    ).toBe(202);
    const link = await linkIn(user.email, '/reset-password');
    const page = await open(link);
    expect(await page.title()).toMatch(/new password/i);

    // What the API says about a weak password (validation comes before the token is looked at).
    const weak = 'onlylowercaseletters';
    const policy = await t.rest<{ details: { msg: string }[] }>('POST', '/api/v1/auth/password/confirm', {
      body: { token: 'not-a-token', new_password: weak },
    });
    expect(policy.status).toBe(422);
    expect(policy.body.details.length).toBeGreaterThan(0);
    await page.fill('input[name=password]', weak);
    await page.fill('input[name=confirm]', weak);
    await page.click('button[type=submit]');
    const refused = await outcome(page);
    expect(refused.kind).toBe('error');
    for (const detail of policy.body.details) {
      expect(refused.text).toContain(detail.msg);
    }

    // Two different passwords never reach the API.
    await page.fill('input[name=password]', 'Brand-New-Secret-2025');
    await page.fill('input[name=confirm]', 'Brand-New-Secret-2026');
    await page.click('button[type=submit]');
    await page.locator('#status', { hasText: 'differ' }).waitFor();

    const next = 'Brand-New-Secret-2025';
    await page.fill('input[name=confirm]', next);
    await page.click('button[type=submit]');
    const done = await outcome(page);
    expect(done.kind).toBe('ok');
    expect(done.text).toMatch(/password has been changed/i);
    expect(await page.locator('form').count()).toBe(0);
    await expect(login(user.email, PASSWORD)).rejects.toThrow(/401/);
    expect(await login(user.email, next)).toBeTruthy();

    // The link a second time: the token is spent.
    const again = await open(link);
    await again.fill('input[name=password]', 'Yet-Another-Secret-77');
    await again.fill('input[name=confirm]', 'Yet-Another-Secret-77');
    await again.click('button[type=submit]');
    const spent = await outcome(again);
    expect(spent.kind).toBe('error');
    expect(spent.text).toMatch(/already been used/);
    expect(await login(user.email, next)).toBeTruthy();
    await page.close();
    await again.close();
  });

  it('signs up with a mailed invite, which is then redeemed', async () => {
    const operator = await seedUser(true);
    const invited = `invited-${randomUUID()}@example.com`;
    const issued = await t.rest<{ id: string }>('POST', '/api/v1/auth/invites', {
      token: operator.token,
      body: { invited_email: invited, send_email: true },
    });
    expect(issued.status).toBe(201);
    const link = await linkIn(invited, '/signup');
    expect(new URL(link).searchParams.get('invite')).toBeTruthy();

    const page = await open(link);
    expect(await page.title()).toMatch(/create your account/i);
    await page.fill('input[name=email]', invited);
    await page.fill('input[name=tenant_name]', 'Invited Org');
    await page.fill('input[name=password]', PASSWORD);
    await page.fill('input[name=confirm]', PASSWORD);
    // Terms not accepted: the API's refusal is shown and nothing is created.
    await page.click('button[type=submit]');
    expect(await outcome(page)).toMatchObject({ kind: 'error' });
    expect(await db().user.count({ where: { email: invited } })).toBe(0);

    await page.check('input[name=accept_terms]');
    await page.click('button[type=submit]');
    const done = await outcome(page);
    expect(done.kind).toBe('ok');
    expect(done.text).toContain(invited);
    expect(await login(invited, PASSWORD)).toBeTruthy();
    const invite = await db().signupInvite.findUniqueOrThrow({ where: { id: issued.body.id } });
    expect(invite.redeemedCount).toBe(1);
    await page.close();
  });

  it('made no request outside the gateway, and no page had a script error or a CSP violation', () => {
    expect(foreign).toEqual([]);
    expect(failures).toEqual([]);
  });
});

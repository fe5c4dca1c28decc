import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { usagePeriods } from '../../subgraphs/kernel/usage.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { contractProblems } from '../kit/contract.js';
import { type MailCatcher, startMailCatcher } from '../kit/mail.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { type Member, tenantWithRoles } from './tenancy-kit.js';

const LOG_SECRET = 'frontend-log-secret-0123456789';
const TEAM = 'team@example.com';

interface Counter {
  id: string;
  tenant_id: string;
  user_id: string | null;
  period_start: string;
  granularity: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  storage_bytes: number;
}
interface ErrorBody {
  error: string;
  message: string;
  details: { loc: (string | number)[] }[] | null;
}

let t: TestStack;
let fake: FakeOpenAI;
let mail: MailCatcher;
let owner: Account;
let other: Account;
let viewer: Member;

beforeAll(async () => {
  [fake, mail] = await Promise.all([startFakeOpenAI({ apiKey: 'sk-test' }), startMailCatcher()]);
  t = await bootStack({
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_MAX_RETRIES: '0',
    SMTP_URL: mail.url,
    CONTACT_EMAIL_TO: TEAM,
    CONTACT_RATE_LIMIT_PER_EMAIL_HOUR: '2',
    FRONTEND_LOG_SHARED_SECRET: LOG_SECRET,
    FRONTEND_LOG_RATE_LIMIT_PER_MINUTE: '5',
  });
  ({ owner, other, viewer } = await tenantWithRoles(t));
});
afterAll(async () => {
  await t?.close();
  await Promise.all([fake?.close(), mail?.close().catch(() => undefined)]);
});

const sign = (body: string, secret = LOG_SECRET) => createHmac('sha256', secret).update(body).digest('hex');

const usage = (token: string) => t.rest<Counter[] & ErrorBody>('GET', '/api/v1/usage', { token });

describe('GET /api/v1/usage', () => {
  it('counts each chat run and its tokens in today’s and this month’s counters, per tenant', async () => {
    expect((await usage(owner.accessToken)).body).toEqual([]);
    for (const [prompt, completion] of [
      [40, 7],
      [2, 3],
    ] as const) {
      fake.script({ text: 'Counted.', usage: { prompt_tokens: prompt, completion_tokens: completion } });
      const chat = await t.rest('POST', '/api/v1/chat', {
        token: owner.accessToken,
        body: { message: 'Hi' },
      });
      expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    }
    const res = await usage(owner.accessToken);
    expect(res.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/usage', 200, res.body)).toEqual([]);
    const periods = usagePeriods(new Date());
    expect(res.body.map((c) => [c.granularity, c.period_start])).toEqual(
      expect.arrayContaining([
        ['day', periods.day.toISOString().slice(0, 10)],
        ['month', periods.month.toISOString().slice(0, 10)],
      ]),
    );
    for (const c of res.body) {
      // The new conversation's title is a model call too, but not a chat run.
      expect(c).toMatchObject({ tenant_id: owner.tenantId, user_id: null, requests: 2, storage_bytes: 0 });
      expect(c.input_tokens).toBeGreaterThanOrEqual(42);
      expect(c.output_tokens).toBeGreaterThanOrEqual(10);
    }
    // Another tenant's counters are its own; a viewer of the tenant reads them too.
    expect((await usage(other.accessToken)).body).toEqual([]);
    expect((await usage(viewer.token)).body).toHaveLength(2);
    expect((await t.rest('GET', '/api/v1/usage')).status).toBe(401);
  });

  it('counts the bytes of storage objects once they are uploaded and checked', async () => {
    const fresh = await t.register();
    const created = await t.rest<{ object_id: string; upload_url: string; headers: Record<string, string> }>(
      'POST',
      '/api/v1/storage/objects/upload-url',
      { token: fresh.accessToken, body: { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 11 } },
    );
    expect(created.status).toBe(201);
    const put = await fetch(created.body.upload_url, {
      method: 'PUT',
      headers: created.body.headers,
      body: 'hello world',
    });
    expect(put.status).toBeLessThan(300);
    expect((await usage(fresh.accessToken)).body).toEqual([]); // not checked yet
    const read = await t.rest('GET', `/api/v1/storage/objects/${created.body.object_id}/download-url`, {
      token: fresh.accessToken,
    });
    expect(read.status).toBe(200);
    await t.rest('GET', `/api/v1/storage/objects/${created.body.object_id}/download-url`, {
      token: fresh.accessToken,
    });
    const counters = (await usage(fresh.accessToken)).body;
    expect(counters.map((c) => [c.granularity, c.storage_bytes, c.requests])).toEqual(
      expect.arrayContaining([
        ['day', 11, 0],
        ['month', 11, 0],
      ]),
    );
  });

  it('loses no count to concurrent writers of the same period', async () => {
    const fresh = await t.register();
    const { countUsage } = await import('../../subgraphs/kernel/usage.js');
    const db = t.stack.kernel.database.prisma;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.$transaction((tx) => countUsage(tx, { tenantId: fresh.tenantId, requests: 1, inputTokens: 5 })),
      ),
    );
    const counters = (await usage(fresh.accessToken)).body;
    expect(counters.map((c) => [c.requests, c.input_tokens])).toEqual([
      [20, 100],
      [20, 100],
    ]);
  });
});

describe('POST /api/v1/contact', () => {
  const contact = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.rest<{ success: boolean; message: string; data: Record<string, unknown> } & ErrorBody>(
      'POST',
      '/api/v1/contact',
      { body, headers },
    );

  it('mails the message to CONTACT_EMAIL_TO, without a credential, in the legacy envelope', async () => {
    const from = `ada-${randomUUID()}@example.com`;
    const res = await contact({
      name: 'Ada\r\nBcc: victim@example.com',
      email: from,
      topic: 'Pricing',
      message: 'How much for ten agents?',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(contractProblems('POST', '/api/v1/contact', 202, res.body)).toEqual([]);
    expect(res.body).toMatchObject({
      success: true,
      message: "Thanks for reaching out. We'll respond soon.",
      data: { delivered: true, suppressed: false, message_id: null },
    });
    const received = await mail.next(TEAM);
    expect(received.to).toEqual([TEAM]);
    expect(received.subject).toBe('Contact: Pricing from Ada Bcc: victim@example.com');
    expect(received.text).toContain('How much for ten agents?');
    expect(received.text).toContain(String(res.body.data.reference_id));
    expect(mail.messages.some((m) => m.to.includes('victim@example.com'))).toBe(false);
  });

  it('drops a filled honeypot (accepted, not sent) and refuses bad input with 422s', async () => {
    const sent = mail.messages.length;
    const bot = await contact({
      email: `bot-${randomUUID()}@example.com`,
      message: 'Buy cheap things now',
      honeypot: 'x',
    });
    expect(bot.status).toBe(202);
    expect(bot.body.data).toMatchObject({ delivered: false, suppressed: true });
    for (const [body, loc] of [
      [{ email: 'not-an-email', message: 'A long enough message' }, 'email'],
      [{ email: 'a@example.com', message: 'short' }, 'message'],
      [{ email: 'a@example.com', message: 'x'.repeat(2001) }, 'message'],
      [{ email: 'a@example.com', message: 'A long enough message', name: 'n'.repeat(121) }, 'name'],
    ] as const) {
      const res = await contact(body);
      expect(res.status, loc).toBe(422);
      expect(res.body.details?.[0]?.loc).toEqual(['body', loc]);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(mail.messages.length).toBe(sent);
  });

  it('limits submissions per sender (429 with Retry-After)', async () => {
    const email = `limited-${randomUUID()}@example.com`;
    for (let i = 0; i < 2; i++) {
      expect((await contact({ email, message: `Message number ${i}` })).status).toBe(202);
    }
    const third = await t.rest<ErrorBody>('POST', '/api/v1/contact', {
      body: { email: email.toUpperCase(), message: 'Message number 3' },
    });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(
      (await contact({ email: `other-${randomUUID()}@example.com`, message: 'Not limited' })).status,
    ).toBe(202);
  });
});

describe('POST /api/v1/logs', () => {
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${t.url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('writes a signed-in browser’s event to the log, with its tenant', async () => {
    const info = vi.spyOn(t.stack.kernel.log, 'info');
    const body = JSON.stringify({
      event: 'checkout.failed',
      level: 'error',
      message: 'card declined',
      fields: { step: 3, level: 'shadow', message: 'shadow' },
    });
    const res = await post(body, { authorization: `Bearer ${owner.accessToken}` });
    expect(res.status).toBe(202);
    const answer = await res.json();
    expect(answer).toEqual({ accepted: true });
    expect(contractProblems('POST', '/api/v1/logs', 202, answer)).toEqual([]);
    const logged = info.mock.calls.find((c) => c[1] === 'frontend.log')?.[0] as Record<string, unknown>;
    info.mockRestore();
    expect(logged).toMatchObject({
      frontend: { event: 'checkout.failed', level: 'error', message: 'card declined', fields: { step: 3 } },
      tenantId: owner.tenantId,
    });
  });

  it('takes an anonymous event signed with FRONTEND_LOG_SHARED_SECRET, and refuses the rest', async () => {
    const body = JSON.stringify({ event: 'page.view', scope: 'landing' });
    expect((await post(body, { 'x-log-signature': sign(body) })).status).toBe(202);
    const wrong = await post(body, { 'x-log-signature': sign(body, 'another-secret-0123456789') });
    expect(wrong.status).toBe(401);
    expect((await post(`${body} `, { 'x-log-signature': sign(body) })).status).toBe(401);
    expect((await post(body, {})).status).toBe(401);
    expect((await post(body, { authorization: 'Bearer forged' })).status).toBe(401);
    const big = JSON.stringify({ event: 'big', message: 'x'.repeat(17_000) });
    expect((await post(big, { authorization: `Bearer ${owner.accessToken}` })).status).toBe(413);
    const bad = await post('{"event":', { authorization: `Bearer ${owner.accessToken}` });
    expect(bad.status).toBe(422);
    const missing = await post(JSON.stringify({ level: 'info' }), {
      authorization: `Bearer ${owner.accessToken}`,
    });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as ErrorBody).details?.[0]?.loc).toEqual(['body', 'event']);
  });
});

describe('POST /api/v1/logs, limited', () => {
  it('takes FRONTEND_LOG_RATE_LIMIT_PER_MINUTE events a minute per caller, then 429', async () => {
    const fresh = await t.register();
    const send = () =>
      fetch(`${t.url}/api/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${fresh.accessToken}` },
        body: JSON.stringify({ event: 'tick' }),
      });
    for (let i = 0; i < 5; i++) {
      expect((await send()).status).toBe(202);
    }
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another caller has its own budget.
    const body = JSON.stringify({ event: 'page.view' });
    expect(
      (
        await fetch(`${t.url}/api/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${other.accessToken}` },
          body,
        })
      ).status,
    ).toBe(202);
  });
});

describe('without the settings', () => {
  it('the contact form is 503 naming CONTACT_EMAIL_TO; anonymous logs are 403 without the secret', async () => {
    const plain = await bootStack();
    try {
      const res = await plain.rest<ErrorBody>('POST', '/api/v1/contact', {
        body: { email: 'a@example.com', message: 'Is anyone there?' },
      });
      expect(res.status).toBe(503);
      expect(res.body.message).toContain('CONTACT_EMAIL_TO');
      const body = JSON.stringify({ event: 'page.view' });
      const log = await fetch(`${plain.url}/api/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-log-signature': sign(body) },
        body,
      });
      expect(log.status).toBe(403);
    } finally {
      await plain.close();
    }
  });

  it('a mail the SMTP server refuses is 502, so the visitor tries again', async () => {
    await mail.close();
    const res = await t.rest<ErrorBody>('POST', '/api/v1/contact', {
      body: { email: `late-${randomUUID()}@example.com`, message: 'Nobody will get this' },
    });
    expect(res.status).toBe(502);
  });
});

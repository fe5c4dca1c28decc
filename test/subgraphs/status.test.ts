import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { type MailCatcher, startMailCatcher } from '../kit/mail.js';
import { type Account, bootStack, eventually, type TestStack } from '../kit/stack.js';
import { makeOperator } from './tenancy-kit.js';

const STATUS = '/api/v1/status';
const SUBSCRIPTIONS = '/api/v1/status/subscriptions';

interface Subscription {
  id: string;
  channel: string;
  status: string;
  target_masked: string;
  tenant_id: string | null;
  created_by: string;
  webhook_secret: string | null;
}
interface ErrorBody {
  error: string;
  message: string;
  details: { loc: (string | number)[] }[] | null;
}

/** A webhook receiver on loopback: keeps what it is sent, answers `status`. */
interface Receiver {
  url: string;
  received: { body: string; signature: string }[];
  status: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const receiver = { status: 200 } as Receiver;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['x-status-signature'] ?? '') });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

let t: TestStack;
let mail: MailCatcher;
let hook: Receiver;
let operator: string;
let owner: Account;

beforeAll(async () => {
  [mail, hook] = await Promise.all([startMailCatcher(), startReceiver()]);
  t = await bootStack({ SMTP_URL: mail.url, STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  const [op, plain] = await Promise.all([t.register(), t.register()]);
  operator = await makeOperator(t, op);
  owner = plain;
});
afterAll(async () => {
  await t?.close();
  await Promise.all([mail?.close(), hook?.close()]);
});

const open = (token: string, input: Record<string, unknown>) =>
  t.gql<{ openStatusIncident: { incidentId: string } }>(
    'mutation ($input: OpenStatusIncidentInput!) { openStatusIncident(input: $input) { incidentId } }',
    { input },
    token,
  );

const tokenIn = (text: string, key: string) =>
  new URL(/https?:\/\/\S+/.exec(text)?.[0] ?? '').searchParams.get(key);

describe('the public page', () => {
  it('is computed from the incidents operators open and resolve, as JSON and RSS', async () => {
    const calm = await t.rest<Record<string, unknown>>('GET', STATUS);
    expect(calm.status).toBe(200);
    expect(contractProblems('GET', STATUS, 200, calm.body)).toEqual([]);
    expect(calm.body.overview).toMatchObject({ state: 'All systems operational' });

    expect(
      (await open(owner.accessToken, { service: 'Chat', impact: 'x', severity: 'MAJOR' })).errors?.[0]
        ?.extensions?.code,
    ).toBe('FORBIDDEN');
    const opened = await open(operator, {
      service: 'Chat',
      impact: 'Answers are slow <for some> & "others"',
      severity: 'MAJOR',
    });
    expect(opened.errors).toBeUndefined();
    const id = opened.data?.openStatusIncident.incidentId as string;
    const page = await t.rest<{
      overview: { state: string };
      services: { name: string; status: string; last_incident_at: string | null }[];
      incidents: { incident_id: string; service: string; state: string; impact: string }[];
    }>('GET', STATUS);
    expect(page.body.overview.state).toBe('1 open incident');
    expect(page.body.services.find((s) => s.name === 'Chat')).toMatchObject({ status: 'major_outage' });
    expect(page.body.services.find((s) => s.name === 'Voice')).toMatchObject({ status: 'operational' });
    expect(page.body.incidents[0]).toMatchObject({
      incident_id: id,
      service: 'Chat',
      state: 'investigating',
    });

    const rss = await fetch(`${t.url}${STATUS}/rss`);
    expect(rss.status).toBe(200);
    expect(rss.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const feed = await rss.text();
    expect(feed).toContain('<rss version="2.0">');
    expect(feed).toContain(`<guid isPermaLink="false">${id}</guid>`);
    expect(feed).toContain('Chat: Answers are slow &lt;for some&gt; &amp; &quot;others&quot;');

    const resolved = await t.gql(
      'mutation ($id: ID!) { updateStatusIncident(incidentId: $id, input: { state: RESOLVED }) { resolvedAt } }',
      { id },
      operator,
    );
    expect(resolved.errors).toBeUndefined();
    const after = await t.rest<{ overview: { state: string }; services: { name: string; status: string }[] }>(
      'GET',
      STATUS,
    );
    expect(after.body.overview.state).toBe('All systems operational');
    expect(after.body.services.every((s) => s.status === 'operational')).toBe(true);
  });
});

describe('email subscriptions', () => {
  it('are confirmed by the mailed link, refuse duplicates, and end with the unsubscribe token', async () => {
    const address = `Reader-${randomUUID()}@Example.com`;
    const created = await t.rest<Subscription>('POST', SUBSCRIPTIONS, {
      body: { channel: 'email', target: address },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(contractProblems('POST', SUBSCRIPTIONS, 201, created.body)).toEqual([]);
    expect(created.body).toMatchObject({
      channel: 'email',
      status: 'pending_verification',
      tenant_id: null,
      created_by: 'public',
      webhook_secret: null,
      target_masked: 'r***@example.com',
    });
    const letter = await mail.next(address.toLowerCase());
    const token = tokenIn(letter.text, 'token') as string;
    const unsubscribe = tokenIn(letter.text.split('Unsubscribe')[1] ?? '', 'unsubscribe_token') as string;
    expect(token).toBeTruthy();

    const bad = await t.rest<ErrorBody>('POST', `${SUBSCRIPTIONS}/verify`, { body: { token: 'nope' } });
    expect(bad.status).toBe(404);
    const verified = await t.rest<Subscription>('POST', `${SUBSCRIPTIONS}/verify`, { body: { token } });
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('active');
    const again = await t.rest('POST', SUBSCRIPTIONS, { body: { channel: 'email', target: address } });
    expect(again.status).toBe(409);

    const wrong = await t.rest<ErrorBody>('DELETE', `${SUBSCRIPTIONS}/${randomUUID()}?token=${unsubscribe}`);
    expect(wrong.status).toBe(400);
    const left = await t.rest('DELETE', `${SUBSCRIPTIONS}/${created.body.id}?token=${unsubscribe}`);
    expect(left.status).toBe(204);
    const gone = await t.rest<ErrorBody>('POST', `${SUBSCRIPTIONS}/verify`, { body: { token } });
    expect(gone.status).toBe(410);
    expect(gone.body.message).toBe('Subscription revoked.');
  });

  it('expire after 60 minutes (410), and refuse bad input with 422s changing nothing', async () => {
    const address = `late-${randomUUID()}@example.com`;
    const created = await t.rest<Subscription>('POST', SUBSCRIPTIONS, {
      body: { channel: 'email', target: address },
    });
    const token = tokenIn((await mail.next(address)).text, 'token') as string;
    await t.stack.kernel.database.prisma.statusSubscription.update({
      where: { id: created.body.id },
      data: { verifyExpiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await t.rest<ErrorBody>('POST', `${SUBSCRIPTIONS}/verify`, { body: { token } });
    expect(expired.status).toBe(410);
    expect(expired.body.message).toBe('Token expired.');
    const before = await t.stack.kernel.database.prisma.statusSubscription.count();
    for (const body of [
      { channel: 'email', target: 'not-an-address' },
      { channel: 'pigeon', target: 'a@example.com' },
      { channel: 'email' },
      { channel: 'email', target: 'a@example.com', severity_filter: 'some' },
    ]) {
      const res = await t.rest<ErrorBody>('POST', SUBSCRIPTIONS, { body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect(await t.stack.kernel.database.prisma.statusSubscription.count()).toBe(before);
  });
});

describe('webhook subscriptions', () => {
  it('need an operator, get a signed challenge, and are active once it is answered', async () => {
    expect(
      (await t.rest('POST', SUBSCRIPTIONS, { body: { channel: 'webhook', target: hook.url } })).status,
    ).toBe(401);
    const member = await t.rest('POST', SUBSCRIPTIONS, {
      token: owner.accessToken,
      body: { channel: 'webhook', target: hook.url },
    });
    expect(member.status).toBe(403);
    const created = await t.rest<Subscription>('POST', SUBSCRIPTIONS, {
      token: operator,
      body: { channel: 'webhook', target: hook.url, severity_filter: 'all' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret = created.body.webhook_secret as string;
    expect(secret).toMatch(/^[\w-]{40,64}$/);
    const challenge = hook.received.at(-1) as Receiver['received'][number];
    expect(challenge.signature).toBe(createHmac('sha256', secret).update(challenge.body).digest('hex'));
    const sent = JSON.parse(challenge.body) as { subscription_id: string; challenge: string };
    expect(sent.subscription_id).toBe(created.body.id);
    const answered = await t.rest<Subscription>('POST', `${SUBSCRIPTIONS}/challenge`, {
      body: { token: sent.challenge },
    });
    expect(answered.status).toBe(200);
    expect(answered.body.status).toBe('active');
    expect(answered.body.webhook_secret).toBeNull();
  });

  it('is refused when the receiver fails the challenge (502, nothing kept)', async () => {
    const before = await t.stack.kernel.database.prisma.statusSubscription.count();
    hook.status = 500;
    const res = await t.rest<ErrorBody>('POST', SUBSCRIPTIONS, {
      token: operator,
      body: { channel: 'webhook', target: `${hook.url}?fails` },
    });
    hook.status = 200;
    expect(res.status).toBe(502);
    expect(await t.stack.kernel.database.prisma.statusSubscription.count()).toBe(before);
  });

  it('may not target this host or a private network where that is not allowed', async () => {
    const plain = await bootStack();
    try {
      const op = await makeOperator(plain, await plain.register());
      for (const target of [
        hook.url,
        'https://127.0.0.1/x',
        'https://10.0.0.8/x',
        'https://localhost/x',
        'https://[::1]/x',
      ]) {
        const res = await plain.rest<ErrorBody>('POST', SUBSCRIPTIONS, {
          token: op,
          body: { channel: 'webhook', target },
        });
        expect(res.status, target).toBe(400);
      }
    } finally {
      await plain.close();
    }
  });
});

describe('operators', () => {
  it('list subscriptions (offset cursor), resend an incident to matching subscribers, and revoke', async () => {
    expect((await t.rest('GET', `${SUBSCRIPTIONS}?all=true`, { token: owner.accessToken })).status).toBe(403);
    expect((await t.rest('GET', `${SUBSCRIPTIONS}?all=true`)).status).toBe(401);
    const list = await t.rest<{ items: Subscription[]; next_cursor: string | null }>(
      'GET',
      `${SUBSCRIPTIONS}?all=true&limit=1`,
      {
        token: operator,
      },
    );
    expect(list.status).toBe(200);
    expect(contractProblems('GET', SUBSCRIPTIONS, 200, list.body)).toEqual([]);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.next_cursor).toBe('1');
    expect((await t.rest('GET', `${SUBSCRIPTIONS}?all=true&cursor=x`, { token: operator })).status).toBe(400);

    // An active email subscriber of major incidents, beside the active webhook (filter all).
    const address = `ops-${randomUUID()}@example.com`;
    await t.rest('POST', SUBSCRIPTIONS, { body: { channel: 'email', target: address } });
    const token = tokenIn((await mail.next(address)).text, 'token') as string;
    await t.rest('POST', `${SUBSCRIPTIONS}/verify`, { body: { token } });
    const opened = await open(operator, { service: 'Voice', impact: 'Calls drop', severity: 'MAJOR' });
    const id = opened.data?.openStatusIncident.incidentId as string;
    const hooksBefore = hook.received.length;
    const resent = await t.rest<{ dispatched: number }>('POST', `/api/v1/status/incidents/${id}/resend`, {
      token: operator,
      body: { severity: 'major' },
    });
    expect(resent.status).toBe(202);
    expect(resent.body.dispatched).toBeGreaterThanOrEqual(2);
    // Delivered in the background (the job queue); the webhook's notice is signed.
    expect((await mail.next(address)).subject).toBe('[investigating] Voice: Calls drop');
    const noticeOf = () =>
      hook.received.slice(hooksBefore).find((r) => JSON.parse(r.body).incident?.incident_id === id);
    await eventually(() => noticeOf() !== undefined);
    expect(JSON.parse(noticeOf()?.body ?? '{}')).toMatchObject({
      type: 'status.incident',
      incident: { service: 'Voice', severity: 'major' },
    });
    const missing = await t.rest('POST', `/api/v1/status/incidents/${randomUUID()}/resend`, {
      token: operator,
      body: {},
    });
    expect(missing.status).toBe(404);
    expect(
      (await t.rest('POST', `/api/v1/status/incidents/${id}/resend`, { token: owner.accessToken, body: {} }))
        .status,
    ).toBe(403);

    const all = await t.rest<{ items: Subscription[] }>('GET', `${SUBSCRIPTIONS}?all=true&limit=100`, {
      token: operator,
    });
    const victim = all.body.items.find((s) => s.status === 'active') as Subscription;
    expect((await t.rest('DELETE', `${SUBSCRIPTIONS}/${victim.id}`)).status).toBe(401);
    expect(
      (await t.rest('DELETE', `${SUBSCRIPTIONS}/${victim.id}`, { token: owner.accessToken })).status,
    ).toBe(403);
    expect((await t.rest('DELETE', `${SUBSCRIPTIONS}/${randomUUID()}`, { token: operator })).status).toBe(
      404,
    );
    expect((await t.rest('DELETE', `${SUBSCRIPTIONS}/${victim.id}`, { token: operator })).status).toBe(204);
    const row = await t.stack.kernel.database.prisma.statusSubscription.findUniqueOrThrow({
      where: { id: victim.id },
    });
    expect(row.status).toBe('revoked');
    expect(row.revokedReason).toMatch(/^revoked-by:user:/);
  });
});

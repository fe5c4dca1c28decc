/**
 * Idempotent retries end to end: a mutation sent with `Idempotency-Key` (REST or GraphQL) runs once
 * per tenant, caller and key; a retry with the same request gets the first answer back and repeats
 * nothing (no second call dialled, no second model request or message, no second file, no second
 * account); the same key with another request is refused (422), a retry while the first still runs
 * is told to wait (409), and a refused first request is not kept. Every mutating REST route honours
 * the header (test/reliability/fuzz.test.ts checks each one with a malformed key).
 */
import { randomUUID } from 'node:crypto';
import { SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveKitDouble, startLiveKitDouble } from '../fakes/livekit.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type Account, bootStack, eventually, type TestStack } from '../kit/stack.js';
import { createVoiceAgent, type VoiceAgentFixture } from '../kit/voice.js';

let t: TestStack;
let lk: LiveKitDouble;
let fake: FakeOpenAI;
let owner: Account;
let other: Account;
let agent: VoiceAgentFixture;

const db = () => t.stack.kernel.database.prisma;
const key = () => `retry-${randomUUID()}`;

beforeAll(async () => {
  [lk, fake] = await Promise.all([startLiveKitDouble(), startFakeOpenAI({ apiKey: 'sk-test' })]);
  const sip = new SipClient(lk.url, lk.apiKey, lk.apiSecret);
  const trunk = (await sip.createSipOutboundTrunk('default', 'sip.example.com', ['+15550001000'])).sipTrunkId;
  t = await bootStack({
    ...lk.env,
    LIVEKIT_SIP_OUTBOUND_TRUNK_ID: trunk,
    VOICE_AGENT_JOIN_TIMEOUT_MS: '600000',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_MAX_RETRIES: '0',
  });
  [owner, other] = await Promise.all([t.register(), t.register()]);
  agent = await createVoiceAgent(t, owner);
});

afterAll(async () => {
  await t?.close();
  await Promise.all([lk?.close(), fake?.close()]);
});

function post(path: string, account: Account | null, body: unknown, idempotencyKey?: string) {
  return t.rest<Record<string, unknown>>('POST', path, {
    ...(account ? { token: account.accessToken } : {}),
    body,
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
  });
}

const keyLocs = (body: unknown) =>
  ((body as { details?: { loc: unknown[] }[] }).details ?? []).map((d) => d.loc.join('.'));

describe('Idempotency-Key on REST', () => {
  it('a sign-up retried with its key answers the first 201 again and creates one account', async () => {
    const k = key();
    const email = `retry-${randomUUID()}@example.com`;
    const body = { email, password: 'Correct-Horse-Battery-9', tenant_name: 'Retry Co', accept_terms: true };
    const first = await post('/api/v1/auth/register', null, body, k);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await post('/api/v1/auth/register', null, body, k);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await db().user.count({ where: { email } })).toBe(1);
    // Without the store the same request is a repeat: the address is taken.
    expect((await post('/api/v1/auth/register', null, body, key())).status).toBe(409);
    // The same key with another request is refused, and creates nothing.
    const changed = await post('/api/v1/auth/register', null, { ...body, email: `x-${email}` }, k);
    expect(changed.status).toBe(422);
    expect(changed.body).toMatchObject({ success: false, error: 'ValidationError' });
    expect(keyLocs(changed.body)).toEqual(['header.Idempotency-Key']);
    expect(await db().user.count({ where: { email: `x-${email}` } })).toBe(0);
  });

  it('a chat turn retried with its key answers the first reply without asking the model or storing a message again', async () => {
    const conversation = `idem-${randomUUID()}`;
    const body = { message: 'Say hello', conversation_id: conversation };
    const k = key();
    fake.script({ text: 'Hello there.' });
    const first = await post('/api/v1/chat', owner, body, k);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.response).toBe('Hello there.');
    await eventually(() => fake.open === 0);
    const modelRequests = fake.chatRequests().length;
    const messages = await db().conversationMessage.count({ where: { tenantId: owner.tenantId } });

    const again = await post('/api/v1/chat', owner, body, k);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(fake.chatRequests().length).toBe(modelRequests);
    expect(await db().conversationMessage.count({ where: { tenantId: owner.tenantId } })).toBe(messages);

    // Another tenant's caller with the same key and body gets its own turn, never this one's answer.
    fake.script({ text: 'Hello from elsewhere.' });
    const theirs = await post('/api/v1/chat', other, body, k);
    expect(theirs.status).toBe(200);
    expect(theirs.body.response).toBe('Hello from elsewhere.');
  });

  it('a retry while the first turn still runs answers 409, and the first answer is kept once it ends', async () => {
    const body = { message: 'Take your time', conversation_id: `slow-${randomUUID()}` };
    const k = key();
    fake.script({ text: 'Done, slowly.', delayMs: 800 });
    const first = post('/api/v1/chat', owner, body, k);
    await eventually(() => fake.open > 0 || fake.chatRequests().length > 0);
    const during = await post('/api/v1/chat', owner, body, k);
    expect(during.status).toBe(409);
    expect(during.body).toMatchObject({ success: false, error: 'Conflict' });
    expect(String(during.body.message)).toMatch(/Idempotency-Key/);
    expect((await first).status).toBe(200);
    const after = await post('/api/v1/chat', owner, body, k);
    expect(after.body).toEqual((await first).body);
  });

  it('a refused first request is not kept: its retry runs again', async () => {
    const body = { message: 'Try twice', conversation_id: `fail-${randomUUID()}` };
    const k = key();
    fake.script({ status: 500 });
    const failed = await post('/api/v1/chat', owner, body, k);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    fake.script({ text: 'Second time lucky.' });
    const retried = await post('/api/v1/chat', owner, body, k);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.response).toBe('Second time lucky.');
  });

  it('a call start retried with its key answers the first start and dials once', async () => {
    const calls = `/api/tenants/${owner.tenantId}/calls`;
    const k = key();
    const create = { agent_id: agent.agentId, to_number: '+15550100200' };
    const created = await post(calls, owner, create, k);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const createdAgain = await post(calls, owner, create, k);
    expect(createdAgain.body).toEqual(created.body);
    expect(await db().voiceCall.count({ where: { tenantId: owner.tenantId } })).toBe(1);

    const startKey = key();
    const started = await post(`${calls}/${created.body.id}/start`, owner, {}, startKey);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    await eventually(() => lk.callsTo('CreateSIPParticipant').length === 1, 8000);
    const again = await post(`${calls}/${created.body.id}/start`, owner, {}, startKey);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(started.body);
    // Without the key the call is no longer startable: the retry above did not run.
    expect((await post(`${calls}/${created.body.id}/start`, owner, {})).status).toBe(409);
    await new Promise((r) => setTimeout(r, 300));
    expect(lk.callsTo('CreateRoom').length).toBe(1);
    expect(lk.callsTo('CreateDispatch').length).toBe(1);
    expect(lk.callsTo('CreateSIPParticipant').length).toBe(1);
  });

  it('an upload retried with its key answers the first file and stores one; another file under the key is refused', async () => {
    const upload = (bytes: string, k: string) => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'text/plain' }), 'notes.txt');
      return fetch(`${t.url}/api/tenants/${owner.tenantId}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.accessToken}`, 'idempotency-key': k },
        body: form,
      });
    };
    const count = () => db().knowledgeFile.count({ where: { tenantId: owner.tenantId } });
    const before = await count();
    const k = key();
    const first = await upload('the same bytes', k);
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    const again = await upload('the same bytes', k);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(firstBody);
    expect(await count()).toBe(before + 1);
    const otherBytes = await upload('other bytes', k);
    expect(otherBytes.status).toBe(422);
    expect(await count()).toBe(before + 1);
  });

  it('an answer is kept 24 hours: past that the key runs again', async () => {
    const agents = `/api/tenants/${owner.tenantId}/agents`;
    const k = key();
    const name = `kept-${randomUUID().slice(0, 8)}`;
    const body = { key: name, display_name: name };
    const first = await post(agents, owner, body, k);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const kept = await db().idempotentRequest.findMany({
      where: { tenantId: owner.tenantId, status: 'done' },
    });
    const row = kept.find((r) => r.createdAt.getTime() >= Date.now() - 5000 && r.response !== null);
    expect(row).toBeDefined();
    const hours = ((row?.expiresAt.getTime() ?? 0) - (row?.createdAt.getTime() ?? 0)) / 3_600_000;
    expect(hours).toBeCloseTo(24, 1);
    // The stored answer is sealed: neither the key nor the answer's text is in the row.
    expect(JSON.stringify(row)).not.toContain(k);
    expect(JSON.stringify(row)).not.toContain(name);

    await db().idempotentRequest.updateMany({
      where: { tenantId: owner.tenantId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const afterExpiry = await post(agents, owner, body, k);
    expect(afterExpiry.status).toBe(409); // ran again: the key `name` is taken now
  });

  it('a malformed key is a 422 naming the header, and nothing is written', async () => {
    const agents = `/api/tenants/${owner.tenantId}/agents`;
    const before = await db().agent.count({ where: { tenantId: owner.tenantId } });
    for (const bad of ['', 'has space', 'x'.repeat(256), 'caf\u00e9']) {
      const name = `bad-${randomUUID().slice(0, 8)}`;
      const res = await post(agents, owner, { key: name, display_name: name }, bad);
      expect(res.status, bad).toBe(422);
      expect(keyLocs(res.body)).toEqual(['header.Idempotency-Key']);
    }
    expect(await db().agent.count({ where: { tenantId: owner.tenantId } })).toBe(before);
  });
});

describe('Idempotency-Key on GraphQL', () => {
  async function gql(query: string, variables: Record<string, unknown>, idempotencyKey: string) {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${owner.accessToken}`,
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, { id: string }> | null; errors?: unknown[] };
  }
  const create = `mutation($t: ID!, $in: CreateAgentInput!) { createAgent(tenantId: $t, input: $in) { id key } }`;

  it('a mutation retried with its key header answers the first result; another request under it is refused', async () => {
    const k = key();
    const name = `gql-${randomUUID().slice(0, 8)}`;
    const variables = { t: owner.tenantId, in: { key: name, displayName: name } };
    const first = await gql(create, variables, k);
    expect(first.errors).toBeUndefined();
    const again = await gql(create, variables, k);
    expect(again).toEqual(first);
    expect(await db().agent.count({ where: { tenantId: owner.tenantId, key: name } })).toBe(1);
    const changed = await gql(create, { ...variables, in: { ...variables.in, displayName: 'Other' } }, k);
    expect(changed.errors).toMatchObject([{ extensions: { code: 'VALIDATION_FAILED' } }]);
  });
});

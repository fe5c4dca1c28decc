import { randomUUID } from 'node:crypto';
import { SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../subgraphs/kernel/context.js';
import { dialHandler } from '../../../subgraphs/voice/calls/dial.job.js';
import type { VoiceCtx } from '../../../subgraphs/voice/db.js';
import { type LiveKitDouble, startLiveKitDouble } from '../../fakes/livekit.js';
import { readSse } from '../../kit/sse.js';
import { type Account, bootStack, eventually, type TestStack, take } from '../../kit/stack.js';
import { createVoiceAgent, type VoiceAgentFixture } from '../../kit/voice.js';
import { apiKey, locs } from '../agents/artifacts-kit.js';
import { addMember, type Member } from '../tenancy-kit.js';

/**
 * Outbound calls against the LiveKit double: create (no LiveKit), start (trunk check, room, agent
 * dispatch, then one background dial), the SIP outcomes, stop, the events, and tenancy.
 */

interface CallBody {
  id: string;
  tenant_id: string;
  direction: string;
  agent_id: string;
  agent_key: string;
  to_number: string;
  from_number: string | null;
  trunk_id: string | null;
  room_name: string;
  conversation_id: string;
  status: string;
  status_reason: string | null;
  sip_status_code: number | null;
  sip_status: string | null;
  sip_call_id: string | null;
  participant_identity: string | null;
  dispatch_id: string | null;
  created_by_user_id: string | null;
  api_key_id: string | null;
  dial_started_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
}

let lk: LiveKitDouble;
let t: TestStack;
let owner: Account;
let other: Account;
let member: Member;
let agent: VoiceAgentFixture;
let defaultTrunk: string;
let ownTrunk: string;
let foreignTrunk: string;

const calls = (a: Account) => `/api/tenants/${a.tenantId}/calls`;

async function create(body: Record<string, unknown>, token = owner.accessToken, account = owner) {
  return t.rest<CallBody>('POST', calls(account), { token, body });
}

async function created(body: Record<string, unknown> = {}): Promise<CallBody> {
  const res = await create({ agent_id: agent.agentId, to_number: '+15550100200', ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function start(call: CallBody, token = owner.accessToken, account = owner) {
  return t.rest<CallBody>('POST', `${calls(account)}/${call.id}/start`, { token });
}

async function get(call: CallBody, token = owner.accessToken, account = owner) {
  return t.rest<CallBody>('GET', `${calls(account)}/${call.id}`, { token });
}

/** Polls the call until `done` holds (the dial runs in the background). */
async function until(call: CallBody, done: (c: CallBody) => boolean, timeoutMs = 8000): Promise<CallBody> {
  const startAt = Date.now();
  for (;;) {
    const res = await get(call);
    if (done(res.body)) {
      return res.body;
    }
    if (Date.now() - startAt > timeoutMs) {
      throw new Error(`call never got there: ${JSON.stringify(res.body)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const final = (c: CallBody) => c.status === 'ended' || c.status === 'failed';
// The owner's calls only: a PostgreSQL shared by test files running at once holds others' rows.
const callRows = () =>
  t.stack.kernel.database.prisma.voiceCall.count({ where: { tenantId: owner.tenantId } });

beforeAll(async () => {
  lk = await startLiveKitDouble();
  const sip = new SipClient(lk.url, lk.apiKey, lk.apiSecret);
  // SIP_TRANSPORT_AUTO (0): the SDK does not re-export the enum.
  const owned = (tenantId: string) => ({ transport: 0, metadata: JSON.stringify({ tenant_id: tenantId }) });
  defaultTrunk = (await sip.createSipOutboundTrunk('default', 'sip.example.com', ['+15550001000']))
    .sipTrunkId;
  t = await bootStack({
    ...lk.env,
    LIVEKIT_SIP_OUTBOUND_TRUNK_ID: defaultTrunk,
    VOICE_AGENT_JOIN_TIMEOUT_MS: '600000',
    VOICE_RINGING_TIMEOUT_SECONDS: '20',
    VOICE_MAX_CALL_DURATION_SECONDS: '900',
  });
  lk.webhookUrls.push(`${t.url}/api/webhooks/livekit`);
  [owner, other] = await Promise.all([t.register(), t.register()]);
  [agent, member] = await Promise.all([createVoiceAgent(t, owner), addMember(t, owner, 'member')]);
  ownTrunk = (
    await sip.createSipOutboundTrunk('mine', 'sip.example.com', ['+15550001001'], owned(owner.tenantId))
  ).sipTrunkId;
  foreignTrunk = (
    await sip.createSipOutboundTrunk('theirs', 'sip.example.com', ['+15550001002'], owned(other.tenantId))
  ).sipTrunkId;
});

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

describe('outbound calls', () => {
  it('creates a call without LiveKit, starts it: room, agent dispatch, then the SIP dial; created → dialing → active', async () => {
    const before = lk.calls.length;
    const call = await created({ from_number: '+15550001000' });
    expect(call).toMatchObject({
      tenant_id: owner.tenantId,
      direction: 'outbound',
      agent_id: agent.agentId,
      agent_key: agent.key,
      to_number: '+15550100200',
      from_number: '+15550001000',
      trunk_id: defaultTrunk,
      room_name: `t-${owner.tenantId}-call-${call.id}`,
      status: 'created',
      created_by_user_id: owner.userId,
      api_key_id: null,
    });
    expect(call.conversation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lk.calls.length).toBe(before); // creating asks LiveKit nothing

    const started = await start(call);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.status).toBe('dialing');
    expect(started.body.dispatch_id).toMatch(/^AD_/);
    expect(started.body.dial_started_at).not.toBeNull();

    const active = await until(call, (c) => c.status === 'active' && c.sip_call_id !== null);
    expect(active.sip_call_id).toMatch(/^SCL_/);
    expect(active.participant_identity).toBe(`callee-${call.id}`);
    expect(active.answered_at).not.toBeNull();

    const mine = lk.calls.slice(before).map((c) => c.method);
    expect(mine.slice(0, 3)).toEqual(['ListSIPOutboundTrunk', 'CreateRoom', 'CreateDispatch']);
    expect(mine.indexOf('CreateDispatch')).toBeLessThan(mine.indexOf('CreateSIPParticipant'));
    const room = lk.callsTo('CreateRoom').at(-1)?.body;
    expect(room).toMatchObject({ name: call.room_name });
    expect(JSON.parse(String(room?.metadata))).toMatchObject({ tenant_id: owner.tenantId, call_id: call.id });
    const dispatch = lk.callsTo('CreateDispatch').at(-1)?.body;
    expect(dispatch).toMatchObject({ agentName: 'agent-platform-voice', room: call.room_name });
    expect(JSON.parse(String(dispatch?.metadata))).toMatchObject({
      kind: 'call',
      tenant_id: owner.tenantId,
      agent_id: agent.agentId,
      agent_key: agent.key,
      binding_id: agent.bindingId,
      call_id: call.id,
    });
    const dial = lk.callsTo('CreateSIPParticipant');
    expect(dial).toHaveLength(1);
    expect(dial[0]?.body).toMatchObject({
      sipTrunkId: defaultTrunk,
      sipCallTo: '+15550100200',
      sipNumber: '+15550001000',
      roomName: call.room_name,
      participantIdentity: `callee-${call.id}`,
      waitUntilAnswered: true,
      ringingTimeout: '20s',
      maxCallDuration: '900s',
    });
    expect(dial[0]?.body.playDialtone).toBeUndefined(); // false is proto3's default: omitted
    expect(JSON.parse(String(dial[0]?.body.participantMetadata))).toEqual({
      tenant_id: owner.tenantId,
      call_id: call.id,
    });

    // The states over SSE, replayed from the start.
    const res = await fetch(`${t.url}${calls(owner)}/${call.id}/events?after=0`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(res.status).toBe(200);
    const frames = await readSse<{ kind: string; status: string; call_id: string }>(res, {
      stop: (f) => f.data.kind === 'voice.call.active',
    });
    expect(frames.filter((f) => f.data.kind.startsWith('voice.call.')).map((f) => f.data.kind)).toEqual([
      'voice.call.created',
      'voice.call.dialing',
      'voice.call.active',
    ]);
    expect(frames.every((f) => f.data.call_id === call.id)).toBe(true);

    // Started once: a second start is a 409 and dials nothing more.
    const again = await start(call);
    expect(again.status).toBe(409);
    expect(lk.callsTo('CreateSIPParticipant')).toHaveLength(1);

    // Stop: the room is deleted, the call ends `stopped`; stopping again is a 409.
    const stopped = await t.rest<CallBody>('POST', `${calls(owner)}/${call.id}/stop`, {
      token: owner.accessToken,
    });
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'ended', status_reason: 'stopped' });
    expect(stopped.body.ended_at).not.toBeNull();
    expect(lk.callsTo('DeleteRoom').at(-1)?.body).toEqual({ room: call.room_name });
    expect(lk.state.rooms.has(call.room_name)).toBe(false);
    await lk.webhooksIdle();
    expect((await get(call)).body).toMatchObject({ status: 'ended', status_reason: 'stopped' });
    const twice = await t.rest('POST', `${calls(owner)}/${call.id}/stop`, { token: owner.accessToken });
    expect(twice.status).toBe(409);
  });

  it.each([
    ['+15550100486', 486, 'Busy Here', 'busy'],
    ['+15550100480', 480, 'Temporarily Unavailable', 'no_answer'],
    ['+15550100603', 603, 'Decline', 'rejected'],
  ])(
    'a dial to %s failing with SIP %i fails the call (%s) and deletes its room',
    async (to, code, phrase, reason) => {
      lk.sipOutcomes.set(to, { sipStatusCode: code, sipStatus: phrase });
      const call = await created({ to_number: to, trunk_id: ownTrunk });
      expect((await start(call)).status).toBe(200);
      const failed = await until(call, final);
      expect(failed).toMatchObject({
        status: 'failed',
        status_reason: reason,
        sip_status_code: code,
        sip_status: phrase,
        trunk_id: ownTrunk,
      });
      // The dial job commits `failed`, then deletes the room: a fast enough read sees the first only.
      await eventually(() => !lk.state.rooms.has(call.room_name));
      expect(lk.callsTo('DeleteRoom').map((c) => c.body.room)).toContain(call.room_name);

      // The same over the GraphQL subscription, replayed from `0`.
      // Participant events (the agent joining and leaving) interleave by timing: keep the states.
      const client = t.ws(owner.accessToken);
      const stored = await t.stack.kernel.database.prisma.event.count({
        where: { stream: `voice-call:${call.id}` },
      });
      const events = await take(
        client.iterate<{ callEvents: { kind: string; reason: string | null; sipStatusCode: number | null } }>(
          {
            query: `subscription($id: ID!) { callEvents(callId: $id, after: "0") { kind reason sipStatusCode } }`,
            variables: { id: call.id },
          },
        ),
        stored,
      );
      await client.dispose();
      const states = events.map((e) => e.data?.callEvents).filter((e) => e?.kind.startsWith('voice.call.'));
      expect(states).toEqual([
        { kind: 'voice.call.created', reason: null, sipStatusCode: null },
        { kind: 'voice.call.dialing', reason: null, sipStatusCode: null },
        { kind: 'voice.call.failed', reason, sipStatusCode: code },
      ]);
    },
  );

  it('refuses an unknown trunk and another tenant’s trunk at start with a 422, the call still created and no room made', async () => {
    for (const trunk of ['ST_doesnotexist', foreignTrunk]) {
      const call = await created({ trunk_id: trunk });
      const rooms = lk.callsTo('CreateRoom').length;
      const res = await start(call);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(JSON.stringify(res.body)).toContain('No such trunk');
      expect(JSON.stringify(res.body)).not.toContain(other.tenantId);
      expect(lk.callsTo('CreateRoom')).toHaveLength(rooms);
      expect((await get(call)).body.status).toBe('created');
    }
  });

  it('answers 502 when LiveKit fails the dispatch: the call stays created and the room is gone', async () => {
    const call = await created();
    lk.failNext('CreateDispatch', { status: 500, code: 'internal', msg: 'dispatch store down' });
    const res = await start(call);
    // The deleted room's room_finished webhook is delivered and leaves the created call be.
    await lk.webhooksIdle();
    expect(lk.webhooksSent.some((w) => w.event === 'room_finished' && w.body.includes(call.room_name))).toBe(
      true,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(502);
    expect((await get(call)).body).toMatchObject({
      status: 'created',
      dispatch_id: null,
      dial_started_at: null,
    });
    expect(lk.callsTo('DeleteRoom').at(-1)?.body).toEqual({ room: call.room_name });
    expect(lk.state.rooms.has(call.room_name)).toBe(false);
    // It can be started afterwards.
    expect((await start(call)).status).toBe(200);
    await until(call, (c) => c.status === 'active');
  });

  it('stops a created call without LiveKit', async () => {
    const call = await created();
    const deletes = lk.callsTo('DeleteRoom').length;
    const res = await t.rest<CallBody>('POST', `${calls(owner)}/${call.id}/stop`, {
      token: owner.accessToken,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ended', status_reason: 'stopped' });
    expect(lk.callsTo('DeleteRoom')).toHaveLength(deletes);
    expect((await start(call)).status).toBe(409);
  });

  it('never dials twice: a dial job run again after a crash fails the call dial_interrupted', async () => {
    const call = await created();
    const db = t.stack.kernel.database.prisma;
    // What a crashed first run leaves: the call dialing, its dial claimed.
    await db.voiceCall.update({
      where: { id: call.id },
      data: { status: 'dialing', dialStartedAt: new Date(), participantIdentity: `callee-${call.id}` },
    });
    const dials = lk.callsTo('CreateSIPParticipant').length;
    const ctx = (await createContext(t.stack.kernel, {})) as unknown as VoiceCtx;
    await dialHandler(ctx).run(
      {
        id: randomUUID(),
        queue: 'voice.dial',
        payload: { callId: call.id },
        tenantId: owner.tenantId,
        attempts: 2,
        maxAttempts: 1,
      },
      new AbortController().signal,
    );
    expect(lk.callsTo('CreateSIPParticipant')).toHaveLength(dials);
    expect((await get(call)).body).toMatchObject({ status: 'failed', status_reason: 'dial_interrupted' });
  });

  it('validates numbers with a 422 at the field and writes nothing', async () => {
    const rows = await callRows();
    const bad = await create({ agent_id: agent.agentId, to_number: '5550100200', from_number: '+0123' });
    expect(bad.status).toBe(422);
    expect(locs(bad.body)).toEqual(
      expect.arrayContaining([
        ['body', 'to_number'],
        ['body', 'from_number'],
      ]),
    );
    const long = await create({ agent_id: agent.agentId, to_number: '+1555010020012345' });
    expect(long.status).toBe(422);
    const noAgent = await create({ agent_id: randomUUID(), to_number: '+15550100200' });
    expect(noAgent.status).toBe(422);
    expect(locs(noAgent.body)).toEqual([['body', 'agent_id']]);
    expect(await callRows()).toBe(rows);
  });

  it('locks another tenant out: 404 on get, start, stop and events; nothing in its list', async () => {
    const call = await created();
    const token = other.accessToken;
    expect((await get(call, token, other)).status).toBe(404);
    expect((await get(call, token)).status).toBe(404); // the owner's path with another tenant's token
    expect((await start(call, token, other)).status).toBe(404);
    const stop = await t.rest('POST', `${calls(other)}/${call.id}/stop`, { token });
    expect(stop.status).toBe(404);
    const events = await fetch(`${t.url}${calls(other)}/${call.id}/events?after=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(events.status).toBe(404);
    await events.body?.cancel();
    const list = await t.rest<{ items: CallBody[] }>('GET', calls(other), { token });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    // The owner's list has it, filters work.
    const mine = await t.rest<{ items: CallBody[] }>(
      'GET',
      `${calls(owner)}?status=created&direction=outbound`,
      {
        token: owner.accessToken,
      },
    );
    expect(mine.body.items.map((c) => c.id)).toContain(call.id);
    expect(mine.body.items.every((c) => c.status === 'created')).toBe(true);
    const failed = await t.rest<{ items: CallBody[] }>('GET', `${calls(owner)}?status=failed`, {
      token: owner.accessToken,
    });
    expect(failed.body.items.map((c) => c.id)).not.toContain(call.id);
  });

  it('calls:write is for admins: a member gets 403 on writes but reads; an API key with calls:write places calls', async () => {
    const call = await created();
    const denied = await create({ agent_id: agent.agentId, to_number: '+15550100200' }, member.token);
    expect(denied.status).toBe(403);
    expect((await start(call, member.token)).status).toBe(403);
    expect((await get(call, member.token)).status).toBe(200);

    const key = await apiKey(t, owner.tenantId, owner.accessToken, [
      'calls:write',
      'voice:read',
      'agents:read',
    ]);
    const byKey = await create({ agent_id: agent.agentId, to_number: '+15550100300' }, key);
    expect(byKey.status, JSON.stringify(byKey.body)).toBe(201);
    expect(byKey.body.api_key_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(byKey.body.created_by_user_id).toBeNull();
    expect((await start(byKey.body, key)).status).toBe(200);

    const readOnly = await apiKey(t, owner.tenantId, owner.accessToken, ['voice:read', 'agents:read']);
    expect((await create({ agent_id: agent.agentId, to_number: '+15550100300' }, readOnly)).status).toBe(403);
  });
});

describe('outbound calls without LiveKit', () => {
  let bare: TestStack;
  let account: Account;
  let bareAgent: VoiceAgentFixture;

  beforeAll(async () => {
    bare = await bootStack({ VOICE_AGENT_JOIN_TIMEOUT_MS: '600000' });
    account = await bare.register();
    bareAgent = await createVoiceAgent(bare, account);
  });
  afterAll(async () => {
    await bare?.close();
  });

  it('creates and lists calls, but start answers 503 naming the settings; no trunk at all is a 422', async () => {
    const base = `/api/tenants/${account.tenantId}/calls`;
    const noTrunk = await bare.rest('POST', base, {
      token: account.accessToken,
      body: { agent_id: bareAgent.agentId, to_number: '+15550100200' },
    });
    expect(noTrunk.status).toBe(422);
    expect(locs(noTrunk.body)).toEqual([['body', 'trunk_id']]);
    expect(JSON.stringify(noTrunk.body)).toContain('LIVEKIT_SIP_OUTBOUND_TRUNK_ID');

    const made = await bare.rest<CallBody>('POST', base, {
      token: account.accessToken,
      body: { agent_id: bareAgent.agentId, to_number: '+15550100200', trunk_id: 'ST_any' },
    });
    expect(made.status).toBe(201);
    const started = await bare.rest<{ message: string }>('POST', `${base}/${made.body.id}/start`, {
      token: account.accessToken,
    });
    expect(started.status).toBe(503);
    expect(started.body.message).toContain('LIVEKIT_URL');
    const list = await bare.rest<{ items: CallBody[] }>('GET', base, { token: account.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.items.map((c) => c.status)).toEqual(['created']);
    const stopped = await bare.rest<CallBody>('POST', `${base}/${made.body.id}/stop`, {
      token: account.accessToken,
    });
    expect(stopped.body.status).toBe('ended');
  });
});

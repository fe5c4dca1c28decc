import { randomUUID } from 'node:crypto';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../subgraphs/kernel/context.js';
import type { VoiceCtx } from '../../../subgraphs/voice/db.js';
import { callRoom, sessionRoom } from '../../../subgraphs/voice/rooms.js';
import { sweepAgentTimeouts } from '../../../subgraphs/voice/timeouts.js';
import { type LiveKitDouble, ParticipantInfo_Kind, startLiveKitDouble } from '../../fakes/livekit.js';
import { type Account, bootStack, type TestStack, take } from '../../kit/stack.js';

/**
 * LiveKit webhooks against the Twirp double's signed deliveries: verified (forged, tampered and
 * unsigned ones are 401 and change nothing), applied once per event id, moving sessions and calls
 * through their states with durable events; and the agent-join timeout.
 */

let lk: LiveKitDouble;
let t: TestStack;
let owner: Account;

const db = () => t.stack.kernel.database.prisma;

async function insertSession(account: Account, status = 'starting', startedAt = new Date()) {
  const id = randomUUID();
  return db().voiceSession.create({
    data: {
      id,
      tenantId: account.tenantId,
      agentId: randomUUID(),
      agentKey: 'front-desk',
      roomName: sessionRoom(account.tenantId, id),
      conversationId: randomUUID(),
      status,
      startedAt,
    },
  });
}

async function insertCall(account: Account, status = 'dialing', dialStartedAt = new Date()) {
  const id = randomUUID();
  return db().voiceCall.create({
    data: {
      id,
      tenantId: account.tenantId,
      agentId: randomUUID(),
      agentKey: 'front-desk',
      toNumber: '+15550100200',
      roomName: callRoom(account.tenantId, id),
      conversationId: randomUUID(),
      status,
      dialStartedAt,
    },
  });
}

const joined = (room: string, identity: string, kind: string, attributes: Record<string, string> = {}) => ({
  event: 'participant_joined',
  room: { name: room },
  participant: { identity, kind, attributes },
});

async function eventKinds(stream: string): Promise<string[]> {
  const rows = await db().event.findMany({ where: { stream }, orderBy: { seq: 'asc' } });
  return rows.map((r) => r.type);
}

beforeAll(async () => {
  lk = await startLiveKitDouble();
  t = await bootStack({ ...lk.env, VOICE_AGENT_JOIN_TIMEOUT_MS: '600000' });
  lk.webhookUrls.push(`${t.url}/api/webhooks/livekit`);
  owner = await t.register();
});

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

describe('POST /api/webhooks/livekit', () => {
  it('applies a signed participant_joined of the agent: the session becomes active, with its events', async () => {
    const session = await insertSession(owner);
    const answer = await lk.sendWebhook(joined(session.roomName, 'agent-AJ_1', 'AGENT'));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ event: 'participant_joined', applied: true });
    const after = await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(after.status).toBe('active');
    expect(after.agentJoinedAt).not.toBeNull();
    expect(await eventKinds(`voice-session:${session.id}`)).toEqual([
      'voice.participant.joined',
      'voice.session.active',
    ]);

    // The same events over the GraphQL subscription, replayed from the start.
    const client = t.ws(owner.accessToken);
    const events = await take(
      client.iterate<{
        voiceSessionEvents: { kind: string; status: string; participantKind: string | null };
      }>({
        query: `subscription($id: ID!) { voiceSessionEvents(sessionId: $id, after: "0") { kind status participantKind } }`,
        variables: { id: session.id },
      }),
      2,
    );
    expect(events.map((e) => e.data?.voiceSessionEvents)).toEqual([
      { kind: 'voice.participant.joined', status: 'starting', participantKind: 'AGENT' },
      { kind: 'voice.session.active', status: 'active', participantKind: null },
    ]);
  });

  it('refuses forged, tampered and unsigned webhooks with 401 and changes nothing', async () => {
    const session = await insertSession(owner);
    const event = joined(session.roomName, 'agent-AJ_2', 'AGENT');
    const forged = await lk.sendWebhook(event, { secret: 'not-the-secret-not-the-secret-not-the' });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toMatchObject({ success: false, error: 'Unauthorized' });
    const tampered = await lk.sendWebhook(event, { tamper: true });
    expect(tampered.status).toBe(401);
    const unsigned = await fetch(`${t.url}/api/webhooks/livekit`, {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json' },
      body: JSON.stringify({ ...event, id: 'EV_unsigned' }),
    });
    expect(unsigned.status).toBe(401);
    // A platform bearer token is not a LiveKit signature either.
    const bearer = await fetch(`${t.url}/api/webhooks/livekit`, {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json', authorization: `Bearer ${owner.accessToken}` },
      body: JSON.stringify({ ...event, id: 'EV_bearer' }),
    });
    expect(bearer.status).toBe(401);
    const after = await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(after.status).toBe('starting');
    expect(await eventKinds(`voice-session:${session.id}`)).toEqual([]);
    expect(await db().voiceWebhookEvent.count({ where: { roomName: session.roomName } })).toBe(0);
  });

  it('applies each event id once: a redelivery is acknowledged and changes nothing', async () => {
    const call = await insertCall(owner);
    const id = `EV_${randomUUID()}`;
    const first = await lk.sendWebhook(
      joined(call.roomName, 'callee', 'SIP', { 'sip.callStatus': 'ringing' }),
      {
        id,
      },
    );
    expect(JSON.parse(first.body)).toEqual({ event: 'participant_joined', applied: true });
    const again = await lk.resend(id);
    expect(again.status).toBe(200);
    const sent = lk.webhooksSent.filter((w) => w.id === id);
    expect(sent).toHaveLength(2);
    expect(await eventKinds(`voice-call:${call.id}`)).toEqual([
      'voice.participant.joined',
      'voice.call.ringing',
    ]);
    expect((await db().voiceCall.findUniqueOrThrow({ where: { id: call.id } })).status).toBe('ringing');
  });

  it('moves a call ringing → active → ended (hangup) from the SIP participant, and the agent join is noted', async () => {
    const call = await insertCall(owner);
    await lk.sendWebhook(joined(call.roomName, `agent-AJ_${call.id}`, 'AGENT'));
    await lk.sendWebhook(joined(call.roomName, 'callee', 'SIP', { 'sip.callStatus': 'ringing' }));
    await lk.sendWebhook(joined(call.roomName, 'callee', 'SIP', { 'sip.callStatus': 'active' }));
    let row = await db().voiceCall.findUniqueOrThrow({ where: { id: call.id } });
    expect(row.status).toBe('active');
    expect(row.agentJoinedAt).not.toBeNull();
    expect(row.answeredAt).not.toBeNull();
    await lk.sendWebhook({
      event: 'participant_left',
      room: { name: call.roomName },
      participant: { identity: 'callee', kind: 'SIP' },
    });
    row = await db().voiceCall.findUniqueOrThrow({ where: { id: call.id } });
    expect(row.status).toBe('ended');
    expect(row.statusReason).toBe('hangup');
    expect(await eventKinds(`voice-call:${call.id}`)).toEqual([
      'voice.participant.joined',
      'voice.participant.joined',
      'voice.call.ringing',
      'voice.participant.joined',
      'voice.call.active',
      'voice.participant.left',
      'voice.call.ended',
    ]);
    // A late ringing after the end changes nothing.
    await lk.sendWebhook(joined(call.roomName, 'callee', 'SIP', { 'sip.callStatus': 'ringing' }));
    expect((await db().voiceCall.findUniqueOrThrow({ where: { id: call.id } })).status).toBe('ended');
  });

  it('ends a session when LiveKit says its room finished; rooms that are not ours are acknowledged and ignored', async () => {
    const session = await insertSession(owner, 'active');
    const finished = await lk.sendWebhook({ event: 'room_finished', room: { name: session.roomName } });
    expect(finished.status).toBe(200);
    const row = await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.status).toBe('ended');
    expect(row.statusReason).toBe('room_finished');
    expect(row.endedAt).not.toBeNull();
    const stranger = await lk.sendWebhook({ event: 'room_started', room: { name: 'somebody-elses-room' } });
    expect(JSON.parse(stranger.body)).toEqual({ event: 'room_started', applied: true });
  });

  it('uses the webhooks LiveKit itself sends for room changes (double state changes reach the receiver)', async () => {
    const session = await insertSession(owner);
    const rooms = new RoomServiceClient(lk.url, lk.apiKey, lk.apiSecret);
    await rooms.createRoom({ name: session.roomName });
    await lk.addParticipant(session.roomName, { identity: 'agent-AJ_live', kind: 'AGENT' });
    await lk.webhooksIdle();
    expect(
      lk.webhooksSent.filter((w) => w.body.includes(session.roomName)).every((w) => w.status === 200),
    ).toBe(true);
    expect((await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } })).status).toBe('active');
    expect(ParticipantInfo_Kind.AGENT).toBe(4);
  });

  it('is 503 naming the settings when LiveKit is not configured', async () => {
    const bare = await bootStack({});
    try {
      const res = await bare.rest<{ message: string }>('POST', '/api/webhooks/livekit', {
        body: { event: 'room_started' },
        headers: { authorization: 'x.y.z' },
      });
      expect(res.status).toBe(503);
      expect(res.body.message).toContain('LIVEKIT_URL');
    } finally {
      await bare.close();
    }
  });
});

describe('the agent-join timeout', () => {
  it('fails a session or an outbound call whose agent never joined, and deletes their rooms', async () => {
    const old = new Date(Date.now() - 3_600_000);
    const session = await insertSession(owner, 'starting', old);
    const call = await insertCall(owner, 'ringing', old);
    const fresh = await insertSession(owner, 'starting', new Date());
    const rooms = new RoomServiceClient(lk.url, lk.apiKey, lk.apiSecret);
    await rooms.createRoom({ name: session.roomName });
    await rooms.createRoom({ name: call.roomName });
    const ctx = (await createContext(t.stack.kernel, {})) as unknown as VoiceCtx;
    expect(await sweepAgentTimeouts(ctx)).toBeGreaterThanOrEqual(2);
    const s = await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } });
    const c = await db().voiceCall.findUniqueOrThrow({ where: { id: call.id } });
    expect([s.status, s.statusReason]).toEqual(['failed', 'agent_not_joined']);
    expect([c.status, c.statusReason]).toEqual(['failed', 'agent_not_joined']);
    expect((await db().voiceSession.findUniqueOrThrow({ where: { id: fresh.id } })).status).toBe('starting');
    expect(lk.state.rooms.has(session.roomName)).toBe(false);
    expect(lk.state.rooms.has(call.roomName)).toBe(false);
    expect(await eventKinds(`voice-call:${call.id}`)).toEqual(['voice.call.failed']);
    // A second sweep finds nothing more to fail for these.
    await sweepAgentTimeouts(ctx);
    expect(await eventKinds(`voice-call:${call.id}`)).toEqual(['voice.call.failed']);
  });

  it('runs by itself in the process serving voice', async () => {
    const quick = await bootStack({ ...lk.env, VOICE_AGENT_JOIN_TIMEOUT_MS: '300', DATABASE_URL: '' });
    try {
      const account = await quick.register();
      const id = randomUUID();
      await quick.stack.kernel.database.prisma.voiceSession.create({
        data: {
          id,
          tenantId: account.tenantId,
          agentId: randomUUID(),
          agentKey: 'k',
          roomName: sessionRoom(account.tenantId, id),
          conversationId: randomUUID(),
          status: 'starting',
          startedAt: new Date(),
        },
      });
      const deadline = Date.now() + 5000;
      let status = 'starting';
      while (status === 'starting' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await quick.stack.kernel.database.prisma.voiceSession.findUniqueOrThrow({ where: { id } }))
          .status;
      }
      expect(status).toBe('failed');
    } finally {
      await quick.close();
    }
  });
});

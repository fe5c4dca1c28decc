/**
 * Drives the LiveKit test double with the real livekit-server-sdk 2.19.2 clients, so what the
 * platform's voice tests rely on (wire format, auth, errors, webhooks) is checked against the SDK.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AccessToken,
  AgentDispatchClient,
  RoomAgentDispatch,
  RoomConfiguration,
  RoomServiceClient,
  ServerError,
  SipCallError,
  SipClient,
  WebhookReceiver,
} from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LiveKitDouble, ParticipantInfo_Kind, signWebhook, startLiveKitDouble } from './livekit.js';

interface Received {
  body: string;
  auth: string;
  contentType: string;
}

let lk: LiveKitDouble;
let receiver: Server;
let received: Received[] = [];
let receiverUrl = '';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        auth: req.headers.authorization ?? '',
        contentType: req.headers['content-type'] ?? '',
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(async () => {
  received = [];
  lk = await startLiveKitDouble();
  lk.webhookUrls.push(receiverUrl);
});

afterEach(async () => {
  await lk.close();
});

const rooms = () => new RoomServiceClient(lk.url, lk.apiKey, lk.apiSecret);
const sip = () => new SipClient(lk.url, lk.apiKey, lk.apiSecret);
const agents = () => new AgentDispatchClient(lk.url, lk.apiKey, lk.apiSecret);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('LiveKit double', () => {
  it('refuses a token signed with the wrong secret (401, bare text like LiveKit) and a missing grant (unauthenticated)', async () => {
    const bad = new RoomServiceClient(lk.url, lk.apiKey, 'not-the-secret-not-the-secret-not-the');
    const err = await rejection(bad.listRooms());
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(401);
    expect((err as ServerError).message).toContain('invalid authorization token');

    // A valid token without roomList: Twirp unauthenticated, as LiveKit's twirpAuthError.
    const token = await new AccessToken(lk.apiKey, lk.apiSecret, { ttl: '1m' }).toJwt();
    const noGrant = new RoomServiceClient(lk.url, undefined, undefined, { token });
    const denied = (await rejection(noGrant.listRooms())) as ServerError;
    expect(denied.status).toBe(401);
    expect(denied.code).toBe('unauthenticated');
    expect(denied.message).toBe('permissions denied');
    expect(lk.callsTo('ListRooms')).toHaveLength(2);
    expect(lk.callsTo('ListRooms')[0]?.grants).toEqual({});
  });

  it('creates, lists and deletes a room, with room_started and room_finished webhooks', async () => {
    const created = await rooms().createRoom({ name: 'r1', emptyTimeout: 30 });
    expect(created.sid).toMatch(/^RM_/);
    expect(created.emptyTimeout).toBe(30);
    expect(created.creationTime).toBeGreaterThan(0n);
    const again = await rooms().createRoom({ name: 'r1' });
    expect(again.sid).toBe(created.sid);
    expect((await rooms().listRooms()).map((r) => r.name)).toEqual(['r1']);
    expect(await rooms().listRooms(['other'])).toEqual([]);
    expect(lk.callsTo('CreateRoom')[0]?.grants).toMatchObject({
      video: { roomCreate: true },
      iss: lk.apiKey,
    });

    await rooms().deleteRoom('r1');
    expect(await rooms().listRooms()).toEqual([]);
    const missing = (await rejection(rooms().deleteRoom('r1'))) as ServerError;
    expect([missing.status, missing.code, missing.message]).toEqual([
      404,
      'not_found',
      'requested room does not exist',
    ]);

    await lk.webhooksIdle();
    expect(lk.webhooksSent.map((w) => [w.event, w.status])).toEqual([
      ['room_started', 200],
      ['room_finished', 200],
    ]);
  });

  it('fulfils createDispatch with an AGENT participant', async () => {
    const dispatch = await agents().createDispatch('r2', 'voice-agent', { metadata: '{"tenant":"t1"}' });
    expect(dispatch.id).toMatch(/^AD_/);
    expect(dispatch.room).toBe('r2');
    expect(dispatch.metadata).toBe('{"tenant":"t1"}');
    expect(dispatch.state?.createdAt).toBeGreaterThan(0n);
    await lk.webhooksIdle();

    const participants = await rooms().listParticipants('r2');
    expect(participants).toHaveLength(1);
    expect(participants[0]?.kind).toBe(ParticipantInfo_Kind.AGENT);
    expect(participants[0]?.identity).toMatch(/^agent-AJ_/);
    expect((await agents().listDispatch('r2')).map((d) => d.id)).toEqual([dispatch.id]);
    expect(await agents().getDispatch('AD_nope', 'r2')).toBeUndefined();
    expect(lk.webhooksSent.map((w) => w.event)).toEqual(['room_started', 'participant_joined']);

    // Agents in CreateRoom dispatch too; with fulfilDispatches off nobody joins.
    lk.fulfilDispatches = false;
    await rooms().createRoom({ name: 'r3', agents: [new RoomAgentDispatch({ agentName: 'a1' })] });
    await lk.webhooksIdle();
    expect((await agents().listDispatch('r3')).map((d) => d.agentName)).toEqual(['a1']);
    expect(await rooms().listParticipants('r3')).toEqual([]);

    // A client joining with a token whose roomConfig names an agent creates the room and its dispatch.
    const at = new AccessToken(lk.apiKey, lk.apiSecret, { identity: 'u1', ttl: '1m' });
    at.addGrant({ roomJoin: true, room: 'r4' });
    at.roomConfig = new RoomConfiguration({
      agents: [new RoomAgentDispatch({ agentName: 'a2', metadata: 'm' })],
    });
    const joined = await lk.joinWithToken(await at.toJwt());
    expect(joined.identity).toBe('u1');
    expect((await agents().listDispatch('r4')).map((d) => [d.agentName, d.metadata])).toEqual([['a2', 'm']]);
  });

  it('dials with createSipParticipant and raises SipCallError for a scripted 486', async () => {
    const trunk = await sip().createSipOutboundTrunk('out', 'sip.example.com', ['+15550100']);
    expect(trunk.sipTrunkId).toMatch(/^ST_/);
    lk.answerDelayMs = 20;
    const info = await sip().createSipParticipant(trunk.sipTrunkId, '+15551234', 'call-1', {
      participantIdentity: 'callee',
      waitUntilAnswered: true,
      ringingTimeout: 5,
    });
    expect(info.sipCallId).toMatch(/^SCL_/);
    expect(info.participantIdentity).toBe('callee');
    expect(lk.callsTo('CreateSIPParticipant')[0]?.body).toMatchObject({
      ringingTimeout: '5s',
      waitUntilAnswered: true,
    });
    const p = await rooms().getParticipant('call-1', 'callee');
    expect(p.kind).toBe(ParticipantInfo_Kind.SIP);
    expect(p.attributes).toMatchObject({
      'sip.callStatus': 'active',
      'sip.callID': info.sipCallId,
      'sip.phoneNumber': '+15551234',
      'sip.trunkID': trunk.sipTrunkId,
    });

    lk.sipOutcomes.set('+1555000486', { sipStatusCode: 486, sipStatus: 'Busy Here' });
    const err = await rejection(sip().createSipParticipant(trunk.sipTrunkId, '+1555000486', 'call-2'));
    expect(err).toBeInstanceOf(SipCallError);
    expect((err as SipCallError).sipStatusCode).toBe(486);
    expect((err as SipCallError).sipStatus).toBe('Busy Here');
    expect((await rooms().listRooms(['call-2'])).length).toBe(0);

    const unknown = (await rejection(
      sip().createSipParticipant('ST_missing', '+15551234', 'r'),
    )) as ServerError;
    expect([unknown.status, unknown.code, unknown.message]).toEqual([
      404,
      'not_found',
      'requested sip trunk does not exist',
    ]);
  });

  it('refuses conflicting dispatch rules and inbound trunks with LiveKit messages', async () => {
    const inbound = await sip().createSipInboundTrunk('in', ['+15550100']);
    const conflictTrunk = (await rejection(sip().createSipInboundTrunk('in2', ['+15550100']))) as ServerError;
    expect(conflictTrunk.code).toBe('invalid_argument');
    expect(conflictTrunk.message).toBe(
      `Conflicting inbound SIP Trunks: "<new>" and "${inbound.sipTrunkId}", using the same number(s) ["+15550100"] without AllowedNumbers set`,
    );

    const rule = await sip().createSipDispatchRule(
      { type: 'individual', roomPrefix: 'call' },
      { name: 'main', trunkIds: [inbound.sipTrunkId] },
    );
    expect(rule.sipDispatchRuleId).toMatch(/^SDR_/);
    const err = (await rejection(
      sip().createSipDispatchRule({ type: 'direct', roomName: 'x' }, { trunkIds: [inbound.sipTrunkId] }),
    )) as ServerError;
    expect([err.status, err.code]).toEqual([400, 'invalid_argument']);
    expect(err.message).toBe(
      `Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule "${rule.sipDispatchRuleId}" "main"`,
    );
    // A different PIN, or a wildcard rule (no trunks), does not collide with a trunk-specific rule.
    await sip().createSipDispatchRule(
      { type: 'direct', roomName: 'x', pin: '1234' },
      { trunkIds: [inbound.sipTrunkId] },
    );
    await sip().createSipDispatchRule({ type: 'direct', roomName: 'y' });

    const updated = await sip().updateSipDispatchRuleFields(rule.sipDispatchRuleId, {
      name: 'renamed',
      metadata: 'm',
    });
    expect([updated.name, updated.metadata, updated.trunkIds]).toEqual([
      'renamed',
      'm',
      [inbound.sipTrunkId],
    ]);
    expect((await sip().listSipDispatchRule()).length).toBe(3);
  });

  it('routes a simulated inbound call through trunk and rule, dispatching roomConfig agents', async () => {
    const inbound = await sip().createSipInboundTrunk('in', ['+15550100']);
    const rule = await sip().createSipDispatchRule(
      { type: 'individual', roomPrefix: 'call' },
      {
        trunkIds: [inbound.sipTrunkId],
        roomConfig: new RoomConfiguration({
          agents: [new RoomAgentDispatch({ agentName: 'a1', metadata: 'md' })],
        }),
      },
    );
    expect(await lk.simulateInboundCall({ toNumber: '+15559999', fromNumber: '+15557777' })).toBeNull();
    const call = await lk.simulateInboundCall({ toNumber: '+15550100', fromNumber: '+15557777' });
    expect(call?.dispatchRuleId).toBe(rule.sipDispatchRuleId);
    expect(call?.room).toMatch(/^call_\+15557777_[0-9A-Za-z]{12}$/);
    await lk.webhooksIdle();
    const room = call?.room ?? '';
    const kinds = (await rooms().listParticipants(room)).map((p) => [
      p.identity.replace(/AJ_\w+/, 'AJ'),
      p.kind,
    ]);
    expect(kinds).toEqual([
      ['sip_+15557777', ParticipantInfo_Kind.SIP],
      ['agent-AJ', ParticipantInfo_Kind.AGENT],
    ]);
    expect((await agents().listDispatch(room)).map((d) => [d.agentName, d.metadata])).toEqual([['a1', 'md']]);
  });

  it('signs webhooks the way WebhookReceiver verifies, and forged or tampered ones fail', async () => {
    await lk.addParticipant('w1', { identity: 'u1', attributes: { a: 'b' } });
    await lk.removeParticipant('w1', 'u1');
    await lk.webhooksIdle();
    expect(received.map((r) => r.contentType)).toEqual(Array(3).fill('application/webhook+json'));
    const verify = new WebhookReceiver(lk.apiKey, lk.apiSecret);
    const events = await Promise.all(received.map((r) => verify.receive(r.body, r.auth)));
    expect(events.map((e) => e.event)).toEqual(['room_started', 'participant_joined', 'participant_left']);
    expect(events[1]?.participant?.attributes).toEqual({ a: 'b' });
    expect(events[1]?.room?.name).toBe('w1');
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    expect(received[0]?.auth.startsWith('Bearer ')).toBe(false);

    // A replay carries the same id and body, freshly signed.
    const first = lk.webhooksSent[0];
    expect((await lk.resend(first?.id ?? '')).status).toBe(200);
    const replay = received[3];
    expect(replay?.body).toBe(first?.body);
    expect((await verify.receive(replay?.body ?? '', replay?.auth)).id).toBe(first?.id);

    await lk.sendWebhook(
      { event: 'room_started', room: { name: 'forged' } },
      { secret: 'wrong-secret-wrong-secret-wrong-secret' },
    );
    const forged = received[4];
    await expect(verify.receive(forged?.body ?? '', forged?.auth)).rejects.toThrow();
    await lk.sendWebhook({ event: 'room_started', room: { name: 't' } }, { tamper: true });
    const tampered = received[5];
    await expect(verify.receive(tampered?.body ?? '', tampered?.auth)).rejects.toThrow(/sha256/);

    const body = '{"event":"room_finished"}';
    expect((await verify.receive(body, await signWebhook(body, lk.apiKey, lk.apiSecret))).event).toBe(
      'room_finished',
    );
  });

  it('answers bad routes, injected faults and a hung call like a Twirp server would', async () => {
    const get = await fetch(`${lk.url}/twirp/livekit.RoomService/ListRooms`);
    expect(get.status).toBe(404);
    expect(get.headers.get('content-type')).toBe('application/json');
    expect(((await get.json()) as { code: string }).code).toBe('bad_route');
    const unknown = await fetch(`${lk.url}/twirp/livekit.RoomService/Nope`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);

    lk.failNext('ListRooms', { status: 503, code: 'unavailable', msg: 'try later' });
    const err = (await rejection(rooms().listRooms())) as ServerError;
    expect([err.status, err.code, err.message]).toEqual([503, 'unavailable', 'try later']);
    expect(await rooms().listRooms()).toEqual([]);

    lk.failNext('ListRooms', { hang: true });
    const slow = new RoomServiceClient(lk.url, lk.apiKey, lk.apiSecret, { requestTimeout: 0.2 });
    expect(await rejection(slow.listRooms())).toBeInstanceOf(Error);
  });
});

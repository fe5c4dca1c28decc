import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDispatchMetadata, prepareVoiceJob } from '../../../voice-worker/job.js';
import { PlatformClient } from '../../../voice-worker/platform-client.js';
import { TranscriptWriter } from '../../../voice-worker/transcript.js';
import { type LiveKitDouble, startLiveKitDouble } from '../../fakes/livekit.js';
import { readSse } from '../../kit/sse.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';
import { createVoiceAgent, runNumbers, type VoiceAgentFixture } from '../../kit/voice.js';

const INBOUND_NUMBER = runNumbers()('2424');

/**
 * The whole voice story through public faces only: a session made and started over REST, the
 * dispatch LiveKit received handed to the worker's own code (claim, run plan, transcript), the
 * user's token, and every state and transcript line over SSE; an inbound number routed by a mapping
 * to the worker, which turns the call into an inbound call of the tenant.
 */

let lk: LiveKitDouble;
let t: TestStack;
let owner: Account;
let agent: VoiceAgentFixture;
let platform: PlatformClient;

beforeAll(async () => {
  lk = await startLiveKitDouble();
  lk.fulfilDispatches = false; // the worker below is the agent
  t = await bootStack({ ...lk.env, VOICE_AGENT_JOIN_TIMEOUT_MS: '600000' });
  lk.webhookUrls.push(`${t.url}/api/webhooks/livekit`);
  owner = await t.register();
  agent = await createVoiceAgent(t, owner, { template: 'You are the harbour master. Answer briefly.' });
  platform = new PlatformClient({ url: t.url });
});

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

const auth = () => ({ token: owner.accessToken });
const tenantPath = (path: string) => `/api/tenants/${owner.tenantId}${path}`;

describe('a voice session, start to transcript', () => {
  it('is started over REST, run by the worker from the dispatch LiveKit got, and streamed over SSE', async () => {
    const created = await t.rest<{ id: string; room_name: string; conversation_id: string }>(
      'POST',
      tenantPath('/sessions'),
      { ...auth(), body: { agent_id: agent.agentId } },
    );
    expect(created.status).toBe(201);
    const session = created.body;
    const started = await t.rest<{ status: string }>(
      'POST',
      tenantPath(`/sessions/${session.id}/start`),
      auth(),
    );
    expect(started.body.status).toBe('starting');

    // What LiveKit would hand the worker: the dispatch of the session's room.
    const dispatch = [...lk.state.dispatches.values()].find((d) => d.room === session.room_name);
    expect(dispatch).toBeDefined();
    const metadata = parseDispatchMetadata(dispatch?.metadata);
    expect(metadata).toMatchObject({ kind: 'session', session_id: session.id, agent_key: agent.key });

    const prepared = await prepareVoiceJob(metadata, session.room_name, {
      platform,
      apiKey: lk.apiKey,
      apiSecret: lk.apiSecret,
    });
    expect(prepared.job.conversationId).toBe(session.conversation_id);
    expect(prepared.agent.instructions).toContain('harbour master');
    expect(
      (await t.rest<{ status: string }>('GET', tenantPath(`/sessions/${session.id}`), auth())).body.status,
    ).toBe('active');

    // A person joins with the attach token; LiveKit accepts it for that room.
    const attach = await t.rest<{ token: string; room: string }>(
      'POST',
      tenantPath(`/sessions/${session.id}/attach`),
      { ...auth(), body: { name: 'Ada' } },
    );
    expect(attach.status).toBe(200);
    const joined = await lk.joinWithToken(attach.body.token);
    expect(joined.identity).toMatch(/^user-/);

    const writer = new TranscriptWriter({
      send: (lines) => prepared.run.recordTranscript(lines),
      intervalMs: 20,
    });
    writer.add('user', 'When does the tide turn?');
    writer.add('assistant', 'At half past four.');
    await writer.close();

    const stopped = await t.rest<{ status: string }>(
      'POST',
      tenantPath(`/sessions/${session.id}/stop`),
      auth(),
    );
    expect(stopped.body.status).toBe('ended');
    await lk.webhooksIdle();

    const res = await fetch(`${t.url}${tenantPath(`/sessions/${session.id}/events`)}`, {
      headers: { authorization: `Bearer ${owner.accessToken}`, 'last-event-id': '0' },
    });
    expect(res.status).toBe(200);
    const frames = await readSse<{ kind: string; status: string; role?: string; text?: string }>(res, {
      stop: (f) => f.data.kind === 'voice.session.ended',
    });
    const kinds = frames.map((f) => f.data.kind);
    expect(kinds.filter((k) => k.startsWith('voice.session.'))).toEqual([
      'voice.session.created',
      'voice.session.starting',
      'voice.session.active',
      'voice.session.ended',
    ]);
    expect(
      frames.filter((f) => f.data.kind === 'voice.transcript').map((f) => [f.data.role, f.data.text]),
    ).toEqual([
      ['user', 'When does the tide turn?'],
      ['assistant', 'At half past four.'],
    ]);
    expect(kinds).toContain('voice.participant.joined');
    // Cursors strictly increase: a client resumes from any of them.
    const ids = frames.map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const messages = await t.gql<{ conversationMessages: { items: { role: string; content: string }[] } }>(
      `query($id: ID!) { conversationMessages(conversationId: $id, direction: ASC) { items { role content } } }`,
      { id: session.conversation_id },
      owner.accessToken,
    );
    expect(messages.data?.conversationMessages.items.map((m) => m.content)).toEqual([
      'When does the tide turn?',
      'At half past four.',
    ]);
  });
});

describe('an inbound number', () => {
  it('routes a call to the agent: the worker claims it and it becomes an inbound call of the tenant', async () => {
    const mapping = await t.rest<{ id: string }>('POST', tenantPath('/inbound-mappings'), {
      ...auth(),
      body: { phone_number: INBOUND_NUMBER, agent_id: agent.agentId },
    });
    expect(mapping.status, JSON.stringify(mapping.body)).toBe(201);
    const routed = await lk.simulateInboundCall({ toNumber: INBOUND_NUMBER, fromNumber: '+15550999123' });
    expect(routed).not.toBeNull();
    const room = routed?.room ?? '';
    const dispatch = [...lk.state.dispatches.values()].find((d) => d.room === room);
    const metadata = parseDispatchMetadata(dispatch?.metadata);
    expect(metadata).toMatchObject({ kind: 'inbound', mapping_id: mapping.body.id });
    const prepared = await prepareVoiceJob(metadata, room, {
      platform,
      apiKey: lk.apiKey,
      apiSecret: lk.apiSecret,
      callerNumber: '+15550999123',
    });
    expect(prepared.job).toMatchObject({ kind: 'CALL', direction: 'inbound' });

    const calls = await t.rest<{ items: Record<string, unknown>[] }>(
      'GET',
      tenantPath('/calls?direction=inbound'),
      auth(),
    );
    expect(calls.status).toBe(200);
    expect(calls.body.items).toEqual([
      expect.objectContaining({
        id: prepared.job.callId,
        direction: 'inbound',
        status: 'active',
        to_number: INBOUND_NUMBER,
        from_number: '+15550999123',
        mapping_id: mapping.body.id,
        room_name: room,
      }),
    ]);
    // The caller hangs up: LiveKit's participant_left ends the call.
    const caller = lk.state.participants(room).find((p) => p.identity.startsWith('sip'));
    expect(caller).toBeDefined();
    await lk.removeParticipant(room, caller?.identity ?? '');
    await lk.webhooksIdle();
    const ended = await t.rest<{ status: string; status_reason: string }>(
      'GET',
      tenantPath(`/calls/${prepared.job.callId}`),
      auth(),
    );
    expect([ended.body.status, ended.body.status_reason]).toEqual(['ended', 'hangup']);
  });
});

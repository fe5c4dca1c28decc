import { randomUUID } from 'node:crypto';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionRoom } from '../../../subgraphs/voice/rooms.js';
import { type LiveKitDouble, startLiveKitDouble } from '../../fakes/livekit.js';
import { readSse } from '../../kit/sse.js';
import { type Account, bootStack, type RestResult, type TestStack } from '../../kit/stack.js';
import { createVoiceAgent, type VoiceAgentFixture } from '../../kit/voice.js';
import { apiKey, locs } from '../agents/artifacts-kit.js';
import { addMember, type Member, shapeProblems } from '../tenancy-kit.js';

/**
 * Voice sessions over REST against the LiveKit double: the journey (create → start → the agent
 * joins → attach → stop → delete) with the requests the SDK sent, the state changes and their
 * durable events; LiveKit failing (502, nothing half-made) and unreachable (503); no LiveKit at all
 * (reads and creates work, room operations 503); roles, API keys, bad input and a second tenant.
 */

const AGENT_NAME = 'voice-sessions-test-agent';

interface Session {
  id: string;
  tenant_id: string;
  agent_id: string;
  agent_key: string;
  room_name: string;
  conversation_id: string;
  status: string;
  status_reason: string | null;
  dispatch_id: string | null;
  metadata: Record<string, unknown>;
  created_by_user_id: string | null;
  api_key_id: string | null;
  started_at: string | null;
  agent_joined_at: string | null;
  ended_at: string | null;
}

interface JoinToken {
  token: string;
  url: string;
  room: string;
  identity: string;
  expires_at: string;
}

interface Envelope {
  success: false;
  error: string;
  message: string;
  details: { loc: unknown[]; msg: string }[] | null;
}

let lk: LiveKitDouble;
let t: TestStack;
let owner: Account;
let other: Account;
let viewer: Member;
let member: Member;
let agent: VoiceAgentFixture;

/** The OpenAPI path of a request path. */
const template = (path: string) =>
  (path.split('?')[0] as string)
    .replace(/^\/api\/tenants\/[^/]+\//, '/api/tenants/{tenant_id}/')
    .replace(/\/sessions\/[^/]+/, '/sessions/{session_id}');

/** A REST call whose answer (success or error envelope) is checked against the published OpenAPI. */
async function api<T = Session>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<RestResult<T>> {
  const res = await t.rest<T>(method, path, { token, ...(body !== undefined ? { body } : {}) });
  if (res.status !== 204) {
    const op = template(path);
    expect(shapeProblems(method, op, res.status, res.body), `${method} ${op} ${res.status}`).toEqual([]);
  }
  return res;
}

const base = (account: Account | string) =>
  `/api/tenants/${typeof account === 'string' ? account : account.tenantId}/sessions`;

async function create(account: Account, token = account.accessToken, body?: unknown): Promise<Session> {
  const res = await api('POST', base(account), token, body ?? { agent_id: agent.agentId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function get(account: Account, id: string): Promise<Session> {
  const res = await api('GET', `${base(account)}/${id}`, account.accessToken);
  expect(res.status).toBe(200);
  return res.body;
}

async function start(account: Account, id: string): Promise<Session> {
  const res = await api('POST', `${base(account)}/${id}/start`, account.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const sessionCount = (tenantId: string) =>
  t.stack.kernel.database.prisma.voiceSession.count({ where: { tenantId } });

/** The request bodies the double received for a method and room. */
const sent = (method: string, room: string) =>
  lk
    .callsTo(method)
    .filter((c) => c.body.name === room || c.body.room === room)
    .map((c) => c.body);

beforeAll(async () => {
  lk = await startLiveKitDouble();
  // The agent joins when a test says so (addParticipant), not by itself.
  lk.fulfilDispatches = false;
  t = await bootStack({
    ...lk.env,
    LIVEKIT_AGENT_NAME: AGENT_NAME,
    VOICE_AGENT_JOIN_TIMEOUT_MS: '600000',
  });
  lk.webhookUrls.push(`${t.url}/api/webhooks/livekit`);
  [owner, other] = await Promise.all([t.register(), t.register()]);
  [viewer, member, agent] = await Promise.all([
    addMember(t, owner, 'viewer'),
    addMember(t, owner, 'member'),
    createVoiceAgent(t, owner),
  ]);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

describe('voice sessions against the LiveKit double', () => {
  it('create → start → agent joins → attach → stop → delete, with the SDK’s requests and every event', async () => {
    const session = await create(owner, owner.accessToken, {
      agent_id: agent.agentId,
      metadata: { topic: 'billing', priority: 2 },
    });
    expect(session).toMatchObject({
      tenant_id: owner.tenantId,
      agent_id: agent.agentId,
      agent_key: agent.key,
      room_name: `t-${owner.tenantId}-session-${session.id}`,
      status: 'created',
      status_reason: null,
      dispatch_id: null,
      metadata: { topic: 'billing', priority: 2 },
      created_by_user_id: owner.userId,
      api_key_id: null,
      started_at: null,
    });
    expect(session.conversation_id).toMatch(/^[0-9a-f-]{36}$/);
    const room = session.room_name;
    expect(room).toBe(sessionRoom(owner.tenantId, session.id));
    expect(sent('CreateRoom', room)).toEqual([]); // creating needs no LiveKit

    const list = await api<{ items: Session[]; next_cursor: string | null }>(
      'GET',
      `${base(owner)}?status=created`,
      owner.accessToken,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((s) => s.id)).toContain(session.id);

    const started = await start(owner, session.id);
    expect(started.status).toBe('starting');
    expect(started.dispatch_id).toMatch(/^AD_/);
    expect(started.started_at).not.toBeNull();

    const [createRoom] = sent('CreateRoom', room);
    expect(createRoom).toMatchObject({ name: room, emptyTimeout: 300, departureTimeout: 30 });
    expect(JSON.parse(String(createRoom?.metadata))).toEqual({
      tenant_id: owner.tenantId,
      session_id: session.id,
    });
    const dispatches = sent('CreateDispatch', room);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]).toMatchObject({ agentName: AGENT_NAME, room });
    expect(JSON.parse(String(dispatches[0]?.metadata))).toMatchObject({
      platform: 'agent-platform',
      kind: 'session',
      tenant_id: owner.tenantId,
      agent_id: agent.agentId,
      agent_key: agent.key,
      binding_id: agent.bindingId,
      session_id: session.id,
      voice: {
        language: 'en',
        stt: { provider: 'openai', model: 'gpt-4o-transcribe', language: 'en' },
        tts: { provider: 'openai', voice: 'alloy' },
      },
    });
    // The dispatch and the room exist in LiveKit: explicit dispatch, not the room's `agents`.
    expect(createRoom?.agents).toBeUndefined();
    expect(lk.state.dispatches.get(String(started.dispatch_id))?.room).toBe(room);

    // The agent joins: LiveKit's webhook makes the session active.
    await lk.addParticipant(room, { identity: 'agent-AJ_journey', kind: 'AGENT' });
    await lk.webhooksIdle();
    const active = await get(owner, session.id);
    expect(active.status).toBe('active');
    expect(active.agent_joined_at).not.toBeNull();

    const attached = await api<JoinToken>('POST', `${base(owner)}/${session.id}/attach`, owner.accessToken, {
      name: 'Ada',
    });
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({
      room,
      identity: `user-${owner.userId}`,
      url: lk.url.replace(/^http/, 'ws'),
    });
    const claims = await new TokenVerifier(lk.apiKey, lk.apiSecret).verify(attached.body.token);
    expect(claims.sub).toBe(`user-${owner.userId}`);
    expect(claims.name).toBe('Ada');
    expect(claims.video).toEqual({
      roomJoin: true,
      room,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    const ttl = Number(claims.exp) - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThan(3600 - 30);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(new Date(attached.body.expires_at).getTime()).toBe(Number(claims.exp) * 1000);
    // LiveKit accepts it: the person is in the agent's room.
    await lk.joinWithToken(attached.body.token);
    expect(lk.state.participants(room).map((p) => p.identity)).toEqual([
      'agent-AJ_journey',
      `user-${owner.userId}`,
    ]);

    const stopped = await api('POST', `${base(owner)}/${session.id}/stop`, owner.accessToken);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'ended', status_reason: 'stopped' });
    expect(stopped.body.ended_at).not.toBeNull();
    expect(sent('DeleteRoom', room)).toEqual([{ room }]);
    expect(lk.state.rooms.has(room)).toBe(false);
    await lk.webhooksIdle();
    // The room's own room_finished webhook comes after: it changes nothing.
    expect(await get(owner, session.id)).toMatchObject({ status: 'ended', status_reason: 'stopped' });

    // Every change an event, replayed from the start over SSE.
    const res = await fetch(`${t.url}${base(owner)}/${session.id}/events`, {
      headers: { authorization: `Bearer ${owner.accessToken}`, 'last-event-id': '0' },
    });
    expect(res.status).toBe(200);
    const frames = await readSse<{ kind: string; status: string; reason: string | null; session_id: string }>(
      res,
      { stop: (f) => f.data.kind === 'voice.session.ended', timeoutMs: 10_000 },
    );
    const changes = frames.filter((f) => f.data.kind.startsWith('voice.session.')).map((f) => f.data);
    expect(changes.map((c) => [c.kind, c.status, c.reason])).toEqual([
      ['voice.session.created', 'created', null],
      ['voice.session.starting', 'starting', null],
      ['voice.session.active', 'active', null],
      ['voice.session.ended', 'ended', 'stopped'],
    ]);
    expect(new Set(frames.map((f) => f.data.session_id))).toEqual(new Set([session.id]));
    expect(frames.map((f) => Number(f.id))).toEqual(
      [...frames.map((f) => Number(f.id))].sort((a, b) => a - b),
    );

    const stoppedAgain = await api<Envelope>('POST', `${base(owner)}/${session.id}/stop`, owner.accessToken);
    expect(stoppedAgain.status).toBe(409);
    expect(stoppedAgain.body.message).toContain('ended');
    const lateAttach = await api<Envelope>('POST', `${base(owner)}/${session.id}/attach`, owner.accessToken);
    expect(lateAttach.status).toBe(409);

    const deleted = await api('DELETE', `${base(owner)}/${session.id}`, owner.accessToken);
    expect(deleted.status).toBe(204);
    expect((await api('GET', `${base(owner)}/${session.id}`, owner.accessToken)).status).toBe(404);
    expect((await api('DELETE', `${base(owner)}/${session.id}`, owner.accessToken)).status).toBe(404);
  });

  it('answers 409 to a second start, naming the status; concurrent starts leave exactly one dispatch', async () => {
    const session = await create(owner);
    await start(owner, session.id);
    const again = await api<Envelope>('POST', `${base(owner)}/${session.id}/start`, owner.accessToken);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('starting');
    expect(sent('CreateDispatch', session.room_name)).toHaveLength(1);

    const raced = await create(owner);
    const answers = await Promise.all(
      [0, 1, 2].map(() => api<Envelope>('POST', `${base(owner)}/${raced.id}/start`, owner.accessToken)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    const live = [...lk.state.dispatches.values()].filter((d) => d.room === raced.room_name);
    expect(live).toHaveLength(1);
    expect((await get(owner, raced.id)).dispatch_id).toBe(live[0]?.id);
    expect(lk.state.rooms.has(raced.room_name)).toBe(true);
  });

  it('a failed dispatch is a 502: the session stays created and its room is deleted', async () => {
    const session = await create(owner);
    lk.failNext('CreateDispatch', { status: 500, code: 'internal', msg: 'boom' });
    const res = await api<Envelope>('POST', `${base(owner)}/${session.id}/start`, owner.accessToken);
    // The deleted room's room_finished webhook reaches the receiver and leaves the created session be.
    await lk.webhooksIdle();
    expect(
      lk.webhooksSent.some((w) => w.event === 'room_finished' && w.body.includes(session.room_name)),
    ).toBe(true);
    expect(res.status).toBe(502);
    expect(res.body.message).toContain('boom');
    expect(sent('CreateRoom', session.room_name)).toHaveLength(1);
    expect(sent('DeleteRoom', session.room_name)).toEqual([{ room: session.room_name }]);
    expect(lk.state.rooms.has(session.room_name)).toBe(false);
    expect(await get(owner, session.id)).toMatchObject({
      status: 'created',
      dispatch_id: null,
      started_at: null,
    });
    // And it can be started once LiveKit works again.
    expect((await start(owner, session.id)).status).toBe('starting');
  });

  it('an agent joining before the start commits still makes the session active', async () => {
    const session = await create(owner);
    // The double's own fulfilment: the AGENT joins on the next tick, its webhook racing the commit.
    lk.fulfilDispatches = true;
    try {
      const started = await start(owner, session.id);
      expect(['starting', 'active']).toContain(started.status);
      await lk.webhooksIdle();
      expect((await get(owner, session.id)).status).toBe('active');
    } finally {
      lk.fulfilDispatches = false;
    }
  });

  it('LiveKit refusing the room is mapped (400) and leaves the session created', async () => {
    const session = await create(owner);
    lk.failNext('CreateRoom', { status: 400, code: 'invalid_argument', msg: 'bad room' });
    const res = await api<Envelope>('POST', `${base(owner)}/${session.id}/start`, owner.accessToken);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('bad room');
    expect(sent('CreateDispatch', session.room_name)).toEqual([]);
    expect((await get(owner, session.id)).status).toBe('created');
  });

  it('stops a created session without LiveKit, and deletes a live one after deleting its room', async () => {
    const fresh = await create(owner);
    const stopped = await api('POST', `${base(owner)}/${fresh.id}/stop`, owner.accessToken);
    expect(stopped.body).toMatchObject({ status: 'ended', status_reason: 'stopped' });
    expect(sent('DeleteRoom', fresh.room_name)).toEqual([]);
    const notStarted = await api<Envelope>('POST', `${base(owner)}/${fresh.id}/start`, owner.accessToken);
    expect(notStarted.status).toBe(409);

    const live = await create(owner);
    await start(owner, live.id);
    const attachCreated = await create(owner);
    expect((await api('POST', `${base(owner)}/${attachCreated.id}/attach`, owner.accessToken)).status).toBe(
      409,
    );
    const res = await api('DELETE', `${base(owner)}/${live.id}`, owner.accessToken);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(sent('DeleteRoom', live.room_name)).toEqual([{ room: live.room_name }]);
    expect(lk.state.rooms.has(live.room_name)).toBe(false);
    expect((await api('GET', `${base(owner)}/${live.id}`, owner.accessToken)).status).toBe(404);

    // A room LiveKit already closed is no obstacle to stopping.
    const gone = await create(owner);
    await start(owner, gone.id);
    lk.failNext('DeleteRoom', { status: 404, code: 'not_found', msg: 'requested room does not exist' });
    const stop = await api('POST', `${base(owner)}/${gone.id}/stop`, owner.accessToken);
    expect(stop.status).toBe(200);
    expect(stop.body.status).toBe('ended');
  });

  it('locks a second tenant out: 404 on every operation and the events, nothing in its list', async () => {
    const session = await create(owner);
    await start(owner, session.id);
    const calls = lk.calls.length;
    const foreign = [
      ['GET', `${base(other)}/${session.id}`],
      ['POST', `${base(other)}/${session.id}/start`],
      ['POST', `${base(other)}/${session.id}/stop`],
      ['POST', `${base(other)}/${session.id}/attach`],
      ['DELETE', `${base(other)}/${session.id}`],
      // Naming the first tenant in the path is no way in either.
      ['GET', `${base(owner)}/${session.id}`],
      ['POST', `${base(owner)}/${session.id}/attach`],
      ['DELETE', `${base(owner)}/${session.id}`],
    ] as const;
    for (const [method, path] of foreign) {
      const res = await api<Envelope>(method, path, other.accessToken);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(session.room_name);
    }
    const events = await fetch(`${t.url}${base(other)}/${session.id}/events`, {
      headers: { authorization: `Bearer ${other.accessToken}` },
    });
    expect(events.status).toBe(404);
    await events.body?.cancel();
    const list = await api<{ items: Session[] }>('GET', base(other), other.accessToken);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    expect(lk.calls.length).toBe(calls); // nothing reached LiveKit
    expect(await get(owner, session.id)).toMatchObject({ status: 'starting' });
    // The other tenant cannot use the first tenant's agent either.
    const borrowed = await api<Envelope>('POST', base(other), other.accessToken, { agent_id: agent.agentId });
    expect(borrowed.status).toBe(422);
    expect(locs(borrowed.body)).toEqual([['body', 'agent_id']]);
  });

  it('refuses bad input with 422 at the field and changes nothing', async () => {
    const before = await sessionCount(owner.tenantId);
    const cases: [unknown, unknown[]][] = [
      [{ agent_id: randomUUID() }, ['body', 'agent_id']],
      [{ agent_id: 'not-a-uuid' }, ['body', 'agent_id']],
      [{ agent_id: agent.agentId, metadata: 'a string' }, ['body', 'metadata']],
      [{ agent_id: agent.agentId, metadata: [1, 2] }, ['body', 'metadata']],
      [{ agent_id: agent.agentId, metadata: { big: 'x'.repeat(17_000) } }, ['body', 'metadata']],
      [{}, ['body', 'agent_id']],
    ];
    for (const [body, loc] of cases) {
      const res = await api<Envelope>('POST', base(owner), owner.accessToken, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(locs(res.body)).toEqual([loc]);
    }
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/start'],
      ['POST', '/stop'],
      ['POST', '/attach'],
      ['DELETE', ''],
    ] as const) {
      const res = await api<Envelope>(method, `${base(owner)}/nope${suffix}`, owner.accessToken);
      expect(res.status, `${method} ${suffix}`).toBe(422);
      expect(locs(res.body)).toEqual([['path', 'session_id']]);
    }
    const live = await create(owner);
    await start(owner, live.id);
    for (const [body, loc] of [
      [{ identity: 'agent-impostor' }, ['body', 'identity']],
      [{ identity: 'SIP-caller' }, ['body', 'identity']],
      [{ identity: 'has space' }, ['body', 'identity']],
      [{ ttl_seconds: 10 }, ['body', 'ttl_seconds']],
      [{ ttl_seconds: 86_401 }, ['body', 'ttl_seconds']],
    ] as const) {
      const res = await api<Envelope>('POST', `${base(owner)}/${live.id}/attach`, owner.accessToken, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(locs(res.body)).toEqual([loc]);
    }
    const badPage = await api<Envelope>('GET', `${base(owner)}?limit=0`, owner.accessToken);
    expect(badPage.status).toBe(422);
    expect(await sessionCount(owner.tenantId)).toBe(before + 1);
  });

  it('roles and keys: a viewer reads but cannot create (403), a member can; an API key with voice:write starts and attaches', async () => {
    const denied = await api<Envelope>('POST', base(owner), viewer.token, { agent_id: agent.agentId });
    expect(denied.status).toBe(403);
    const mine = await create(owner, member.token);
    expect(mine.created_by_user_id).toBe(member.userId);
    expect((await api('GET', `${base(owner)}/${mine.id}`, viewer.token)).status).toBe(200);
    expect((await api('POST', `${base(owner)}/${mine.id}/start`, viewer.token)).status).toBe(403);
    expect((await api('POST', `${base(owner)}/${mine.id}/start`, member.token)).status).toBe(200);

    const key = await apiKey(t, owner.tenantId, owner.accessToken, [
      'voice:write',
      'voice:read',
      'agents:read',
    ]);
    const keyed = await create(owner, key);
    expect(keyed.created_by_user_id).toBeNull();
    expect(keyed.api_key_id).toMatch(/^[0-9a-f-]{36}$/);
    await api('POST', `${base(owner)}/${keyed.id}/start`, key);
    const token = await api<JoinToken>('POST', `${base(owner)}/${keyed.id}/attach`, key);
    expect(token.status).toBe(200);
    expect(token.body.identity).toBe(`key-${keyed.api_key_id}`);

    const readOnly = await apiKey(t, owner.tenantId, owner.accessToken, ['voice:read', 'agents:read']);
    expect((await api('POST', base(owner), readOnly, { agent_id: agent.agentId })).status).toBe(403);
    expect((await api('POST', `${base(owner)}/${keyed.id}/attach`, readOnly)).status).toBe(403);
  });

  it('pages the list newest first and filters by status', async () => {
    const made = [await create(owner), await create(owner), await create(owner)];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?status=created&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: RestResult<{ items: Session[]; next_cursor: string | null }> = await api(
        'GET',
        `${base(owner)}${query}`,
        owner.accessToken,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      expect(page.body.items.every((s) => s.status === 'created')).toBe(true);
      seen.push(...page.body.items.map((s) => s.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    const newestFirst = made.map((s) => s.id).reverse();
    expect(seen.filter((id) => newestFirst.includes(id))).toEqual(newestFirst);
    expect(new Set(seen).size).toBe(seen.length);
    const ended = await api<{ items: Session[] }>('GET', `${base(owner)}?status=ended`, owner.accessToken);
    expect(ended.body.items.every((s) => s.status === 'ended')).toBe(true);
  });

  it('the GraphQL face: createVoiceSession and voiceSession with enum statuses', async () => {
    const made = await t.gql<{ createVoiceSession: { id: string; status: string; roomName: string } }>(
      `mutation($tenantId: ID!, $input: CreateVoiceSessionInput!) {
        createVoiceSession(tenantId: $tenantId, input: $input) { id status roomName }
      }`,
      { tenantId: owner.tenantId, input: { agentId: agent.agentId } },
      owner.accessToken,
    );
    expect(made.errors).toBeUndefined();
    const id = String(made.data?.createVoiceSession.id);
    expect(made.data?.createVoiceSession).toMatchObject({
      status: 'CREATED',
      roomName: sessionRoom(owner.tenantId, id),
    });
    const read = await t.gql<{ voiceSessions: { items: { id: string }[] } }>(
      `query($tenantId: ID!) { voiceSessions(tenantId: $tenantId, status: CREATED, limit: 100) { items { id } } }`,
      { tenantId: owner.tenantId },
      owner.accessToken,
    );
    expect(read.data?.voiceSessions.items.map((s) => s.id)).toContain(id);
  });

  // Last: it closes the double.
  it('LiveKit unreachable is a 503 and the session stays created', async () => {
    const session = await create(owner);
    await lk.close();
    const res = await api<Envelope>('POST', `${base(owner)}/${session.id}/start`, owner.accessToken);
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/LiveKit is (unreachable|unavailable)/);
    expect((await get(owner, session.id)).status).toBe('created');
  });
});

describe('voice sessions without LiveKit', () => {
  let bare: TestStack;
  let account: Account;
  let bareAgent: VoiceAgentFixture;

  beforeAll(async () => {
    bare = await bootStack({ LIVEKIT_URL: '', LIVEKIT_API_KEY: '', LIVEKIT_API_SECRET: '' });
    account = await bare.register();
    bareAgent = await createVoiceAgent(bare, account);
  }, 60_000);

  afterAll(async () => {
    await bare?.close();
  });

  it('creates, lists, gets and stops a created session; room operations answer 503 naming the settings', async () => {
    const path = `/api/tenants/${account.tenantId}/sessions`;
    const call = <T = Session>(method: string, p: string, body?: unknown) =>
      bare.rest<T>(method, p, { token: account.accessToken, ...(body !== undefined ? { body } : {}) });
    const made = await call('POST', path, { agent_id: bareAgent.agentId });
    expect(made.status).toBe(201);
    const id = made.body.id;
    expect((await call<{ items: Session[] }>('GET', path)).body.items.map((s) => s.id)).toEqual([id]);
    expect((await call('GET', `${path}/${id}`)).status).toBe(200);

    const refused = await call<Envelope>('POST', `${path}/${id}/start`);
    expect(refused.status).toBe(503);
    expect(refused.body.message).toContain('LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
    expect((await call('GET', `${path}/${id}`)).body.status).toBe('created');

    // A session that is live (started while LiveKit was configured) cannot be joined, stopped or deleted now.
    await bare.stack.kernel.database.prisma.voiceSession.update({
      where: { id },
      data: { status: 'active', startedAt: new Date() },
    });
    for (const [method, suffix] of [
      ['POST', '/attach'],
      ['POST', '/stop'],
      ['DELETE', ''],
    ] as const) {
      const res = await call<Envelope>(method, `${path}/${id}${suffix}`);
      expect(res.status, `${method} ${suffix}`).toBe(503);
      expect(res.body.message).toContain('LIVEKIT_API_SECRET');
    }
    expect((await call('GET', `${path}/${id}`)).body.status).toBe('active');

    const other = await call('POST', path, { agent_id: bareAgent.agentId });
    const stopped = await call('POST', `${path}/${other.body.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'ended', status_reason: 'stopped' });
    expect((await call('DELETE', `${path}/${other.body.id}`)).status).toBe(204);
  });
});

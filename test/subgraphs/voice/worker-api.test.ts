import { randomUUID } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundRoomPrefix, sessionRoom } from '../../../subgraphs/voice/rooms.js';
import { prepareVoiceJob, workerToken } from '../../../voice-worker/job.js';
import { PlatformClient, type PlatformError, type RunClient } from '../../../voice-worker/platform-client.js';
import { TranscriptWriter } from '../../../voice-worker/transcript.js';
import { type LiveKitDouble, startLiveKitDouble } from '../../fakes/livekit.js';
import { ingest, upload } from '../../kit/knowledge.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';
import { createVoiceAgent, type VoiceAgentFixture } from '../../kit/voice.js';

/**
 * The voice worker's platform API against a real stack (LiveKit settings of the double; no media):
 * the LiveKit-signed claim of a job and the run token it gives, the run plan, tools and knowledge
 * search through the worker's own modules, the transcript into the conversation and the session's
 * event stream, and who is locked out of what.
 */

let lk: LiveKitDouble;
let t: TestStack;
let owner: Account;
let other: Account;
let agent: VoiceAgentFixture;
let platform: PlatformClient;

const CLAIM = `mutation ($token: String!, $room: String!, $caller: String) {
  claimVoiceAgentJob(workerToken: $token, room: $room, callerNumber: $caller) {
    kind tenantId agentId agentKey sessionId callId direction conversationId accessToken expiresAt } }`;
const APPEND = `mutation ($id: ID!, $input: AppendConversationMessagesInput!) {
  appendConversationMessages(conversationId: $id, input: $input) { conversationId created messageCount positions } }`;
const TRANSCRIPT = `mutation ($lines: [VoiceTranscriptLineInput!]!) {
  recordVoiceTranscript(lines: $lines) { recorded conversationId messageCount } }`;
const MESSAGES = `query ($id: ID!) { conversationMessages(conversationId: $id, direction: ASC) { items { role content } } }`;
const CONVERSATION = `query ($id: ID!) { conversation(conversationId: $id) { id agentEntrypoint messageCount lastMessagePreview user { id } } }`;

const db = () => t.stack.kernel.database.prisma;
const code = (res: { errors?: { extensions?: { code?: string } }[] }) => res.errors?.[0]?.extensions?.code;

async function builtinTool(account: Account, builtin: string): Promise<string> {
  const made = await t.rest<{ id: string }>('POST', `/api/tenants/${account.tenantId}/tools`, {
    token: account.accessToken,
    body: {
      name: `${builtin}_${randomUUID().slice(0, 6)}`,
      first_version: { kind: 'builtin', config: { name: builtin } },
    },
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const versions = await t.rest<{ items: { id: string }[] }>(
    'GET',
    `/api/tenants/${account.tenantId}/tools/${made.body.id}/versions`,
    { token: account.accessToken },
  );
  return versions.body.items[0]?.id as string;
}

async function startingSession(account: Account, fixture: VoiceAgentFixture, status = 'starting') {
  const id = randomUUID();
  return db().voiceSession.create({
    data: {
      id,
      tenantId: account.tenantId,
      agentId: fixture.agentId,
      agentKey: fixture.key,
      roomName: sessionRoom(account.tenantId, id),
      conversationId: randomUUID(),
      status,
      createdByUserId: account.userId,
      startedAt: new Date(),
    },
  });
}

/** The session's events from the start, as the owner reads them (graphql-ws through the gateway). */
async function sessionEvents(account: Account, sessionId: string, atLeast: number) {
  const client = t.ws(account.accessToken);
  const seen: { kind: string; role: string | null; text: string | null; status: string }[] = [];
  try {
    const iterator = client.iterate<{
      voiceSessionEvents: { kind: string; role: string | null; text: string | null; status: string };
    }>({
      query: `subscription ($id: ID!) { voiceSessionEvents(sessionId: $id, after: "0") { kind role text status } }`,
      variables: { id: sessionId },
    });
    const deadline = setTimeout(() => void iterator.return?.(), 3000);
    for await (const frame of iterator) {
      if (frame.data) {
        seen.push(frame.data.voiceSessionEvents);
      }
      if (seen.length >= atLeast) {
        break;
      }
    }
    clearTimeout(deadline);
  } finally {
    await client.dispose();
  }
  return seen;
}

beforeAll(async () => {
  lk = await startLiveKitDouble();
  t = await bootStack({ ...lk.env });
  platform = new PlatformClient({ url: t.url });
  [owner, other] = await Promise.all([t.register(), t.register()]);
  const tools = [await builtinTool(owner, 'current_time'), await builtinTool(owner, 'knowledge_search')];
  agent = await createVoiceAgent(t, owner, {
    template: 'You are the front desk of the lighthouse. Answer in one sentence.',
    toolVersionIds: tools,
  });
});

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

describe('claimVoiceAgentJob', () => {
  it('claims a starting session with a worker token: the session is active, the job carries a working run token', async () => {
    const session = await startingSession(owner, agent);
    const room = session.roomName;
    const res = await t.gql<{ claimVoiceAgentJob: Record<string, string> }>(CLAIM, {
      token: await workerToken(lk.apiKey, lk.apiSecret, room),
      room,
    });
    expect(res.errors).toBeUndefined();
    const job = res.data?.claimVoiceAgentJob;
    expect(job).toMatchObject({
      kind: 'SESSION',
      tenantId: owner.tenantId,
      agentId: agent.agentId,
      agentKey: agent.key,
      sessionId: session.id,
      callId: null,
      conversationId: session.conversationId,
    });
    expect(Date.parse(job?.expiresAt as string)).toBeGreaterThan(Date.now() + 60_000);
    const row = await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.status).toBe('active');
    expect(row.agentJoinedAt).toBeInstanceOf(Date);
    // The run token is a platform credential: the agent's own run plan answers.
    const plan = await platform.forRun(() => job?.accessToken as string).runPlan(agent.key);
    expect(plan.key).toBe(agent.key);

    // Claiming again is harmless: same job, still active, one state change on the stream.
    const again = await platform.claimJob(await workerToken(lk.apiKey, lk.apiSecret, room), room);
    expect(again).toMatchObject({ sessionId: session.id, conversationId: session.conversationId });
    const events = await sessionEvents(owner, session.id, 1);
    expect(events[0]).toMatchObject({ kind: 'voice.session.active', status: 'active' });
    const stored = await db().event.count({
      where: { stream: `voice-session:${session.id}`, type: 'voice.session.active' },
    });
    expect(stored).toBe(1);
  });

  it('refuses a forged token, one for another room, one without the agent grant (401) and changes nothing', async () => {
    const session = await startingSession(owner, agent);
    const room = session.roomName;
    const forged = await workerToken(lk.apiKey, 'another-secret-another-secret-another', room);
    const elsewhere = await workerToken(lk.apiKey, lk.apiSecret, sessionRoom(owner.tenantId, randomUUID()));
    const plain = new AccessToken(lk.apiKey, lk.apiSecret, { identity: 'someone', ttl: '2m' });
    plain.addGrant({ roomJoin: true, room });
    for (const token of [forged, elsewhere, await plain.toJwt(), 'not-a-jwt']) {
      const res = await t.gql(CLAIM, { token, room });
      expect(code(res)).toBe('UNAUTHENTICATED');
    }
    const row = await db().voiceSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.status).toBe('starting');
    expect(row.agentJoinedAt).toBeNull();
  });

  it('answers 404 for a room that is no session or call, 409 for an ended session', async () => {
    const unknown = sessionRoom(owner.tenantId, randomUUID());
    const res = await t.gql(CLAIM, {
      token: await workerToken(lk.apiKey, lk.apiSecret, unknown),
      room: unknown,
    });
    expect(code(res)).toBe('NOT_FOUND');
    const ended = await startingSession(owner, agent, 'ended');
    const late = await t.gql(CLAIM, {
      token: await workerToken(lk.apiKey, lk.apiSecret, ended.roomName),
      room: ended.roomName,
    });
    expect(code(late)).toBe('CONFLICT');
  });

  it('makes the inbound call of a mapping’s room once, answered (active) with the caller’s number', async () => {
    const mapping = await db().voiceInboundMapping.create({
      data: {
        tenantId: owner.tenantId,
        phoneNumber: '+15550100',
        agentId: agent.agentId,
        agentKey: agent.key,
        routeKey: `|+15550100|${randomUUID()}`,
        dispatchRuleId: 'SDR_test',
        createdByUserId: owner.userId,
      },
    });
    const room = `${inboundRoomPrefix(owner.tenantId, mapping.id)}_+15557777_abc`;
    const claim = async () =>
      platform.claimJob(await workerToken(lk.apiKey, lk.apiSecret, room), room, '+15557777');
    const [first, second] = await Promise.all([claim(), claim()]);
    expect(first).toMatchObject({ kind: 'CALL', direction: 'inbound', agentKey: agent.key, sessionId: null });
    expect(second.callId).toBe(first.callId);
    const third = await claim();
    expect(third.callId).toBe(first.callId);
    const calls = await db().voiceCall.findMany({ where: { roomName: room } });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      id: first.callId,
      direction: 'inbound',
      status: 'active',
      toNumber: '+15550100',
      fromNumber: '+15557777',
      mappingId: mapping.id,
      conversationId: first.conversationId,
    });
    // Another tenant's namespace with this mapping id is no room of ours.
    const foreign = `${inboundRoomPrefix(other.tenantId, mapping.id)}x`;
    const res = await t.gql(CLAIM, {
      token: await workerToken(lk.apiKey, lk.apiSecret, foreign),
      room: foreign,
    });
    expect(code(res)).toBe('NOT_FOUND');
  });
});

describe('claimVoiceAgentJob for an outbound call, and without LiveKit', () => {
  it('stamps the agent’s join on a dialing call, keeping its state; a run token names the call', async () => {
    const id = randomUUID();
    const call = await db().voiceCall.create({
      data: {
        id,
        tenantId: owner.tenantId,
        agentId: agent.agentId,
        agentKey: agent.key,
        toNumber: '+15550199',
        roomName: `t-${owner.tenantId}-call-${id}`,
        conversationId: randomUUID(),
        status: 'dialing',
        createdByUserId: owner.userId,
      },
    });
    const job = await platform.claimJob(
      await workerToken(lk.apiKey, lk.apiSecret, call.roomName),
      call.roomName,
    );
    expect(job).toMatchObject({ kind: 'CALL', callId: id, sessionId: null, direction: 'outbound' });
    const row = await db().voiceCall.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('dialing');
    expect(row.agentJoinedAt).toBeInstanceOf(Date);
  });

  it('answers 503 naming the settings when LiveKit is not configured', async () => {
    const bare = await bootStack({ LIVEKIT_URL: '', LIVEKIT_API_KEY: '', LIVEKIT_API_SECRET: '' });
    try {
      const room = sessionRoom(owner.tenantId, randomUUID());
      const res = await bare.gql(CLAIM, { token: await workerToken(lk.apiKey, lk.apiSecret, room), room });
      expect(code(res)).toBe('SERVICE_UNAVAILABLE');
      expect(res.errors?.[0]?.message).toMatch(/LIVEKIT_URL/);
    } finally {
      await bare.close();
    }
  });
});

describe('a run, as the worker runs it', () => {
  let run: RunClient;
  let prepared: Awaited<ReturnType<typeof prepareVoiceJob>>;
  let sessionId: string;

  beforeAll(async () => {
    const session = await startingSession(owner, agent);
    sessionId = session.id;
    prepared = await prepareVoiceJob(
      {
        platform: 'agent-platform',
        kind: 'session',
        tenant_id: owner.tenantId,
        agent_id: agent.agentId,
        agent_key: agent.key,
        binding_id: agent.bindingId,
        session_id: session.id,
        voice: null,
      },
      session.roomName,
      { platform, apiKey: lk.apiKey, apiSecret: lk.apiSecret },
    );
    run = prepared.run;
  });

  it('reads the run plan: instructions, model, voice settings and the tools (provider ones left out)', () => {
    expect(prepared.agent.instructions).toContain('front desk of the lighthouse');
    expect(prepared.agent.voice).toEqual({
      stt: { provider: 'openai', model: 'gpt-4o-transcribe', language: 'en' },
      tts: { provider: 'openai', voice: 'alloy' },
      language: 'en',
      turnDetection: { mode: 'server_vad', silenceMs: 600 },
    });
    expect(prepared.speech).toMatchObject({
      stt: { model: 'gpt-4o-transcribe', language: 'en' },
      tts: { voice: 'alloy' },
      llm: { model: 'gpt-4o-mini' },
      turnDetection: { mode: 'server_vad', silenceMs: 600 },
      unsupported: [],
    });
    const names = Object.keys(prepared.tools);
    expect(names).toHaveLength(2);
    expect(names.some((n) => n.startsWith('current_time_'))).toBe(true);
    expect(names.some((n) => n.startsWith('knowledge_search_'))).toBe(true);
  });

  it('runs a builtin tool and knowledge search through invokeAgentTool', async () => {
    const tool = (prefix: string) =>
      Object.entries(prepared.tools).find(([n]) =>
        n.startsWith(prefix),
      )?.[1] as (typeof prepared.tools)[string];
    const now = JSON.parse(await tool('current_time_').execute({}));
    expect(JSON.stringify(now)).toMatch(/\d{4}-\d{2}-\d{2}T/);
    const file = await upload(
      t,
      owner,
      'keeper.txt',
      new TextEncoder().encode(
        'The lighthouse keeper lights the lamp at dusk and rings the fog bell at noon.',
      ),
      'text/plain',
    );
    expect(file.status).toBe(201);
    expect((await ingest(t, owner, file.body.id)).status).toBe('ready');
    const found = JSON.parse(
      await tool('knowledge_search_').execute({ query: 'when does the keeper ring the fog bell' }),
    );
    expect(found.results[0]).toMatchObject({ filename: 'keeper.txt' });
    expect(found.results[0].text).toContain('fog bell');
    // Bad arguments are text for the model, not an exception.
    expect(await tool('knowledge_search_').execute({ top_k: 'many' })).toMatch(/^Error: /);
  });

  it('writes the transcript into the conversation (owned by the session’s creator) and the session’s stream', async () => {
    const writer = new TranscriptWriter({ send: (lines) => run.recordTranscript(lines), intervalMs: 50 });
    writer.add('user', 'When is the lamp lit?');
    writer.add('assistant', 'At dusk, every day.');
    await writer.flush();
    writer.add('user', 'Thanks!');
    await writer.close();
    const messages = await t.gql<{ conversationMessages: { items: { role: string; content: string }[] } }>(
      MESSAGES,
      { id: prepared.job.conversationId },
      owner.accessToken,
    );
    expect(messages.errors).toBeUndefined();
    expect(messages.data?.conversationMessages.items).toEqual([
      { role: 'user', content: 'When is the lamp lit?' },
      { role: 'assistant', content: 'At dusk, every day.' },
      { role: 'user', content: 'Thanks!' },
    ]);
    const conversation = await t.gql<{ conversation: Record<string, unknown> }>(
      CONVERSATION,
      { id: prepared.job.conversationId },
      owner.accessToken,
    );
    expect(conversation.data?.conversation).toMatchObject({
      agentEntrypoint: agent.key,
      messageCount: 3,
      lastMessagePreview: 'Thanks!',
      user: { id: owner.userId },
    });
    const events = await sessionEvents(owner, sessionId, 4);
    expect(events.filter((e) => e.role).map((e) => [e.kind, e.role, e.text])).toEqual([
      ['voice.transcript', 'user', 'When is the lamp lit?'],
      ['voice.transcript', 'assistant', 'At dusk, every day.'],
      ['voice.transcript', 'user', 'Thanks!'],
    ]);
  });

  it('bounds a transcript call: at most 50 lines, 8000 characters a line (422)', async () => {
    const many = Array.from({ length: 51 }, () => ({ role: 'user' as const, text: 'hello' }));
    await expect(run.recordTranscript(many)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(run.recordTranscript([{ role: 'user', text: 'x'.repeat(8001) }])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('keeps the run to its own agent (403) and its own conversation (404)', async () => {
    await expect(run.runPlan('triage')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(run.invokeTool('triage', 'current_time', {}, null)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const input = { messages: [{ role: 'user', content: 'sneaky' }] };
    const another = await run
      .request<unknown>(APPEND, { id: randomUUID(), input })
      .catch((e: PlatformError) => e);
    expect(another).toMatchObject({ code: 'NOT_FOUND' });
    // Tenant B's existing conversation.
    const foreign = await t.gql<{ createConversation: { id: string } }>(
      'mutation { createConversation(input: {displayName: "B"}) { id } }',
      {},
      other.accessToken,
    );
    const foreignId = foreign.data?.createConversation.id as string;
    const cross = await run.request<unknown>(APPEND, { id: foreignId, input }).catch((e: PlatformError) => e);
    expect(cross).toMatchObject({ code: 'NOT_FOUND' });
    const untouched = await t.gql<{ conversation: { messageCount: number } }>(
      CONVERSATION,
      { id: foreignId },
      other.accessToken,
    );
    expect(untouched.data?.conversation.messageCount).toBe(0);
  });

  it('refuses recordVoiceTranscript to a user (403); a user appends only to an existing conversation of the tenant', async () => {
    const res = await t.gql(TRANSCRIPT, { lines: [{ role: 'USER', text: 'hi' }] }, owner.accessToken);
    expect(code(res)).toBe('FORBIDDEN');
    const input = { messages: [{ role: 'assistant', content: 'noted', agent: agent.key }] };
    const absent = await t.gql(APPEND, { id: randomUUID(), input }, owner.accessToken);
    expect(code(absent)).toBe('NOT_FOUND');
    const appended = await t.gql<{ appendConversationMessages: Record<string, unknown> }>(
      APPEND,
      { id: prepared.job.conversationId, input },
      owner.accessToken,
    );
    expect(appended.data?.appendConversationMessages).toMatchObject({ created: false, positions: [4] });
    const stranger = await t.gql(APPEND, { id: prepared.job.conversationId, input }, other.accessToken);
    expect(code(stranger)).toBe('NOT_FOUND');
    const badRole = await t.gql(
      APPEND,
      { id: prepared.job.conversationId, input: { messages: [{ role: 'system', content: 'x' }] } },
      owner.accessToken,
    );
    expect(code(badRole)).toBe('VALIDATION_FAILED');
  });
});

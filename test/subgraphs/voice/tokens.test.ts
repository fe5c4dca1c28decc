import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveKitDouble, startLiveKitDouble } from '../../fakes/livekit.js';
import { type Account, bootStack, type RestResult, type TestStack } from '../../kit/stack.js';
import { createVoiceAgent } from '../../kit/voice.js';
import { apiKey, locs } from '../agents/artifacts-kit.js';
import { addMember, type Member, shapeProblems } from '../tenancy-kit.js';

/**
 * Participant tokens (`POST /api/tenants/{tenant_id}/tokens`), decoded with the SDK's TokenVerifier:
 * the room always in the caller's tenant's namespace (another tenant's room is 404, never a token),
 * identity and TTL rules, grants limited to what the caller may give, 503 without LiveKit.
 */

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
let admin: Member;
let verifier: TokenVerifier;

const TEMPLATE = '/api/tenants/{tenant_id}/tokens';

async function mint<T = JoinToken>(account: Account, token: string, body: unknown): Promise<RestResult<T>> {
  const res = await t.rest<T>('POST', `/api/tenants/${account.tenantId}/tokens`, { token, body });
  expect(shapeProblems('POST', TEMPLATE, res.status, res.body), `POST tokens ${res.status}`).toEqual([]);
  return res;
}

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  lk = await startLiveKitDouble();
  t = await bootStack({ ...lk.env, VOICE_TOKEN_TTL_SECONDS: '900', VOICE_TOKEN_MAX_TTL_SECONDS: '7200' });
  [owner, other] = await Promise.all([t.register(), t.register()]);
  [viewer, member, admin] = await Promise.all([
    addMember(t, owner, 'viewer'),
    addMember(t, owner, 'member'),
    addMember(t, owner, 'admin'),
  ]);
  verifier = new TokenVerifier(lk.apiKey, lk.apiSecret);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

describe('POST /api/tenants/{tenant_id}/tokens', () => {
  it('signs a token for a bare room name in the tenant’s namespace, with the default grants and TTL', async () => {
    const res = await mint(owner, owner.accessToken, { room: 'lobby', identity: 'alice@example.com' });
    expect(res.status).toBe(200);
    const room = `t-${owner.tenantId}-lobby`;
    expect(res.body).toMatchObject({
      room,
      identity: 'alice@example.com',
      url: lk.url.replace(/^http/, 'ws'),
    });
    const claims = await verifier.verify(res.body.token);
    expect(claims.sub).toBe('alice@example.com');
    expect(claims.iss).toBe(lk.apiKey);
    expect(claims.video).toEqual({
      roomJoin: true,
      room,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    expect(Number(claims.exp) - now()).toBeGreaterThan(900 - 30);
    expect(Number(claims.exp) - now()).toBeLessThanOrEqual(900);
    expect(new Date(res.body.expires_at).getTime()).toBe(Number(claims.exp) * 1000);
    // A forged secret does not verify: the token is really signed with the deployment's.
    await expect(
      new TokenVerifier(lk.apiKey, 'another-secret-another-secret-another').verify(res.body.token),
    ).rejects.toThrow();
    // LiveKit lets it in, into that room.
    const joined = await lk.joinWithToken(res.body.token);
    expect(joined.identity).toBe('alice@example.com');
    expect(lk.state.participants(room).map((p) => p.identity)).toContain('alice@example.com');
  });

  it('carries name, metadata, TTL and the participant grants asked for', async () => {
    const res = await mint(owner, member.token, {
      room: `t-${owner.tenantId}-standup`,
      identity: 'bob.42:desk',
      name: 'Bob',
      ttl_seconds: 120,
      metadata: { team: 'support' },
      grants: {
        can_publish: false,
        can_subscribe: true,
        can_publish_data: false,
        can_update_own_metadata: true,
        can_publish_sources: ['microphone', 'screen_share'],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const claims = await verifier.verify(res.body.token);
    expect(claims.name).toBe('Bob');
    expect(JSON.parse(String(claims.metadata))).toEqual({ team: 'support' });
    expect(Number(claims.exp) - now()).toBeGreaterThan(90);
    expect(Number(claims.exp) - now()).toBeLessThanOrEqual(120);
    expect(claims.video).toEqual({
      roomJoin: true,
      room: `t-${owner.tenantId}-standup`,
      canPublish: false,
      canSubscribe: true,
      canPublishData: false,
      canUpdateOwnMetadata: true,
      canPublishSources: ['microphone', 'screen_share'],
    });
  });

  it('a second tenant naming the first tenant’s room (a session room too) gets 404 and no token', async () => {
    const agent = await createVoiceAgent(t, owner);
    const session = await t.rest<{ room_name: string }>('POST', `/api/tenants/${owner.tenantId}/sessions`, {
      token: owner.accessToken,
      body: { agent_id: agent.agentId },
    });
    expect(session.status).toBe(201);
    for (const room of [
      session.body.room_name,
      `t-${owner.tenantId}-lobby`,
      `T-${owner.tenantId.toUpperCase()}-lobby`,
    ]) {
      const res = await mint<Envelope>(other, other.accessToken, { room, identity: 'mallory' });
      expect(res.status, room).toBe(404);
      expect(JSON.stringify(res.body)).not.toMatch(/eyJ/); // no JWT anywhere in the answer
    }
    // Its own bare name of the same words lands in its own namespace.
    const own = await mint(other, other.accessToken, { room: 'lobby', identity: 'mallory' });
    expect(own.body.room).toBe(`t-${other.tenantId}-lobby`);
    // And naming the first tenant in the path is no way in.
    const path = await mint<Envelope>(owner, other.accessToken, { room: 'lobby', identity: 'mallory' });
    expect(path.status).toBe(404);
  });

  it('refuses bad rooms, identities and TTLs with 422 at the field', async () => {
    const cases: [Record<string, unknown>, unknown[]][] = [
      [{ room: 'lobby', identity: 'agent-front-desk' }, ['body', 'identity']],
      [{ room: 'lobby', identity: 'Agent-x' }, ['body', 'identity']],
      [{ room: 'lobby', identity: 'sip-caller' }, ['body', 'identity']],
      [{ room: 'lobby', identity: 'white space' }, ['body', 'identity']],
      [{ room: 'lobby', identity: '' }, ['body', 'identity']],
      [{ room: 'lobby', identity: 'x'.repeat(129) }, ['body', 'identity']],
      [{ room: 'lobby', identity: 'ok', ttl_seconds: 59 }, ['body', 'ttl_seconds']],
      [{ room: 'lobby', identity: 'ok', ttl_seconds: 7201 }, ['body', 'ttl_seconds']],
      [{ room: 'no/slashes', identity: 'ok' }, ['body', 'room']],
      [{ room: '', identity: 'ok' }, ['body', 'room']],
      [
        { room: 'lobby', identity: 'ok', grants: { can_publish_sources: ['keyboard'] } },
        ['body', 'grants', 'can_publish_sources', 0],
      ],
      [{ room: 'lobby', identity: 'ok', metadata: 'x'.repeat(17_000) }, ['body', 'metadata']],
      [{ identity: 'ok' }, ['body', 'room']],
    ];
    for (const [body, loc] of cases) {
      const res = await mint<Envelope>(owner, owner.accessToken, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(locs(res.body), JSON.stringify(body).slice(0, 80)).toEqual([loc]);
    }
    expect(
      (await mint(owner, owner.accessToken, { room: 'lobby', identity: 'ok', ttl_seconds: 7200 })).status,
    ).toBe(200);
  });

  it('limits grants: viewers get nothing, members no roomAdmin or hidden, nobody the project-wide grants', async () => {
    const body = { room: 'ops', identity: 'carol' };
    const asViewer = await mint<Envelope>(owner, viewer.token, body);
    expect(asViewer.status).toBe(403);

    for (const grant of ['room_admin', 'hidden']) {
      const res = await mint<Envelope>(owner, member.token, { ...body, grants: { [grant]: true } });
      expect(res.status, grant).toBe(403);
      expect(res.body.message).toContain(grant === 'room_admin' ? 'roomAdmin' : 'hidden');
      expect(res.body.message).toContain('calls:write');
    }
    const privileged = await mint(owner, admin.token, {
      ...body,
      grants: { room_admin: true, hidden: true },
    });
    expect(privileged.status).toBe(200);
    const claims = await verifier.verify(privileged.body.token);
    expect(claims.video).toMatchObject({ roomAdmin: true, hidden: true, room: `t-${owner.tenantId}-ops` });
    const audited = await t.stack.kernel.database.prisma.auditEvent.findMany({
      where: { tenantId: owner.tenantId, action: 'voice.token.privileged' },
    });
    expect(audited.map((a) => a.targetId)).toEqual([`t-${owner.tenantId}-ops`]);

    for (const grant of ['room_create', 'room_list', 'room_record']) {
      const res = await mint<Envelope>(owner, owner.accessToken, { ...body, grants: { [grant]: true } });
      expect(res.status, grant).toBe(403);
      expect(res.body.message).toContain('every room of the LiveKit project');
    }
    // False is not a grant: asking not to have one is fine.
    const explicitNo = await mint(owner, member.token, {
      ...body,
      grants: { room_admin: false, room_create: false },
    });
    expect(explicitNo.status).toBe(200);
    expect((await verifier.verify(explicitNo.body.token)).video?.roomAdmin).toBeUndefined();
  });

  it('API keys: voice:write mints, voice:read does not', async () => {
    const writer = await apiKey(t, owner.tenantId, owner.accessToken, ['voice:write']);
    const res = await mint(owner, writer, { room: 'kiosk', identity: 'kiosk-1' });
    expect(res.status).toBe(200);
    expect((await verifier.verify(res.body.token)).video?.room).toBe(`t-${owner.tenantId}-kiosk`);
    const noAdmin = await mint<Envelope>(owner, writer, {
      room: 'kiosk',
      identity: 'kiosk-1',
      grants: { room_admin: true },
    });
    expect(noAdmin.status).toBe(403);
    const reader = await apiKey(t, owner.tenantId, owner.accessToken, ['voice:read']);
    expect((await mint(owner, reader, { room: 'kiosk', identity: 'kiosk-1' })).status).toBe(403);
  });

  it('the GraphQL face: createVoiceToken', async () => {
    const res = await t.gql<{
      createVoiceToken: { room: string; identity: string; expiresAt: string; token: string };
    }>(
      `mutation($tenantId: ID!, $input: CreateVoiceTokenInput!) {
        createVoiceToken(tenantId: $tenantId, input: $input) { token room identity expiresAt }
      }`,
      {
        tenantId: owner.tenantId,
        input: { room: 'gql', identity: 'dave', grants: { canPublishSources: ['camera'] } },
      },
      owner.accessToken,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.createVoiceToken).toMatchObject({ room: `t-${owner.tenantId}-gql`, identity: 'dave' });
    const claims = await verifier.verify(String(res.data?.createVoiceToken.token));
    expect(claims.video?.canPublishSources).toEqual(['camera']);
  });
});

describe('tokens without LiveKit', () => {
  let bare: TestStack;
  let account: Account;

  beforeAll(async () => {
    bare = await bootStack({ LIVEKIT_URL: '', LIVEKIT_API_KEY: '', LIVEKIT_API_SECRET: '' });
    account = await bare.register();
  }, 60_000);

  afterAll(async () => {
    await bare?.close();
  });

  it('answers 503 naming the settings', async () => {
    const res = await bare.rest<Envelope>('POST', `/api/tenants/${account.tenantId}/tokens`, {
      token: account.accessToken,
      body: { room: 'lobby', identity: 'alice' },
    });
    expect(res.status).toBe(503);
    expect(res.body.message).toContain('LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
    expect(JSON.stringify(res.body)).not.toMatch(/eyJ/);
  });
});

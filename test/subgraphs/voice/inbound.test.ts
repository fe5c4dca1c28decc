import { SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveKitDouble, startLiveKitDouble } from '../../fakes/livekit.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';
import { createVoiceAgent, runNumbers, type VoiceAgentFixture } from '../../kit/voice.js';
import { locs } from '../agents/artifacts-kit.js';
import { addMember, type Member } from '../tenancy-kit.js';

/**
 * Inbound mappings against the LiveKit double: each one a SIP dispatch rule (individual rooms under
 * the mapping's prefix, the agent dispatched), the trunk+number+PIN conflict checked before LiveKit,
 * LiveKit's own conflict, routing of a simulated inbound call, patch, delete, tenancy, scopes.
 */

interface MappingBody {
  id: string;
  tenant_id: string;
  phone_number: string;
  agent_id: string;
  agent_key: string;
  trunk_id: string | null;
  inbound_trunk_id: string | null;
  has_pin: boolean;
  dispatch_rule_id: string;
  created_by_user_id: string | null;
  api_key_id: string | null;
}

let lk: LiveKitDouble;
let sip: SipClient;
let t: TestStack;
let owner: Account;
let other: Account;
let member: Member;
let viewer: Member;
let agent: VoiceAgentFixture;
let agent2: VoiceAgentFixture;
let otherAgent: VoiceAgentFixture;
let ownTrunk: string;
let foreignTrunk: string;

const num = runNumbers();
const NUMBER = num('0100');
const base = (a: Account) => `/api/tenants/${a.tenantId}/inbound-mappings`;

async function create(body: Record<string, unknown>, token = owner.accessToken, account = owner) {
  return t.rest<MappingBody & { message: string }>('POST', base(account), { token, body });
}
async function patch(id: string, body: Record<string, unknown>, token = owner.accessToken, account = owner) {
  return t.rest<MappingBody & { message: string }>('PATCH', `${base(account)}/${id}`, { token, body });
}
const remove = (id: string, token = owner.accessToken, account = owner) =>
  t.rest('DELETE', `${base(account)}/${id}`, { token });
// This file's tenants only: a PostgreSQL shared by test files running at once holds others' rows.
const rows = () =>
  t.stack.kernel.database.prisma.voiceInboundMapping.count({
    where: { tenantId: { in: [owner.tenantId, other.tenantId] } },
  });
const ruleOf = (id: string) => lk.state.dispatchRules.get(id);
const pinOf = (id: string) => {
  const r = ruleOf(id)?.rule?.rule;
  return r?.case === 'dispatchRuleIndividual' ? r.value.pin : undefined;
};

beforeAll(async () => {
  lk = await startLiveKitDouble();
  sip = new SipClient(lk.url, lk.apiKey, lk.apiSecret);
  t = await bootStack({ ...lk.env, VOICE_AGENT_JOIN_TIMEOUT_MS: '600000' });
  lk.webhookUrls.push(`${t.url}/api/webhooks/livekit`);
  [owner, other] = await Promise.all([t.register(), t.register()]);
  [agent, agent2, otherAgent, member, viewer] = await Promise.all([
    createVoiceAgent(t, owner),
    createVoiceAgent(t, owner),
    createVoiceAgent(t, other),
    addMember(t, owner, 'member'),
    addMember(t, owner, 'viewer'),
  ]);
  ownTrunk = (
    await sip.createSipInboundTrunk('owner trunk', [num('0201'), num('0202')], {
      metadata: JSON.stringify({ tenant_id: owner.tenantId }),
    })
  ).sipTrunkId;
  foreignTrunk = (
    await sip.createSipInboundTrunk('other trunk', [num('0301')], {
      metadata: JSON.stringify({ tenant_id: other.tenantId }),
    })
  ).sipTrunkId;
});

afterAll(async () => {
  await t?.close();
  await lk?.close();
});

describe('inbound mappings', () => {
  let first: MappingBody;
  let withPin: MappingBody;

  it('routes a number to an agent: a trunk made for the number and an individual dispatch rule dispatching the agent', async () => {
    const res = await create({ phone_number: NUMBER, agent_id: agent.agentId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    first = res.body;
    expect(first).toMatchObject({
      tenant_id: owner.tenantId,
      phone_number: NUMBER,
      agent_id: agent.agentId,
      agent_key: agent.key,
      trunk_id: null,
      has_pin: false,
      created_by_user_id: owner.userId,
    });
    expect(first.inbound_trunk_id).toMatch(/^ST_/);
    expect(first.dispatch_rule_id).toMatch(/^SDR_/);
    expect(Object.keys(first)).not.toEqual(expect.arrayContaining(['pin']));
    expect(JSON.stringify(first)).not.toMatch(/pin_hash|route_key/);

    const trunk = lk.callsTo('CreateSIPInboundTrunk').at(-1)?.body as { trunk: Record<string, unknown> };
    expect(trunk.trunk).toMatchObject({ name: `${owner.tenantId}-${NUMBER}`, numbers: [NUMBER] });
    expect(JSON.parse(String(trunk.trunk.metadata))).toEqual({ tenant_id: owner.tenantId });

    const prefix = `t-${owner.tenantId}-inbound-${first.id}-`;
    const rule = lk.callsTo('CreateSIPDispatchRule').at(-1)?.body as {
      rule: unknown;
      trunkIds: string[];
      metadata: string;
      roomConfig: { agents: { agentName: string; metadata: string }[] };
    };
    expect(rule.rule).toEqual({ dispatchRuleIndividual: { roomPrefix: prefix } });
    expect(rule.trunkIds).toEqual([first.inbound_trunk_id]);
    expect(JSON.parse(rule.metadata)).toEqual({
      tenant_id: owner.tenantId,
      mapping_id: first.id,
      agent_id: agent.agentId,
    });
    expect(rule.roomConfig.agents).toHaveLength(1);
    expect(rule.roomConfig.agents[0]?.agentName).toBe('agent-platform-voice');
    expect(JSON.parse(rule.roomConfig.agents[0]?.metadata ?? '{}')).toMatchObject({
      kind: 'inbound',
      tenant_id: owner.tenantId,
      agent_id: agent.agentId,
      agent_key: agent.key,
      binding_id: agent.bindingId,
      mapping_id: first.id,
    });

    // A call to the number gets a room of its own under the prefix, with the agent dispatched.
    const routed = await lk.simulateInboundCall({ toNumber: NUMBER, fromNumber: '+15550999001' });
    expect(routed?.dispatchRuleId).toBe(first.dispatch_rule_id);
    expect(routed?.room.startsWith(prefix)).toBe(true);
    const dispatched = [...lk.state.dispatches.values()].filter((d) => d.room === routed?.room);
    expect(dispatched.map((d) => d.agentName)).toEqual(['agent-platform-voice']);
    expect(JSON.parse(dispatched[0]?.metadata ?? '{}')).toMatchObject({ mapping_id: first.id });

    // Reads.
    const got = await t.rest<MappingBody>('GET', `${base(owner)}/${first.id}`, { token: viewer.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(first);
  });

  it('refuses the same trunk, number and PIN with a 409 naming the mapping, before LiveKit is asked; another PIN is fine', async () => {
    const rules = lk.callsTo('CreateSIPDispatchRule').length;
    const trunks = lk.callsTo('CreateSIPInboundTrunk').length;
    const count = await rows();
    const again = await create({ phone_number: NUMBER, agent_id: agent2.agentId });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`conflicts with inbound mapping ${first.id}`);
    expect(lk.callsTo('CreateSIPDispatchRule')).toHaveLength(rules);
    expect(lk.callsTo('CreateSIPInboundTrunk')).toHaveLength(trunks);
    expect(await rows()).toBe(count);

    const pinned = await create({ phone_number: NUMBER, agent_id: agent2.agentId, pin: '4321' });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(201);
    withPin = pinned.body;
    expect(withPin).toMatchObject({ has_pin: true, inbound_trunk_id: first.inbound_trunk_id });
    expect(JSON.stringify(withPin)).not.toMatch(/"pin"|\b4321\b/);
    expect(lk.callsTo('CreateSIPInboundTrunk')).toHaveLength(trunks); // the number's trunk reused
    expect(lk.callsTo('CreateSIPDispatchRule').at(-1)?.body.rule).toEqual({
      dispatchRuleIndividual: { roomPrefix: `t-${owner.tenantId}-inbound-${withPin.id}-`, pin: '4321' },
    });
    const routed = await lk.simulateInboundCall({
      toNumber: NUMBER,
      fromNumber: '+15550999002',
      pin: '4321',
    });
    expect(routed?.room.startsWith(`t-${owner.tenantId}-inbound-${withPin.id}-`)).toBe(true);
  });

  it('maps LiveKit’s own conflict to 409 and writes nothing; a named trunk must exist, carry the number and be the tenant’s', async () => {
    const outside = await sip.createSipDispatchRule(
      { type: 'individual', roomPrefix: 'outside-' },
      { trunkIds: [ownTrunk], name: 'made outside the platform' },
    );
    const count = await rows();
    const clash = await create({ phone_number: num('0201'), agent_id: agent.agentId, trunk_id: ownTrunk });
    expect(clash.status, JSON.stringify(clash.body)).toBe(409);
    expect(clash.body.message).toContain('already exists');
    expect(await rows()).toBe(count);
    await sip.deleteSipDispatchRule(outside.sipDispatchRuleId);

    const rules = lk.callsTo('CreateSIPDispatchRule').length;
    const unknown = await create({
      phone_number: num('0201'),
      agent_id: agent.agentId,
      trunk_id: 'ST_nope',
    });
    expect(unknown.status).toBe(422);
    expect(locs(unknown.body)).toEqual([['body', 'trunk_id']]);
    const foreign = await create({
      phone_number: num('0301'),
      agent_id: agent.agentId,
      trunk_id: foreignTrunk,
    });
    expect(foreign.status).toBe(422);
    expect(locs(foreign.body)).toEqual([['body', 'trunk_id']]);
    expect(JSON.stringify(foreign.body)).not.toContain(other.tenantId);
    const notCarried = await create({
      phone_number: num('0299'),
      agent_id: agent.agentId,
      trunk_id: ownTrunk,
    });
    expect(notCarried.status).toBe(422);
    expect(locs(notCarried.body)).toEqual([['body', 'phone_number']]);
    const bad = await create({ phone_number: '5550300100', agent_id: agent.agentId, pin: '12' });
    expect(bad.status).toBe(422);
    expect(locs(bad.body)).toEqual(
      expect.arrayContaining([
        ['body', 'phone_number'],
        ['body', 'pin'],
      ]),
    );
    const letters = await create({ phone_number: NUMBER, agent_id: agent.agentId, pin: 'abcd' });
    expect(letters.status).toBe(422);
    expect(lk.callsTo('CreateSIPDispatchRule')).toHaveLength(rules);
    expect(await rows()).toBe(count);

    const named = await create({ phone_number: num('0201'), agent_id: agent.agentId, trunk_id: ownTrunk });
    expect(named.status, JSON.stringify(named.body)).toBe(201);
    expect(named.body).toMatchObject({ trunk_id: ownTrunk, inbound_trunk_id: null });
    expect(ruleOf(named.body.dispatch_rule_id)?.trunkIds).toEqual([ownTrunk]);
    const routed = await lk.simulateInboundCall({ toNumber: num('0201'), fromNumber: '+15550999003' });
    expect(routed?.room.startsWith(`t-${owner.tenantId}-inbound-${named.body.id}-`)).toBe(true);
  });

  it('patches in place: another agent (rule updated, PIN kept), a PIN change, the 409 when it would clash', async () => {
    const updates = lk.callsTo('UpdateSIPDispatchRule').length;
    const res = await patch(withPin.id, { agent_id: agent.agentId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ agent_id: agent.agentId, agent_key: agent.key, has_pin: true });
    expect(res.body.dispatch_rule_id).toBe(withPin.dispatch_rule_id);
    expect(lk.callsTo('UpdateSIPDispatchRule')).toHaveLength(updates + 1);
    const rule = ruleOf(withPin.dispatch_rule_id);
    expect(JSON.parse(rule?.roomConfig?.agents[0]?.metadata ?? '{}')).toMatchObject({
      agent_id: agent.agentId,
    });
    expect(JSON.parse(rule?.metadata ?? '{}')).toMatchObject({ agent_id: agent.agentId });
    expect(pinOf(withPin.dispatch_rule_id)).toBe('4321');

    // Dropping the PIN would make it the first mapping's route: 409 naming it, LiveKit untouched.
    const clash = await patch(withPin.id, { pin: null });
    expect(clash.status).toBe(409);
    expect(clash.body.message).toContain(first.id);
    expect(lk.callsTo('UpdateSIPDispatchRule')).toHaveLength(updates + 1);
    expect(pinOf(withPin.dispatch_rule_id)).toBe('4321');

    const repinned = await patch(withPin.id, { pin: '9999' });
    expect(repinned.status).toBe(200);
    expect(pinOf(withPin.dispatch_rule_id)).toBe('9999');
    const routed = await lk.simulateInboundCall({
      toNumber: NUMBER,
      fromNumber: '+15550999004',
      pin: '9999',
    });
    expect(routed?.dispatchRuleId).toBe(withPin.dispatch_rule_id);
    expect(
      await lk.simulateInboundCall({ toNumber: NUMBER, fromNumber: '+15550999004', pin: '4321' }),
    ).toBeNull();
  });

  it('patches the number: a new trunk and rule, the old rule deleted, the shared trunk kept', async () => {
    const moved = await patch(withPin.id, { phone_number: num('0500') });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.phone_number).toBe(num('0500'));
    expect(moved.body.inbound_trunk_id).not.toBe(first.inbound_trunk_id);
    expect(moved.body.dispatch_rule_id).not.toBe(withPin.dispatch_rule_id);
    expect(ruleOf(withPin.dispatch_rule_id)).toBeUndefined();
    expect(ruleOf(moved.body.dispatch_rule_id)?.trunkIds).toEqual([moved.body.inbound_trunk_id]);
    expect(pinOf(moved.body.dispatch_rule_id)).toBe('9999');
    expect(lk.state.inboundTrunks.has(first.inbound_trunk_id as string)).toBe(true); // the first mapping's
    withPin = moved.body;
  });

  it('locks another tenant out: 404 on get, patch and delete; 409 without the id for a number the first routes', async () => {
    const token = other.accessToken;
    for (const path of [`${base(other)}/${first.id}`, `${base(owner)}/${first.id}`]) {
      expect((await t.rest('GET', path, { token })).status).toBe(404);
      expect((await t.rest('PATCH', path, { token, body: { pin: '1111' } })).status).toBe(404);
      expect((await t.rest('DELETE', path, { token })).status).toBe(404);
    }
    const list = await t.rest<{ items: MappingBody[] }>('GET', base(other), { token });
    expect(list.body.items).toEqual([]);
    const rules = lk.callsTo('CreateSIPDispatchRule').length;
    for (const body of [
      { phone_number: NUMBER, agent_id: otherAgent.agentId },
      { phone_number: NUMBER, agent_id: otherAgent.agentId, pin: '5555' },
    ]) {
      const res = await create(body, token, other);
      expect(res.status).toBe(409);
      expect(res.body.message).toContain('another tenant');
      expect(JSON.stringify(res.body)).not.toContain(first.id);
    }
    expect(lk.callsTo('CreateSIPDispatchRule')).toHaveLength(rules);
    expect(ruleOf(first.dispatch_rule_id)).toBeDefined();
  });

  it('is for admins: viewers and members get 403 on writes, and read', async () => {
    for (const token of [viewer.token, member.token]) {
      expect((await create({ phone_number: num('0600'), agent_id: agent.agentId }, token)).status).toBe(403);
      expect((await patch(first.id, { pin: '1111' }, token)).status).toBe(403);
      expect((await remove(first.id, token)).status).toBe(403);
      const list = await t.rest<{ items: MappingBody[] }>('GET', base(owner), { token });
      expect(list.status).toBe(200);
      expect(list.body.items.map((m) => m.id)).toContain(first.id);
    }
  });

  it('deletes: the rule goes, the number’s trunk only with its last mapping', async () => {
    const autoTrunk = first.inbound_trunk_id as string;
    const second = await create({ phone_number: NUMBER, agent_id: agent.agentId, pin: '2468' });
    expect(second.status).toBe(201);
    expect((await remove(second.body.id)).status).toBe(204);
    expect(ruleOf(second.body.dispatch_rule_id)).toBeUndefined();
    expect(lk.state.inboundTrunks.has(autoTrunk)).toBe(true);
    expect((await remove(first.id)).status).toBe(204);
    expect(ruleOf(first.dispatch_rule_id)).toBeUndefined();
    expect(lk.state.inboundTrunks.has(autoTrunk)).toBe(false);
    expect((await t.rest('GET', `${base(owner)}/${first.id}`, { token: owner.accessToken })).status).toBe(
      404,
    );
    expect((await remove(first.id)).status).toBe(404);
    expect(await lk.simulateInboundCall({ toNumber: NUMBER, fromNumber: '+15550999005' })).toBeNull();
    const audit = await t.stack.kernel.database.prisma.auditEvent.findMany({
      where: { targetId: first.id },
      select: { action: true },
    });
    expect(audit.map((a) => a.action).sort()).toEqual([
      'voice.inbound_mapping.create',
      'voice.inbound_mapping.delete',
    ]);
    // The number is free again, for another tenant too.
    const theirs = await create(
      { phone_number: NUMBER, agent_id: otherAgent.agentId },
      other.accessToken,
      other,
    );
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
  });
});

describe('inbound mappings without LiveKit', () => {
  let bare: TestStack;
  let account: Account;
  let bareAgent: VoiceAgentFixture;

  beforeAll(async () => {
    bare = await bootStack({});
    account = await bare.register();
    bareAgent = await createVoiceAgent(bare, account);
  });
  afterAll(async () => {
    await bare?.close();
  });

  it('answers 503 on create naming the settings; the list works', async () => {
    const path = `/api/tenants/${account.tenantId}/inbound-mappings`;
    const res = await bare.rest<{ message: string }>('POST', path, {
      token: account.accessToken,
      body: { phone_number: NUMBER, agent_id: bareAgent.agentId },
    });
    expect(res.status).toBe(503);
    expect(res.body.message).toContain('LIVEKIT_URL');
    const list = await bare.rest<{ items: unknown[] }>('GET', path, { token: account.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import {
  RoomAgentDispatch,
  RoomConfiguration,
  SIPDispatchRule,
  SIPDispatchRuleIndividual,
  SIPDispatchRuleInfo,
} from 'livekit-server-sdk';
import { z } from 'zod';
import type { VoiceInboundMapping } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { ConflictError, isUniqueViolation, NotFoundError } from '../../kernel/errors.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import { sha256 } from '../../kernel/secrets.js';
import { detail, invalid, parseArgs, requireUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import { resolveVoiceAgent, type VoiceAgent } from '../agents.js';
import { creator, PhoneNumber } from '../calls/call.service.js';
import { metadataTenant } from '../calls/trunks.js';
import type { VoiceCtx } from '../db.js';
import { agentDispatch } from '../dispatch.js';
import { callLiveKit, isLiveKitNotFound, type LiveKit, requireLiveKit } from '../livekit.js';
import { inboundRoomPrefix } from '../rooms.js';

const Pin = z.string().regex(/^\d{4,12}$/, 'A PIN is 4–12 digits.');
const TrunkId = z.string().trim().min(1).max(128);

const CreateMappingInput = z.object({
  phoneNumber: PhoneNumber,
  agentId: z.string(),
  trunkId: TrunkId.nullish(),
  pin: Pin.nullish(),
});
export type CreateMappingInput = z.input<typeof CreateMappingInput>;

const UpdateMappingInput = z.object({
  phoneNumber: PhoneNumber.nullish(),
  agentId: z.string().nullish(),
  /** null: back to a trunk made for the number. */
  trunkId: TrunkId.nullish(),
  /** null: no PIN. */
  pin: Pin.nullish(),
});
export type UpdateMappingInput = z.input<typeof UpdateMappingInput>;

/** What makes a route unique in LiveKit: trunk (`*`: made for the number), number, PIN. */
export const routeKey = (trunkId: string | null, phoneNumber: string, pinHash: string | null) =>
  `${trunkId ?? '*'}|${phoneNumber}|${pinHash ?? ''}`;

/** The tenant's mapping named in the path; unknown or another tenant's is 404. */
async function findMapping(ctx: VoiceCtx, tenantId: string, mappingId: string): Promise<VoiceInboundMapping> {
  const mapping = await ctx.db.voiceInboundMapping.findFirst({
    where: { id: requireUuid(mappingId, 'mappingId'), tenantId },
  });
  if (!mapping) {
    throw new NotFoundError('Inbound mapping', mappingId);
  }
  return mapping;
}

/** 409 when another mapping holds the route: naming it to its own tenant, not to others. */
async function assertRouteFree(
  ctx: VoiceCtx,
  tenantId: string,
  key: string,
  self: string | null,
): Promise<void> {
  const holder = await ctx.db.voiceInboundMapping.findUnique({
    where: { routeKey: key },
    select: { id: true, tenantId: true },
  });
  if (!holder || holder.id === self) {
    return;
  }
  if (holder.tenantId === tenantId) {
    throw new ConflictError(`The same trunk, number and PIN conflicts with inbound mapping ${holder.id}.`);
  }
  throw new ConflictError('This number (with this trunk and PIN) is already routed by another tenant.');
}

/**
 * The tenant's inbound trunk named for a mapping: it must exist in LiveKit, carry the number, and
 * not belong to another tenant (its metadata naming one reads as missing).
 */
async function checkInboundTrunk(
  livekit: LiveKit,
  tenantId: string,
  trunkId: string,
  phoneNumber: string,
): Promise<void> {
  const trunks = await callLiveKit('look up the SIP inbound trunk', () =>
    livekit.sip.listSipInboundTrunk({ trunkIds: [trunkId] }),
  );
  const trunk = trunks.find((t) => t?.sipTrunkId === trunkId);
  const owner = trunk ? metadataTenant(trunk.metadata) : null;
  if (!trunk || (owner !== null && owner !== tenantId.toLowerCase())) {
    throw invalid([
      detail(['input', 'trunkId'], `No such trunk: ${trunkId} is not a SIP inbound trunk in LiveKit.`),
    ]);
  }
  if (!trunk.numbers.includes(phoneNumber)) {
    throw invalid([detail(['input', 'phoneNumber'], `Trunk ${trunkId} does not carry ${phoneNumber}.`)]);
  }
}

/**
 * The trunk a mapping without a named trunk uses: the inbound trunk already made for this number
 * for the tenant (another of its mappings), else a new one (`made`). Another tenant's trunk for the
 * number is a 409.
 */
async function autoTrunk(
  ctx: VoiceCtx,
  livekit: LiveKit,
  tenantId: string,
  phoneNumber: string,
  self: string | null,
): Promise<{ trunkId: string; made: boolean }> {
  const others = await ctx.db.voiceInboundMapping.findFirst({
    where: { phoneNumber, inboundTrunkId: { not: null }, tenantId: { not: tenantId } },
    select: { id: true },
  });
  if (others) {
    throw new ConflictError('This number is already routed by another tenant.');
  }
  const sibling = await ctx.db.voiceInboundMapping.findFirst({
    where: {
      tenantId,
      phoneNumber,
      inboundTrunkId: { not: null },
      ...(self ? { id: { not: self } } : {}),
    },
    select: { inboundTrunkId: true },
  });
  if (sibling?.inboundTrunkId) {
    return { trunkId: sibling.inboundTrunkId, made: false };
  }
  const trunk = await callLiveKit('create the inbound trunk for the number', () =>
    livekit.sip.createSipInboundTrunk(`${tenantId}-${phoneNumber}`, [phoneNumber], {
      metadata: JSON.stringify({ tenant_id: tenantId }),
    }),
  );
  return { trunkId: trunk.sipTrunkId, made: true };
}

/** Removes a trunk made for a number when no other mapping of the tenant uses it. */
async function dropAutoTrunk(
  ctx: VoiceCtx,
  livekit: LiveKit,
  tenantId: string,
  trunkId: string,
  except: string[],
): Promise<void> {
  const users = await ctx.db.voiceInboundMapping.count({
    where: { tenantId, inboundTrunkId: trunkId, id: { notIn: except } },
  });
  if (users > 0) {
    return;
  }
  try {
    await livekit.sip.deleteSipTrunk(trunkId);
  } catch (error) {
    if (!isLiveKitNotFound(error)) {
      throw error;
    }
  }
}

/** Best effort: take back what a failed operation made in LiveKit (logged, never thrown). */
async function undo(ctx: VoiceCtx, what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!isLiveKitNotFound(error)) {
      ctx.log.warn({ err: String(error) }, `could not ${what}`);
    }
  }
}

interface RuleSpec {
  tenantId: string;
  mappingId: string;
  agent: VoiceAgent;
  trunkId: string;
  phoneNumber: string;
  /** '' : no PIN. */
  pin: string;
}

/** The dispatch rule of a mapping: individual rooms under the mapping's prefix, the agent dispatched. */
function ruleInfo(ctx: VoiceCtx, spec: RuleSpec): SIPDispatchRuleInfo {
  const { agentName, metadata } = agentDispatch(ctx.config, spec.tenantId, spec.agent, {
    mapping_id: spec.mappingId,
  });
  return new SIPDispatchRuleInfo({
    rule: new SIPDispatchRule({
      rule: {
        case: 'dispatchRuleIndividual',
        value: new SIPDispatchRuleIndividual({
          roomPrefix: inboundRoomPrefix(spec.tenantId, spec.mappingId),
          pin: spec.pin,
        }),
      },
    }),
    trunkIds: [spec.trunkId],
    name: ruleName(spec),
    metadata: ruleMetadata(spec),
    roomConfig: new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName, metadata })] }),
  });
}

const ruleName = (spec: RuleSpec) => `${spec.tenantId} ${spec.phoneNumber} → ${spec.agent.key}`;
const ruleMetadata = (spec: RuleSpec) =>
  JSON.stringify({ tenant_id: spec.tenantId, mapping_id: spec.mappingId, agent_id: spec.agent.id });

async function createRule(ctx: VoiceCtx, livekit: LiveKit, spec: RuleSpec): Promise<string> {
  const info = ruleInfo(ctx, spec);
  const individual = info.rule?.rule.value as SIPDispatchRuleIndividual;
  const rule = await callLiveKit('create the SIP dispatch rule', () =>
    livekit.sip.createSipDispatchRule(
      { type: 'individual', roomPrefix: individual.roomPrefix, ...(spec.pin ? { pin: spec.pin } : {}) },
      { name: info.name, metadata: info.metadata, trunkIds: info.trunkIds, roomConfig: info.roomConfig },
    ),
  );
  return rule.sipDispatchRuleId;
}

async function deleteRuleQuietly(livekit: LiveKit, ruleId: string): Promise<void> {
  try {
    await livekit.sip.deleteSipDispatchRule(ruleId);
  } catch (error) {
    if (!isLiveKitNotFound(error)) {
      throw error;
    }
  }
}

/**
 * Routes a number to an agent: a LiveKit SIP dispatch rule (individual rooms
 * `t-<tenant>-inbound-<mapping>-…`, the agent dispatched into each) on the named inbound trunk, or
 * on one made for the number. The same trunk, number and PIN twice is a 409, checked before
 * LiveKit is asked (and LiveKit's own conflict is a 409 too); the row is written only once LiveKit
 * holds the rule, and a trunk made for a failed mapping is deleted again.
 */
export async function createInboundMapping(
  ctx: VoiceCtx,
  tenantIdArg: string,
  input: CreateMappingInput,
): Promise<VoiceInboundMapping> {
  const { tenantId, viewer } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const data = parseArgs(CreateMappingInput, input, ['input']);
  const agent = await resolveVoiceAgent(ctx, tenantId, data.agentId, ['input', 'agentId']);
  const livekit = requireLiveKit(ctx.config, 'Inbound number routing');
  const pin = data.pin ?? '';
  const pinHash = pin ? sha256(pin) : null;
  const trunkId = data.trunkId ?? null;
  const key = routeKey(trunkId, data.phoneNumber, pinHash);
  await assertRouteFree(ctx, tenantId, key, null);
  const id = randomUUID();
  let auto: { trunkId: string; made: boolean } | null = null;
  if (trunkId) {
    await checkInboundTrunk(livekit, tenantId, trunkId, data.phoneNumber);
  } else {
    auto = await autoTrunk(ctx, livekit, tenantId, data.phoneNumber, null);
  }
  const ruleTrunk = trunkId ?? (auto?.trunkId as string);
  let ruleId: string;
  try {
    ruleId = await createRule(ctx, livekit, {
      tenantId,
      mappingId: id,
      agent,
      trunkId: ruleTrunk,
      phoneNumber: data.phoneNumber,
      pin,
    });
  } catch (error) {
    if (auto?.made) {
      const made = auto.trunkId;
      await undo(ctx, 'delete the inbound trunk of a failed mapping', () => livekit.sip.deleteSipTrunk(made));
    }
    throw error;
  }
  try {
    return await ctx.db.$transaction(async (tx) => {
      const row = await tx.voiceInboundMapping.create({
        data: {
          id,
          tenantId,
          phoneNumber: data.phoneNumber,
          agentId: agent.id,
          agentKey: agent.key,
          trunkId,
          pinHash,
          routeKey: key,
          dispatchRuleId: ruleId,
          inboundTrunkId: auto?.trunkId ?? null,
          ...creator(viewer),
        },
      });
      await recordAudit(tx, viewer, {
        action: 'voice.inbound_mapping.create',
        targetType: 'voice_inbound_mapping',
        targetId: id,
        tenantId,
        metadata: {
          phoneNumber: data.phoneNumber,
          agentId: agent.id,
          trunkId: ruleTrunk,
          dispatchRuleId: ruleId,
        },
      });
      return row;
    });
  } catch (error) {
    await undo(ctx, 'delete the dispatch rule of a failed mapping', () => deleteRuleQuietly(livekit, ruleId));
    if (auto?.made) {
      const made = auto.trunkId;
      await undo(ctx, 'delete the inbound trunk of a failed mapping', () => livekit.sip.deleteSipTrunk(made));
    }
    if (isUniqueViolation(error)) {
      // A concurrent create took the route between the check and the insert.
      await assertRouteFree(ctx, tenantId, key, null);
      throw new ConflictError('The same trunk, number and PIN was just mapped.');
    }
    throw error;
  }
}

/** The tenant's inbound mappings, newest first. */
export async function listInboundMappings(
  ctx: VoiceCtx,
  tenantIdArg: string,
  args: PageArgs,
): Promise<Page<VoiceInboundMapping>> {
  const { tenantId } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const page = keyset(args, 'createdAt', 'desc');
  const rows = await ctx.db.voiceInboundMapping.findMany({
    where: { tenantId, ...page.where },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

/** One inbound mapping of the tenant. */
export async function getInboundMapping(
  ctx: VoiceCtx,
  tenantIdArg: string,
  mappingId: string,
): Promise<VoiceInboundMapping> {
  const { tenantId } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  return findMapping(ctx, tenantId, mappingId);
}

/** The mapping's rule as LiveKit holds it, null when LiveKit no longer has it. */
async function currentRule(livekit: LiveKit, ruleId: string): Promise<SIPDispatchRuleInfo | null> {
  const rules = await callLiveKit('look up the SIP dispatch rule', () =>
    livekit.sip.listSipDispatchRule({ dispatchRuleIds: [ruleId] }),
  );
  return rules.find((r) => r?.sipDispatchRuleId === ruleId) ?? null;
}

const pinOf = (rule: SIPDispatchRuleInfo): string => {
  const r = rule.rule?.rule;
  return r?.value && 'pin' in r.value ? r.value.pin : '';
};

/**
 * Changes a mapping (agent, PIN — null removes it —, number, trunk — null: one made for the
 * number). Conflicts are checked as on create. LiveKit is changed first (the rule replaced in place,
 * or, when the trunk changes, a new rule made and the old one deleted), then the row: a failure
 * leaves the old mapping routing calls.
 */
export async function updateInboundMapping(
  ctx: VoiceCtx,
  tenantIdArg: string,
  mappingId: string,
  input: UpdateMappingInput,
): Promise<VoiceInboundMapping> {
  const { tenantId, viewer } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const mapping = await findMapping(ctx, tenantId, mappingId);
  const data = parseArgs(UpdateMappingInput, input, ['input']);
  const agent = await resolveVoiceAgent(ctx, tenantId, data.agentId ?? mapping.agentId, ['input', 'agentId']);
  const livekit = requireLiveKit(ctx.config, 'Inbound number routing');
  const phoneNumber = data.phoneNumber ?? mapping.phoneNumber;
  const trunkId = data.trunkId === undefined ? mapping.trunkId : data.trunkId;
  const pinHash = data.pin === undefined ? mapping.pinHash : data.pin ? sha256(data.pin) : null;
  const key = routeKey(trunkId, phoneNumber, pinHash);
  await assertRouteFree(ctx, tenantId, key, mapping.id);

  const currentTrunk = mapping.trunkId ?? mapping.inboundTrunkId;
  let auto: { trunkId: string; made: boolean } | null = null;
  if (trunkId) {
    if (trunkId !== mapping.trunkId || phoneNumber !== mapping.phoneNumber) {
      await checkInboundTrunk(livekit, tenantId, trunkId, phoneNumber);
    }
  } else if (phoneNumber === mapping.phoneNumber && mapping.inboundTrunkId) {
    auto = { trunkId: mapping.inboundTrunkId, made: false };
  } else {
    auto = await autoTrunk(ctx, livekit, tenantId, phoneNumber, mapping.id);
  }
  const nextTrunk = trunkId ?? (auto?.trunkId as string);
  const existing = await currentRule(livekit, mapping.dispatchRuleId);
  let pin: string;
  if (data.pin !== undefined) {
    pin = data.pin ?? '';
  } else if (!mapping.pinHash) {
    pin = '';
  } else if (existing) {
    pin = pinOf(existing);
  } else {
    throw new ConflictError(
      `LiveKit no longer has this mapping's dispatch rule and its PIN is not stored here: pass the pin again.`,
    );
  }
  const spec: RuleSpec = { tenantId, mappingId: mapping.id, agent, trunkId: nextTrunk, phoneNumber, pin };
  const inPlace = existing !== null && nextTrunk === currentTrunk;
  let ruleId = mapping.dispatchRuleId;
  const dropMade = async () => {
    if (auto?.made) {
      const made = auto.trunkId;
      await undo(ctx, 'delete the inbound trunk of a failed change', () => livekit.sip.deleteSipTrunk(made));
    }
  };
  try {
    if (inPlace) {
      await callLiveKit('update the SIP dispatch rule', () =>
        livekit.sip.updateSipDispatchRule(mapping.dispatchRuleId, ruleInfo(ctx, spec)),
      );
    } else {
      ruleId = await createRule(ctx, livekit, spec);
    }
  } catch (error) {
    await dropMade();
    throw error;
  }
  let row: VoiceInboundMapping;
  try {
    row = await ctx.db.$transaction(async (tx) => {
      const updated = await tx.voiceInboundMapping.update({
        where: { id: mapping.id },
        data: {
          phoneNumber,
          agentId: agent.id,
          agentKey: agent.key,
          trunkId,
          pinHash,
          routeKey: key,
          dispatchRuleId: ruleId,
          inboundTrunkId: auto?.trunkId ?? null,
        },
      });
      await recordAudit(tx, viewer, {
        action: 'voice.inbound_mapping.update',
        targetType: 'voice_inbound_mapping',
        targetId: mapping.id,
        tenantId,
        metadata: { phoneNumber, agentId: agent.id, trunkId: nextTrunk, dispatchRuleId: ruleId },
      });
      return updated;
    });
  } catch (error) {
    // Put LiveKit back as the row still describes it.
    if (inPlace && existing) {
      await undo(ctx, 'restore the dispatch rule of a failed change', () =>
        livekit.sip.updateSipDispatchRule(mapping.dispatchRuleId, existing),
      );
    } else if (!inPlace) {
      await undo(ctx, 'delete the dispatch rule of a failed change', () =>
        deleteRuleQuietly(livekit, ruleId),
      );
    }
    await dropMade();
    if (isUniqueViolation(error)) {
      await assertRouteFree(ctx, tenantId, key, mapping.id);
      throw new ConflictError('The same trunk, number and PIN was just mapped.');
    }
    throw error;
  }
  if (!inPlace) {
    // The new rule routes now: the old one and a trunk only it used go.
    await undo(ctx, 'delete the replaced dispatch rule', () =>
      deleteRuleQuietly(livekit, mapping.dispatchRuleId),
    );
    if (mapping.inboundTrunkId && mapping.inboundTrunkId !== auto?.trunkId) {
      const old = mapping.inboundTrunkId;
      await undo(ctx, 'delete the replaced inbound trunk', () =>
        dropAutoTrunk(ctx, livekit, tenantId, old, [mapping.id]),
      );
    }
  }
  return row;
}

/**
 * Unroutes a number: its dispatch rule goes (already gone is fine), then the trunk made for the
 * number when no other mapping of the tenant uses it, then the row.
 */
export async function deleteInboundMapping(
  ctx: VoiceCtx,
  tenantIdArg: string,
  mappingId: string,
): Promise<boolean> {
  const { tenantId, viewer } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const mapping = await findMapping(ctx, tenantId, mappingId);
  const livekit = requireLiveKit(ctx.config, 'Inbound number routing');
  await callLiveKit('delete the SIP dispatch rule', () => deleteRuleQuietly(livekit, mapping.dispatchRuleId));
  if (mapping.inboundTrunkId) {
    const trunk = mapping.inboundTrunkId;
    await callLiveKit('delete the inbound trunk', () =>
      dropAutoTrunk(ctx, livekit, tenantId, trunk, [mapping.id]),
    );
  }
  await ctx.db.$transaction(async (tx) => {
    await tx.voiceInboundMapping.deleteMany({ where: { id: mapping.id, tenantId } });
    await recordAudit(tx, viewer, {
      action: 'voice.inbound_mapping.delete',
      targetType: 'voice_inbound_mapping',
      targetId: mapping.id,
      tenantId,
      metadata: { phoneNumber: mapping.phoneNumber, dispatchRuleId: mapping.dispatchRuleId },
    });
  });
  return true;
}

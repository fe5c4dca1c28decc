import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { VoiceCall } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { ConflictError, NotFoundError } from '../../kernel/errors.js';
import { enqueueJob } from '../../kernel/jobs.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import { detail, invalid, parseArgs, requireUuid } from '../../kernel/validation.js';
import { actingTenant, type Viewer } from '../../kernel/viewer.js';
import { resolveVoiceAgent } from '../agents.js';
import type { VoiceCtx } from '../db.js';
import { agentDispatch } from '../dispatch.js';
import { publishVoiceEvent } from '../events/voice-event.js';
import { type CallStatus, isFinal, moveCall } from '../lifecycle.js';
import { callLiveKit, isLiveKitNotFound, type LiveKit, requireLiveKit } from '../livekit.js';
import { callRoom } from '../rooms.js';
import { checkOutboundTrunk } from './trunks.js';

/** The queue of outbound dials (dial.job.ts): one job per started call, run once. */
export const DIAL_QUEUE = 'voice.dial';

export interface DialJobPayload {
  callId: string;
}

export const CALL_DIRECTIONS = ['outbound', 'inbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** E.164: `+`, a non-zero digit, 6–14 more digits. */
export const E164 = /^\+[1-9]\d{6,14}$/;
export const PhoneNumber = z
  .string()
  .regex(E164, 'Phone numbers are E.164: "+", the country code and number, 7–15 digits in all.');

const CreateCallInput = z.object({
  agentId: z.string(),
  toNumber: PhoneNumber,
  fromNumber: PhoneNumber.nullish(),
  trunkId: z.string().trim().min(1).max(128).nullish(),
});
export type CreateCallInput = z.input<typeof CreateCallInput>;

/** Who made it: the user, or the API key. */
export function creator(viewer: Viewer): { createdByUserId: string | null; apiKeyId: string | null } {
  return {
    createdByUserId: viewer.kind === 'user' ? viewer.userId : null,
    apiKeyId: viewer.kind === 'api-key' ? viewer.apiKeyId : null,
  };
}

/** The tenant's call named in the path; unknown or another tenant's is 404. */
async function findCall(ctx: VoiceCtx, tenantId: string, callId: string): Promise<VoiceCall> {
  const call = await ctx.db.voiceCall.findFirst({ where: { id: requireUuid(callId, 'callId'), tenantId } });
  if (!call) {
    throw new NotFoundError('Call', callId);
  }
  return call;
}

/**
 * A new outbound call of the tenant, `created`: nothing is dialled until `start`. The numbers are
 * E.164; the agent must be the tenant's and active; the trunk is the one named, else the
 * deployment's LIVEKIT_SIP_OUTBOUND_TRUNK_ID. The room name is fixed now (`callRoom`). No LiveKit needed.
 */
export async function createVoiceCall(
  ctx: VoiceCtx,
  tenantIdArg: string,
  input: CreateCallInput,
): Promise<VoiceCall> {
  const { tenantId, viewer } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const data = parseArgs(CreateCallInput, input, ['input']);
  const agent = await resolveVoiceAgent(ctx, tenantId, data.agentId, ['input', 'agentId']);
  const trunkId = data.trunkId ?? ctx.config.LIVEKIT_SIP_OUTBOUND_TRUNK_ID ?? null;
  if (!trunkId) {
    throw invalid([
      detail(
        ['input', 'trunkId'],
        'No SIP outbound trunk: pass trunk_id or set LIVEKIT_SIP_OUTBOUND_TRUNK_ID.',
        'missing',
      ),
    ]);
  }
  const id = randomUUID();
  return ctx.db.$transaction(async (tx) => {
    const call = await tx.voiceCall.create({
      data: {
        id,
        tenantId,
        direction: 'outbound',
        agentId: agent.id,
        agentKey: agent.key,
        toNumber: data.toNumber,
        fromNumber: data.fromNumber ?? null,
        trunkId,
        roomName: callRoom(tenantId, id),
        conversationId: randomUUID(),
        status: 'created',
        ...creator(viewer),
      },
    });
    await publishVoiceEvent(
      tx,
      { kind: 'call', id: call.id, tenantId, status: call.status },
      { kind: 'voice.call.created' },
    );
    await recordAudit(tx, viewer, {
      action: 'voice.call.create',
      targetType: 'voice_call',
      targetId: call.id,
      tenantId,
      metadata: { agentId: agent.id, toNumber: data.toNumber, trunkId },
    });
    return call;
  });
}

/** The tenant's calls, newest first, optionally of one status or direction. */
export async function listVoiceCalls(
  ctx: VoiceCtx,
  tenantIdArg: string,
  filter: { status?: CallStatus | null; direction?: CallDirection | null },
  args: PageArgs,
): Promise<Page<VoiceCall>> {
  const { tenantId } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const page = keyset(args, 'createdAt', 'desc');
  const rows = await ctx.db.voiceCall.findMany({
    where: {
      tenantId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.direction ? { direction: filter.direction } : {}),
      ...page.where,
    },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

/** One call of the tenant. */
export async function getVoiceCall(ctx: VoiceCtx, tenantIdArg: string, callId: string): Promise<VoiceCall> {
  const { tenantId } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  return findCall(ctx, tenantId, callId);
}

/** Deletes a room, a room already gone being fine. */
export async function deleteRoomQuietly(livekit: LiveKit, room: string): Promise<void> {
  try {
    await livekit.rooms.deleteRoom(room);
  } catch (error) {
    if (!isLiveKitNotFound(error)) {
      throw error;
    }
  }
}

/**
 * Starts a created call: checks the trunk, creates its room and dispatches the agent to it (agent
 * first, so it is there when the callee answers), then moves the call to `dialing` and enqueues its
 * one dial (dial.job.ts) in one transaction. A LiveKit failure before that leaves the call
 * `created` and no room behind.
 */
export async function startVoiceCall(ctx: VoiceCtx, tenantIdArg: string, callId: string): Promise<VoiceCall> {
  const { tenantId, viewer } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const call = await findCall(ctx, tenantId, callId);
  const livekit = requireLiveKit(ctx.config, 'Phone calls');
  if (call.status !== 'created') {
    throw new ConflictError(`Call ${call.id} is ${call.status}; only a created call can be started.`);
  }
  const trunkId = call.trunkId ?? ctx.config.LIVEKIT_SIP_OUTBOUND_TRUNK_ID ?? null;
  if (!trunkId) {
    throw invalid([
      detail(
        ['trunkId'],
        'No SIP outbound trunk: pass trunk_id or set LIVEKIT_SIP_OUTBOUND_TRUNK_ID.',
        'missing',
      ),
    ]);
  }
  await checkOutboundTrunk(ctx.config, livekit, tenantId, trunkId, ['trunkId']);
  const agent = await resolveVoiceAgent(ctx, tenantId, call.agentId, ['agentId']);
  const { agentName, metadata } = agentDispatch(ctx.config, tenantId, agent, { call_id: call.id });
  let roomMade = false;
  let dispatchId: string | null = null;
  try {
    await callLiveKit('create the call’s room', () =>
      livekit.rooms.createRoom({
        name: call.roomName,
        metadata: JSON.stringify({
          platform: 'agent-platform',
          kind: 'call',
          tenant_id: tenantId,
          call_id: call.id,
        }),
      }),
    );
    roomMade = true;
    const dispatch = await callLiveKit('dispatch the agent to the call', () =>
      livekit.dispatch.createDispatch(call.roomName, agentName, { metadata }),
    );
    dispatchId = dispatch.id;
    const moved = await ctx.db.$transaction(async (tx) => {
      const row = await moveCall(tx, call, 'dialing', { dialStartedAt: new Date(), dispatchId, trunkId });
      if (!row) {
        return null;
      }
      await enqueueJob(tx, DIAL_QUEUE, { callId: call.id } satisfies DialJobPayload, {
        tenantId,
        maxAttempts: 1,
      });
      await recordAudit(tx, viewer, {
        action: 'voice.call.start',
        targetType: 'voice_call',
        targetId: call.id,
        tenantId,
        metadata: { trunkId, dispatchId },
      });
      return row;
    });
    if (!moved) {
      // Another start won the race: its room is this room, so take back only this dispatch.
      const mine = dispatchId;
      roomMade = false;
      await livekit.dispatch.deleteDispatch(mine, call.roomName).catch(() => undefined);
      throw new ConflictError(`Call ${call.id} was started meanwhile.`);
    }
    ctx.jobs.nudge(DIAL_QUEUE);
    return moved;
  } catch (error) {
    if (roomMade) {
      await deleteRoomQuietly(livekit, call.roomName).catch((e: unknown) =>
        ctx.log.warn(
          { room: call.roomName, err: String(e) },
          'could not delete the room of a failed call start',
        ),
      );
    }
    throw error;
  }
}

/**
 * Stops a call: a created one just ends; a dialing, ringing or active one loses its room (the
 * callee is hung up, the agent leaves), then ends, in one transaction so a failed room deletion
 * leaves the call as it was. Ended or failed: 409.
 */
export async function stopVoiceCall(ctx: VoiceCtx, tenantIdArg: string, callId: string): Promise<VoiceCall> {
  const { tenantId, viewer } = actingTenant(ctx, { tenantId: tenantIdArg, operators: true });
  const call = await findCall(ctx, tenantId, callId);
  if (isFinal(call.status)) {
    throw new ConflictError(`Call ${call.id} is already ${call.status}.`);
  }
  const livekit = call.status === 'created' ? null : requireLiveKit(ctx.config, 'Phone calls');
  const stopped = await ctx.db.$transaction(
    async (tx) => {
      const row = await moveCall(tx, call, 'ended', { statusReason: 'stopped' });
      if (!row) {
        return null;
      }
      await recordAudit(tx, viewer, {
        action: 'voice.call.stop',
        targetType: 'voice_call',
        targetId: call.id,
        tenantId,
      });
      // Inside the transaction: the row stays locked until the room is gone, so the room_finished
      // webhook this causes finds the call ended, and a failure here rolls the stop back.
      if (livekit) {
        await callLiveKit('end the call’s room', () => deleteRoomQuietly(livekit, call.roomName));
      }
      return row;
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
  if (!stopped) {
    const now = await findCall(ctx, tenantId, callId);
    throw new ConflictError(`Call ${call.id} is already ${now.status}.`);
  }
  return stopped;
}

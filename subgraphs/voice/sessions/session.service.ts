import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Prisma, VoiceSession } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { AppError, BadRequestError, ConflictError, NotFoundError } from '../../kernel/errors.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { type ActingTenant, actingTenant } from '../../kernel/viewer.js';
import { resolveVoiceAgent, type VoiceAgent } from '../agents.js';
import type { VoiceCtx } from '../db.js';
import { agentDispatch } from '../dispatch.js';
import { publishVoiceEvent } from '../events/voice-event.js';
import { isFinal, moveSession, SESSION_STATUSES, type SessionStatus } from '../lifecycle.js';
import { callLiveKit, isLiveKitNotFound, type LiveKit, liveKitError, requireLiveKit } from '../livekit.js';
import { sessionRoom } from '../rooms.js';
import {
  defaultIdentity,
  Identity,
  ParticipantMetadata,
  ParticipantName,
  signJoinToken,
  ttlSeconds,
  type VoiceJoinToken,
} from '../tokens/token.service.js';

/** Seconds LiveKit keeps a started session's room open before anyone joins it. */
export const SESSION_EMPTY_TIMEOUT_SECONDS = 300;
/** Seconds LiveKit keeps the room open after the last participant left (a grace period to rejoin). */
export const SESSION_DEPARTURE_TIMEOUT_SECONDS = 30;

const LIVE: readonly SessionStatus[] = ['starting', 'active'];

/**
 * The tenant a session operation acts on: the caller's own, or an existing tenant for a platform
 * operator (another tenant is 404). Writes are gated by voice:write on the field.
 */
async function sessionTenant(ctx: VoiceCtx, tenantId: string): Promise<ActingTenant> {
  const acting = actingTenant(ctx, { tenantId, operators: true });
  if (acting.asOperator && !(await ctx.db.tenant.findUnique({ where: { id: acting.tenantId } }))) {
    throw new NotFoundError('Tenant', tenantId);
  }
  return acting;
}

/** A session of the tenant; an unknown or another tenant's id is 404, a malformed one 422. */
async function sessionOf(ctx: VoiceCtx, tenantId: string, sessionId: string): Promise<VoiceSession> {
  const id = requireUuid(sessionId, 'sessionId');
  const session = await ctx.db.voiceSession.findFirst({ where: { id, tenantId } });
  if (!session) {
    throw new NotFoundError('Session', sessionId);
  }
  return session;
}

/** The session as it is now (after a state change lost a race). */
async function current(ctx: VoiceCtx, session: VoiceSession): Promise<VoiceSession | null> {
  return ctx.db.voiceSession.findFirst({ where: { id: session.id, tenantId: session.tenantId } });
}

/** Deletes a room, a room already gone included; other failures only logged (best effort). */
async function dropRoom(ctx: VoiceCtx, livekit: LiveKit, room: string): Promise<void> {
  await livekit.rooms.deleteRoom(room).catch((error: unknown) => {
    if (!isLiveKitNotFound(error)) {
      ctx.log.warn({ room, err: String(error) }, 'could not delete a voice session room');
    }
  });
}

/** Ends a room for good: a room already gone is fine, any other failure is the mapped LiveKit error. */
async function endRoom(livekit: LiveKit, room: string): Promise<void> {
  try {
    await livekit.rooms.deleteRoom(room);
  } catch (error) {
    if (!isLiveKitNotFound(error)) {
      throw liveKitError(error, 'end the session room');
    }
  }
}

const Metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16384, 'At most 16 KiB of metadata.');

const CreateInput = z.object({
  agentId: z.string(),
  metadata: Metadata.nullish(),
});
/** As GraphQL passes it: `metadata` (JSON) is checked here. */
export type CreateVoiceSessionInput = { agentId: string; metadata?: unknown };

/**
 * Records a session of one of the tenant's active agents in the `created` state: its room name
 * (`t-<tenant>-session-<id>`) and conversation id are fixed now, the room itself is made by
 * `start`. Needs no LiveKit. Publishes `voice.session.created`.
 */
export async function createVoiceSession(
  ctx: VoiceCtx,
  tenantId: string,
  input: CreateVoiceSessionInput,
): Promise<VoiceSession> {
  const acting = await sessionTenant(ctx, tenantId);
  const data = parseArgs(CreateInput, input, ['input']);
  const agent = await resolveVoiceAgent(ctx, acting.tenantId, data.agentId, ['input', 'agentId']);
  const id = randomUUID();
  const { viewer } = acting;
  return ctx.db.$transaction(async (tx) => {
    const session = await tx.voiceSession.create({
      data: {
        id,
        tenantId: acting.tenantId,
        agentId: agent.id,
        agentKey: agent.key,
        roomName: sessionRoom(acting.tenantId, id),
        conversationId: randomUUID(),
        status: 'created',
        metadata: (data.metadata ?? {}) as Prisma.InputJsonValue,
        createdByUserId: viewer.userId,
        apiKeyId: viewer.kind === 'api-key' ? viewer.apiKeyId : null,
      },
    });
    await publishVoiceEvent(
      tx,
      { kind: 'session', id, tenantId: acting.tenantId, status: 'created' },
      { kind: 'voice.session.created' },
    );
    await recordAudit(tx, viewer, {
      action: 'voice.session.created',
      targetType: 'voice_session',
      targetId: id,
      tenantId: acting.tenantId,
      metadata: { agentId: agent.id, agentKey: agent.key, roomName: session.roomName },
    });
    return session;
  });
}

const ListFilter = z.object({ status: z.enum(SESSION_STATUSES).nullish() });

export interface ListVoiceSessionsInput extends PageArgs {
  status?: SessionStatus | null | undefined;
}

/** The tenant's sessions, newest first (keyset on createdAt, id), optionally of one status. */
export async function listVoiceSessions(
  ctx: VoiceCtx,
  tenantId: string,
  input: ListVoiceSessionsInput,
): Promise<Page<VoiceSession>> {
  const acting = await sessionTenant(ctx, tenantId);
  const { status } = parseArgs(ListFilter, { status: input.status }, []);
  const page = keyset(input, 'createdAt', 'desc');
  const rows = await ctx.db.voiceSession.findMany({
    where: { tenantId: acting.tenantId, ...(status ? { status } : {}), ...page.where },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

/** One session of the tenant. */
export async function getVoiceSession(
  ctx: VoiceCtx,
  tenantId: string,
  sessionId: string,
): Promise<VoiceSession> {
  const acting = await sessionTenant(ctx, tenantId);
  return sessionOf(ctx, acting.tenantId, sessionId);
}

/** The session's agent, checked again at start: it must still exist and be active (else 409). */
async function startingAgent(ctx: VoiceCtx, session: VoiceSession): Promise<VoiceAgent> {
  try {
    return await resolveVoiceAgent(ctx, session.tenantId, session.agentId, ['sessionId']);
  } catch (error) {
    if (error instanceof AppError && error.code === 'VALIDATION_FAILED') {
      throw new ConflictError(`The session's agent ${session.agentId} no longer exists in this tenant.`);
    }
    throw error;
  }
}

/**
 * Starts a `created` session: creates its LiveKit room and explicitly dispatches the deployment's
 * voice worker (LIVEKIT_AGENT_NAME) with the agent's active binding and voice settings as metadata,
 * then moves it to `starting` (the agent joining makes it `active`, through the webhook). Without
 * LiveKit 503; not `created` 409. A LiveKit failure leaves the session `created` and no room behind
 * (the room made before a failed dispatch is deleted); a start that loses to a concurrent one
 * withdraws its dispatch and answers 409.
 */
export async function startVoiceSession(
  ctx: VoiceCtx,
  tenantId: string,
  sessionId: string,
): Promise<VoiceSession> {
  const acting = await sessionTenant(ctx, tenantId);
  const session = await sessionOf(ctx, acting.tenantId, sessionId);
  const livekit = requireLiveKit(ctx.config, 'Starting a voice session');
  if (session.status !== 'created') {
    throw new ConflictError(`Session ${session.id} is ${session.status}; only a created session can start.`);
  }
  const agent = await startingAgent(ctx, session);
  const dispatch = agentDispatch(ctx.config, acting.tenantId, agent, { session_id: session.id });
  const room = session.roomName;
  await callLiveKit('create the session room', () =>
    livekit.rooms.createRoom({
      name: room,
      emptyTimeout: SESSION_EMPTY_TIMEOUT_SECONDS,
      departureTimeout: SESSION_DEPARTURE_TIMEOUT_SECONDS,
      metadata: JSON.stringify({ tenant_id: acting.tenantId, session_id: session.id }),
    }),
  );
  let made: { id: string };
  try {
    made = await callLiveKit('dispatch the agent', () =>
      livekit.dispatch.createDispatch(room, dispatch.agentName, { metadata: dispatch.metadata }),
    );
  } catch (error) {
    // Leave nothing half-made, unless a concurrent start is using the room.
    if ((await current(ctx, session))?.status === 'created') {
      await dropRoom(ctx, livekit, room);
    }
    throw error;
  }
  let moved: VoiceSession | null;
  try {
    moved = await ctx.db.$transaction(async (tx) => {
      const row = await moveSession(tx, session, 'starting', {
        startedAt: new Date(),
        dispatchId: made.id,
        agentKey: agent.key,
        statusReason: null,
      });
      if (!row) {
        return null;
      }
      await recordAudit(tx, acting.viewer, {
        action: 'voice.session.started',
        targetType: 'voice_session',
        targetId: session.id,
        tenantId: acting.tenantId,
        metadata: { roomName: room, dispatchId: made.id, bindingId: agent.bindingId },
      });
      // The agent may have joined before this commit (its webhook or claim stamped agentJoinedAt).
      return row.agentJoinedAt ? ((await moveSession(tx, row, 'active')) ?? row) : row;
    });
  } catch (error) {
    await dropRoom(ctx, livekit, room);
    throw error;
  }
  if (!moved) {
    const now = await current(ctx, session);
    await livekit.dispatch.deleteDispatch(made.id, room).catch(() => undefined);
    if (!now || isFinal(now.status)) {
      // Stopped or deleted while we were starting it: the room is ours alone to remove.
      await dropRoom(ctx, livekit, room);
    }
    throw new ConflictError(
      `Session ${session.id} is ${now?.status ?? 'deleted'}; it changed while starting (a concurrent start or stop).`,
    );
  }
  return moved;
}

/**
 * Stops a session: a `created` one simply ends (no LiveKit call); a `starting` or `active` one has
 * its room deleted (a room already gone is fine; 503 without LiveKit), then ends. Reason `stopped`.
 * An ended or failed session is 409.
 */
export async function stopVoiceSession(
  ctx: VoiceCtx,
  tenantId: string,
  sessionId: string,
): Promise<VoiceSession> {
  const acting = await sessionTenant(ctx, tenantId);
  const session = await sessionOf(ctx, acting.tenantId, sessionId);
  if (isFinal(session.status)) {
    throw new ConflictError(`Session ${session.id} is already ${session.status}.`);
  }
  if (LIVE.includes(session.status as SessionStatus)) {
    await endRoom(requireLiveKit(ctx.config, 'Stopping a started voice session'), session.roomName);
  }
  const moved = await ctx.db.$transaction(async (tx) => {
    const row = await moveSession(tx, session, 'ended', { statusReason: 'stopped' });
    if (row) {
      await recordAudit(tx, acting.viewer, {
        action: 'voice.session.stopped',
        targetType: 'voice_session',
        targetId: session.id,
        tenantId: acting.tenantId,
        metadata: { from: session.status },
      });
    }
    return row;
  });
  if (moved) {
    return moved;
  }
  const now = await current(ctx, session);
  if (!now) {
    throw new NotFoundError('Session', sessionId);
  }
  if (isFinal(now.status)) {
    return now; // ended meanwhile (the room's own room_finished, say): stopped all the same
  }
  throw new ConflictError(`Session ${session.id} is ${now.status}; it changed while stopping, try again.`);
}

const AttachInput = (ctx: VoiceCtx) =>
  z.object({
    identity: Identity.nullish(),
    name: ParticipantName.nullish(),
    ttlSeconds: ttlSeconds(ctx.config).nullish(),
    metadata: ParticipantMetadata.nullish(),
  });
/** As GraphQL passes it: `metadata` (JSON) is checked here. */
export type AttachVoiceSessionInput = {
  identity?: string | null | undefined;
  name?: string | null | undefined;
  ttlSeconds?: number | null | undefined;
  metadata?: unknown;
};

/**
 * A participant token for the session's room, so a person (or their app) joins the agent: publish,
 * subscribe and data. Only a `starting` or `active` session (409 otherwise); 503 without LiveKit.
 * The identity defaults to `user-<user id>` or `key-<API key id>`.
 */
export async function attachVoiceSession(
  ctx: VoiceCtx,
  tenantId: string,
  sessionId: string,
  input: AttachVoiceSessionInput | null | undefined,
): Promise<VoiceJoinToken> {
  const acting = await sessionTenant(ctx, tenantId);
  const session = await sessionOf(ctx, acting.tenantId, sessionId);
  if (!LIVE.includes(session.status as SessionStatus)) {
    throw new ConflictError(
      `Session ${session.id} is ${session.status}; only a starting or active session can be joined.`,
    );
  }
  const livekit = requireLiveKit(ctx.config, 'Joining a voice session');
  const data = parseArgs(AttachInput(ctx), input ?? {}, ['input']);
  const identity = data.identity ?? defaultIdentity(acting.viewer);
  if (!identity) {
    throw new BadRequestError('Name the participant identity to join as.');
  }
  const ttl = data.ttlSeconds ?? ctx.config.VOICE_TOKEN_TTL_SECONDS;
  const token = await signJoinToken(livekit, {
    room: session.roomName,
    identity,
    name: data.name,
    ttlSeconds: ttl,
    metadata: data.metadata,
    grant: { canPublish: true, canSubscribe: true, canPublishData: true },
  });
  await ctx.db.$transaction((tx) =>
    recordAudit(tx, acting.viewer, {
      action: 'voice.session.attached',
      targetType: 'voice_session',
      targetId: session.id,
      tenantId: acting.tenantId,
      metadata: { identity, ttlSeconds: ttl },
    }),
  );
  return token;
}

/**
 * Deletes a session: a live one (`starting`, `active`) is stopped first (its room deleted; 503
 * without LiveKit), then the row goes (its event stream then answers 404 like any unknown id).
 */
export async function deleteVoiceSession(
  ctx: VoiceCtx,
  tenantId: string,
  sessionId: string,
): Promise<boolean> {
  const acting = await sessionTenant(ctx, tenantId);
  const session = await sessionOf(ctx, acting.tenantId, sessionId);
  if (LIVE.includes(session.status as SessionStatus)) {
    await endRoom(requireLiveKit(ctx.config, 'Deleting a started voice session'), session.roomName);
  }
  await ctx.db.$transaction(async (tx) => {
    if (!isFinal(session.status)) {
      await moveSession(tx, session, 'ended', { statusReason: 'stopped' });
    }
    const { count } = await tx.voiceSession.deleteMany({
      where: { id: session.id, tenantId: acting.tenantId },
    });
    if (count === 0) {
      throw new NotFoundError('Session', sessionId);
    }
    await recordAudit(tx, acting.viewer, {
      action: 'voice.session.deleted',
      targetType: 'voice_session',
      targetId: session.id,
      tenantId: acting.tenantId,
      metadata: { status: session.status, roomName: session.roomName, agentKey: session.agentKey },
    });
  });
  return true;
}

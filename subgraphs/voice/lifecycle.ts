import type { Prisma, VoiceCall, VoiceSession } from '../../generated/prisma/client.js';
import type { VoiceTx } from './db.js';
import { publishVoiceEvent } from './events/voice-event.js';

export const SESSION_STATUSES = ['created', 'starting', 'active', 'ended', 'failed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const CALL_STATUSES = ['created', 'dialing', 'ringing', 'active', 'ended', 'failed'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** The states each state may be reached from: `ended` and `failed` are final. */
const SESSION_FROM: Record<SessionStatus, readonly SessionStatus[]> = {
  created: [],
  starting: ['created'],
  active: ['starting'],
  ended: ['created', 'starting', 'active'],
  failed: ['created', 'starting', 'active'],
};
const CALL_FROM: Record<CallStatus, readonly CallStatus[]> = {
  created: [],
  dialing: ['created'],
  ringing: ['dialing'],
  // From `created`: an inbound call is answered by the agent when the worker claims it.
  active: ['created', 'dialing', 'ringing'],
  ended: ['created', 'dialing', 'ringing', 'active'],
  failed: ['created', 'dialing', 'ringing', 'active'],
};

export const isFinal = (status: string) => status === 'ended' || status === 'failed';

type SessionPatch = Omit<Prisma.VoiceSessionUpdateManyMutationInput, 'status' | 'updatedAt'>;
type CallPatch = Omit<Prisma.VoiceCallUpdateManyMutationInput, 'status' | 'updatedAt'>;

/**
 * Moves a session to `to` if its current state allows it (a conditional update, so two racing
 * writers cannot both win), with `patch`, and publishes `voice.session.<to>`. Null when the state
 * did not allow it (the caller answers 409 or ignores a late webhook). Final states stamp `endedAt`.
 */
export async function moveSession(
  tx: VoiceTx,
  session: Pick<VoiceSession, 'id' | 'tenantId'>,
  to: SessionStatus,
  patch: SessionPatch = {},
): Promise<VoiceSession | null> {
  const now = new Date();
  const { count } = await tx.voiceSession.updateMany({
    where: { id: session.id, tenantId: session.tenantId, status: { in: [...SESSION_FROM[to]] } },
    data: { ...(isFinal(to) ? { endedAt: now } : {}), ...patch, status: to },
  });
  if (count === 0) {
    return null;
  }
  const row = await tx.voiceSession.findUniqueOrThrow({ where: { id: session.id } });
  await publishVoiceEvent(
    tx,
    { kind: 'session', id: row.id, tenantId: row.tenantId, status: row.status },
    { kind: `voice.session.${to}`, reason: row.statusReason },
  );
  return row;
}

/**
 * The session's agent joined (its webhook or the worker's claim): a starting session becomes active;
 * one still `created` (its start dispatched, not yet committed) gets the join stamped, and the start
 * makes it active. Every write is conditional, so a start committing meanwhile is never missed: under
 * READ COMMITTED the stamp waits for the start's row lock and then finds the row `starting`, and the
 * move is tried again.
 */
export async function sessionAgentJoined(tx: VoiceTx, session: VoiceSession): Promise<VoiceSession> {
  if (isFinal(session.status)) {
    return session;
  }
  const joinedAt = new Date();
  const active = await moveSession(tx, session, 'active', { agentJoinedAt: joinedAt });
  if (active) {
    return active;
  }
  const { count } = await tx.voiceSession.updateMany({
    where: { id: session.id, status: 'created', agentJoinedAt: null },
    data: { agentJoinedAt: joinedAt },
  });
  if (count === 0) {
    const late = await moveSession(tx, session, 'active', { agentJoinedAt: joinedAt });
    if (late) {
      return late;
    }
  }
  return tx.voiceSession.findUniqueOrThrow({ where: { id: session.id } });
}

/** `moveSession` for calls: `voice.call.<to>` carries the SIP status when there is one. */
export async function moveCall(
  tx: VoiceTx,
  call: Pick<VoiceCall, 'id' | 'tenantId'>,
  to: CallStatus,
  patch: CallPatch = {},
): Promise<VoiceCall | null> {
  const now = new Date();
  const { count } = await tx.voiceCall.updateMany({
    where: { id: call.id, tenantId: call.tenantId, status: { in: [...CALL_FROM[to]] } },
    data: {
      ...(isFinal(to) ? { endedAt: now } : {}),
      ...(to === 'active' ? { answeredAt: now } : {}),
      ...patch,
      status: to,
    },
  });
  if (count === 0) {
    return null;
  }
  const row = await tx.voiceCall.findUniqueOrThrow({ where: { id: call.id } });
  await publishVoiceEvent(
    tx,
    { kind: 'call', id: row.id, tenantId: row.tenantId, status: row.status },
    {
      kind: `voice.call.${to}`,
      reason: row.statusReason,
      sipStatusCode: row.sipStatusCode,
      sipStatus: row.sipStatus,
    },
  );
  return row;
}

import { type WebhookEvent, WebhookReceiver } from 'livekit-server-sdk';
import type { VoiceCall, VoiceSession } from '../../../generated/prisma/client.js';
import { BadRequestError, isUniqueViolation, UnauthenticatedError } from '../../kernel/errors.js';
import type { VoiceCtx, VoiceTx } from '../db.js';
import { publishVoiceEvent, type VoiceTarget } from '../events/voice-event.js';
import { isFinal, moveCall, moveSession, sessionAgentJoined } from '../lifecycle.js';
import { requireLiveKit } from '../livekit.js';

/** LiveKit's participant kinds (`ParticipantInfo.Kind`), by number as the webhook carries them. */
const PARTICIPANT_KINDS: Record<number, string> = {
  0: 'STANDARD',
  1: 'INGRESS',
  2: 'EGRESS',
  3: 'SIP',
  4: 'AGENT',
  7: 'CONNECTOR',
};

export interface WebhookOutcome {
  /** The event's name (`participant_joined` …). */
  event: string;
  /** False when this event id was applied before (a redelivery): nothing changed. */
  applied: boolean;
}

const receivers = new WeakMap<object, WebhookReceiver>();

/** The event, if its signature (a JWT of our API key, carrying the body's SHA-256) holds; else 401. */
async function verified(
  ctx: VoiceCtx,
  body: string,
  signature: string | null | undefined,
): Promise<WebhookEvent> {
  const livekit = requireLiveKit(ctx.config, 'LiveKit webhooks');
  let receiver = receivers.get(livekit);
  if (!receiver) {
    receiver = new WebhookReceiver(livekit.apiKey, livekit.apiSecret);
    receivers.set(livekit, receiver);
  }
  if (!signature) {
    throw new UnauthenticatedError('Missing webhook signature (the Authorization header).');
  }
  // LiveKit sends the bare JWT; accept a `Bearer ` prefix as proxies sometimes add one.
  const token = signature.replace(/^Bearer\s+/i, '');
  try {
    return await receiver.receive(body, token);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new BadRequestError('Webhook body is not JSON.');
    }
    throw new UnauthenticatedError('Invalid webhook signature.');
  }
}

const sessionTarget = (s: VoiceSession): VoiceTarget => ({
  kind: 'session',
  id: s.id,
  tenantId: s.tenantId,
  status: s.status,
});
const callTarget = (c: VoiceCall): VoiceTarget => ({
  kind: 'call',
  id: c.id,
  tenantId: c.tenantId,
  status: c.status,
});

/** Applies one event to the session or call whose room it names; rooms that are not ours are ignored. */
async function apply(tx: VoiceTx, event: WebhookEvent): Promise<void> {
  const roomName = event.room?.name ?? '';
  if (!roomName) {
    return;
  }
  // The row is locked before anything is published: the dial job and the state changes lock the
  // row and then its event stream, and the same order here keeps PostgreSQL free of deadlocks
  // (a participant event published first, then a move, deadlocked against a dial ending).
  const [lockedSession] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM voice_session WHERE "roomName" = ${roomName} FOR UPDATE`;
  const [lockedCall] = lockedSession
    ? []
    : await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM voice_call WHERE "roomName" = ${roomName} FOR UPDATE`;
  const session = lockedSession
    ? await tx.voiceSession.findUnique({ where: { id: lockedSession.id } })
    : null;
  const call = lockedCall ? await tx.voiceCall.findUnique({ where: { id: lockedCall.id } }) : null;
  if (!session && !call) {
    return;
  }
  const participant = event.participant;
  const kind = participant ? (PARTICIPANT_KINDS[participant.kind] ?? String(participant.kind)) : null;
  switch (event.event) {
    case 'participant_joined': {
      if (!participant) {
        return;
      }
      if (session) {
        await publishVoiceEvent(tx, sessionTarget(session), {
          kind: 'voice.participant.joined',
          participantIdentity: participant.identity,
          participantKind: kind,
        });
        if (kind === 'AGENT') {
          await sessionAgentJoined(tx, session);
        }
        return;
      }
      if (call) {
        await publishVoiceEvent(tx, callTarget(call), {
          kind: 'voice.participant.joined',
          participantIdentity: participant.identity,
          participantKind: kind,
        });
        if (kind === 'AGENT' && !call.agentJoinedAt) {
          await tx.voiceCall.update({ where: { id: call.id }, data: { agentJoinedAt: new Date() } });
        }
        if (kind === 'SIP') {
          const sipStatus = participant.attributes['sip.callStatus'];
          if (sipStatus === 'ringing') {
            await moveCall(tx, call, 'ringing');
          } else if (sipStatus === 'active') {
            await moveCall(tx, call, 'active');
          }
        }
      }
      return;
    }
    case 'participant_left':
    case 'participant_connection_aborted': {
      if (!participant) {
        return;
      }
      const target = session ? sessionTarget(session) : callTarget(call as VoiceCall);
      await publishVoiceEvent(tx, target, {
        kind: 'voice.participant.left',
        participantIdentity: participant.identity,
        participantKind: kind,
      });
      // The callee hanging up ends the call.
      if (call && kind === 'SIP' && !isFinal(call.status)) {
        await moveCall(tx, call, 'ended', { statusReason: 'hangup' });
      }
      return;
    }
    case 'room_finished': {
      // Only what is live ends: a room deleted by a failed start (or emptied before one) leaves a
      // `created` session or call as it was.
      if (session && (session.status === 'starting' || session.status === 'active')) {
        await moveSession(tx, session, 'ended', { statusReason: 'room_finished' });
      }
      if (call && call.status !== 'created' && !isFinal(call.status)) {
        await moveCall(tx, call, 'ended', { statusReason: 'room_finished' });
      }
      return;
    }
    default:
      return;
  }
}

/**
 * `POST /api/webhooks/livekit`: verifies the signature (401 and nothing changed when it fails),
 * then applies the event once, by its id, in one transaction with the record of its id, so a
 * redelivered event (LiveKit retries) is acknowledged without being applied again.
 */
export async function receiveLiveKitWebhook(
  ctx: VoiceCtx,
  body: string,
  signature: string | null | undefined,
): Promise<WebhookOutcome> {
  const event = await verified(ctx, body, signature);
  if (!event.id) {
    throw new BadRequestError('Webhook event has no id.');
  }
  try {
    await ctx.db.$transaction(async (tx) => {
      await tx.voiceWebhookEvent.create({
        data: { id: event.id, event: event.event, roomName: event.room?.name || null },
      });
      await apply(tx, event);
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      return { event: event.event, applied: false };
    }
    throw error;
  }
  return { event: event.event, applied: true };
}

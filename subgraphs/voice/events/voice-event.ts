import { recordActivity } from '../../kernel/activity.js';
import { publishEvent } from '../../kernel/event-bus.js';
import type { VoiceTx } from '../db.js';

/** Topics voice publishes: one durable stream per session and per call, replayable by cursor. */
export const sessionStream = (sessionId: string) => `voice-session:${sessionId}`;
export const callStream = (callId: string) => `voice-call:${callId}`;

/**
 * What happened: `voice.session.<status>` / `voice.call.<status>` (a state change),
 * `voice.participant.joined` / `voice.participant.left`, `voice.transcript` (one line said).
 */
export type VoiceEventKind =
  | `voice.session.${string}`
  | `voice.call.${string}`
  | 'voice.participant.joined'
  | 'voice.participant.left'
  | 'voice.transcript';

/** The payload stored for every voice event (also the GraphQL `VoiceEvent`, less its cursor). */
export interface VoiceEventPayload {
  kind: VoiceEventKind;
  sessionId: string | null;
  callId: string | null;
  /** The session's or call's status after the event. */
  status: string;
  reason: string | null;
  sipStatusCode: number | null;
  sipStatus: string | null;
  participantIdentity: string | null;
  /** STANDARD, AGENT or SIP. */
  participantKind: string | null;
  /** Transcript lines: who spoke (`user`, `assistant`) and what. */
  role: string | null;
  text: string | null;
  timestamp: string;
}

/** The session or call an event is about. */
export type VoiceTarget =
  | { kind: 'session'; id: string; tenantId: string; status: string }
  | { kind: 'call'; id: string; tenantId: string; status: string };

/**
 * Publishes one event on the target's stream, inside the transaction that made the change; state
 * changes are entries of the tenant's activity feed too.
 */
export async function publishVoiceEvent(
  tx: VoiceTx,
  target: VoiceTarget,
  event: Partial<Omit<VoiceEventPayload, 'sessionId' | 'callId' | 'status' | 'timestamp'>> & {
    kind: VoiceEventKind;
  },
): Promise<void> {
  const payload: VoiceEventPayload = {
    sessionId: target.kind === 'session' ? target.id : null,
    callId: target.kind === 'call' ? target.id : null,
    status: target.status,
    reason: null,
    sipStatusCode: null,
    sipStatus: null,
    participantIdentity: null,
    participantKind: null,
    role: null,
    text: null,
    ...event,
    timestamp: new Date().toISOString(),
  };
  const stream = target.kind === 'session' ? sessionStream(target.id) : callStream(target.id);
  await publishEvent(tx, { stream, type: event.kind, tenantId: target.tenantId, payload: { ...payload } });
  if (event.kind.startsWith('voice.session.') || event.kind.startsWith('voice.call.')) {
    // Voice changes come from LiveKit's webhooks and the worker as often as from requests: no actor.
    await recordActivity(tx, null, {
      tenantId: target.tenantId,
      action: event.kind,
      objectType: target.kind === 'session' ? 'voice_session' : 'voice_call',
      objectId: target.id,
      status: target.status === 'failed' ? 'failure' : 'success',
      metadata: {
        status: payload.status,
        reason: payload.reason,
        sip_status_code: payload.sipStatusCode,
        sip_status: payload.sipStatus,
      },
    });
  }
}

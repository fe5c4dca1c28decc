import type { VoiceCall } from '../../../generated/prisma/client.js';
import { createContext } from '../../kernel/context.js';
import { type ClaimedJob, type JobHandler, PermanentJobError } from '../../kernel/jobs.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { VoiceCtx } from '../db.js';
import { isFinal, moveCall } from '../lifecycle.js';
import { type LiveKit, liveKit, sipFailure } from '../livekit.js';
import { DIAL_QUEUE, type DialJobPayload, deleteRoomQuietly } from './call.service.js';

/** Dials placed at once by one process. */
const DIAL_CONCURRENCY = 4;

/** Starts this process's dialers; the subgraph stops them on close. */
export async function startDialer(kernel: Kernel): Promise<() => Promise<void>> {
  const ctx = (await createContext(kernel, {})) as unknown as VoiceCtx;
  return kernel.jobs.work(DIAL_QUEUE, dialHandler(ctx), DIAL_CONCURRENCY);
}

/** Why a dial failed, from its SIP response code. */
export function sipReason(code: number): string {
  switch (code) {
    case 486:
    case 600:
      return 'busy';
    case 480:
    case 408:
    case 487:
      return 'no_answer';
    case 603:
    case 403:
    case 607:
      return 'rejected';
    case 404:
    case 484:
    case 604:
      return 'invalid_number';
    default:
      return code >= 500 && code < 600 ? 'carrier_error' : `sip_${code}`;
  }
}

/** The callee's participant identity in the call's room. */
export const calleeIdentity = (callId: string) => `callee-${callId}`;

function payloadOf(job: ClaimedJob): DialJobPayload {
  const p = job.payload as Partial<DialJobPayload> | null;
  if (!p || typeof p.callId !== 'string') {
    throw new PermanentJobError('malformed dial job');
  }
  return { callId: p.callId };
}

/**
 * One dial of a `dialing` call. At most one dial per call, ever: the call is claimed first (its
 * callee identity set while still null), so a job run again after a crash finds it claimed and fails
 * the call `dial_interrupted` instead of ringing the callee twice. Answered: `active`. A SIP failure:
 * `failed` with its code and reason (busy, no_answer, rejected …); any other LiveKit failure:
 * `failed` `livekit_error`; either way the room goes (the agent leaves). Webhooks may move the call
 * meanwhile (ringing, active, ended): a transition refused by the state machine is not an error.
 */
export function dialHandler(ctx: VoiceCtx): JobHandler {
  return {
    async run(job) {
      const { callId } = payloadOf(job);
      const call = await ctx.db.voiceCall.findUnique({ where: { id: callId } });
      if (call?.status !== 'dialing' || !call.trunkId) {
        return; // stopped (or gone) before its dial ran
      }
      const identity = calleeIdentity(call.id);
      const claimed = await ctx.db.voiceCall.updateMany({
        where: { id: call.id, status: 'dialing', participantIdentity: null },
        data: { participantIdentity: identity },
      });
      const livekit = liveKit(ctx.config);
      if (claimed.count === 0) {
        // A previous run of this job got this far: it may have dialled. Never dial again; a call
        // still dialing (not answered, by what webhooks told) is failed.
        const now = await ctx.db.voiceCall.findUnique({ where: { id: call.id }, select: { status: true } });
        const moved =
          now?.status === 'dialing'
            ? await ctx.db.$transaction((tx) =>
                moveCall(tx, call, 'failed', { statusReason: 'dial_interrupted' }),
              )
            : null;
        if (moved && livekit) {
          await dropRoom(ctx, livekit, call);
        }
        return;
      }
      if (!livekit) {
        await ctx.db.$transaction((tx) =>
          moveCall(tx, call, 'failed', { statusReason: 'livekit_not_configured' }),
        );
        return;
      }
      let answered: { sipCallId: string; participantId: string };
      try {
        const info = await livekit.sip.createSipParticipant(call.trunkId, call.toNumber, call.roomName, {
          ...(call.fromNumber ? { fromNumber: call.fromNumber } : {}),
          participantIdentity: identity,
          participantName: call.toNumber,
          participantMetadata: JSON.stringify({ tenant_id: call.tenantId, call_id: call.id }),
          waitUntilAnswered: true,
          ringingTimeout: ctx.config.VOICE_RINGING_TIMEOUT_SECONDS,
          maxCallDuration: ctx.config.VOICE_MAX_CALL_DURATION_SECONDS,
          playDialtone: false,
        });
        answered = { sipCallId: info.sipCallId, participantId: info.participantId };
      } catch (error) {
        await failDial(ctx, livekit, call, error);
        return;
      }
      const moved = await ctx.db.$transaction((tx) => moveCall(tx, call, 'active', answered));
      if (moved) {
        return;
      }
      // A webhook got there first (active) or the call ended meanwhile: keep the SIP ids, and
      // hang up a callee who answered a call that is over.
      await ctx.db.voiceCall.updateMany({ where: { id: call.id, sipCallId: null }, data: answered });
      const now = await ctx.db.voiceCall.findUnique({ where: { id: call.id }, select: { status: true } });
      if (!now || isFinal(now.status)) {
        await dropRoom(ctx, livekit, call);
      }
    },
  };
}

/** The dial failed: the call is `failed` with why, and its room goes. */
async function failDial(ctx: VoiceCtx, livekit: LiveKit, call: VoiceCall, error: unknown): Promise<void> {
  const sip = sipFailure(error);
  const patch = sip
    ? { statusReason: sipReason(sip.code), sipStatusCode: sip.code, sipStatus: sip.status }
    : { statusReason: 'livekit_error' };
  await ctx.db.$transaction((tx) => moveCall(tx, call, 'failed', patch));
  await dropRoom(ctx, livekit, call);
  if (!sip) {
    // Kept short on the job (its lastError) and in the log; the call says `livekit_error`.
    const message = error instanceof Error ? error.message : String(error);
    throw new PermanentJobError(`dial failed: ${message.slice(0, 200)}`);
  }
}

async function dropRoom(ctx: VoiceCtx, livekit: LiveKit, call: VoiceCall): Promise<void> {
  await deleteRoomQuietly(livekit, call.roomName).catch((error: unknown) =>
    ctx.log.warn({ room: call.roomName, err: String(error) }, 'could not delete the room of a failed call'),
  );
}

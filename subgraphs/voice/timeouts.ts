import { createContext } from '../kernel/context.js';
import type { Kernel } from '../kernel/kernel.js';
import type { VoiceCtx } from './db.js';
import { moveCall, moveSession } from './lifecycle.js';
import { isLiveKitNotFound, liveKit } from './livekit.js';

/** Sessions and calls failed per sweep at most (the rest wait for the next one). */
const SWEEP_BATCH = 100;

/**
 * Fails what waited too long for its agent: a session `starting`, or an outbound call dialing,
 * ringing or active, whose dispatched agent has not joined within VOICE_AGENT_JOIN_TIMEOUT_MS, is
 * `failed` with reason `agent_not_joined` and its room deleted (the caller does not sit in a room
 * with nobody to answer). Each replica sweeps; the conditional state change lets one win per row.
 */
export async function sweepAgentTimeouts(ctx: VoiceCtx, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - ctx.config.VOICE_AGENT_JOIN_TIMEOUT_MS);
  const rooms: string[] = [];
  const sessions = await ctx.db.voiceSession.findMany({
    where: { status: 'starting', agentJoinedAt: null, startedAt: { lt: cutoff } },
    select: { id: true, tenantId: true, roomName: true },
    take: SWEEP_BATCH,
  });
  for (const session of sessions) {
    const moved = await ctx.db.$transaction((tx) =>
      moveSession(tx, session, 'failed', { statusReason: 'agent_not_joined' }),
    );
    if (moved) {
      rooms.push(session.roomName);
    }
  }
  const calls = await ctx.db.voiceCall.findMany({
    where: {
      direction: 'outbound',
      status: { in: ['dialing', 'ringing', 'active'] },
      agentJoinedAt: null,
      dialStartedAt: { lt: cutoff },
    },
    select: { id: true, tenantId: true, roomName: true },
    take: SWEEP_BATCH,
  });
  for (const call of calls) {
    const moved = await ctx.db.$transaction((tx) =>
      moveCall(tx, call, 'failed', { statusReason: 'agent_not_joined' }),
    );
    if (moved) {
      rooms.push(call.roomName);
    }
  }
  const livekit = liveKit(ctx.config);
  for (const room of livekit ? rooms : []) {
    await livekit?.rooms.deleteRoom(room).catch((error: unknown) => {
      if (!isLiveKitNotFound(error)) {
        ctx.log.warn({ room, err: String(error) }, 'could not delete the room of a timed-out agent');
      }
    });
  }
  return rooms.length;
}

/** Runs `sweepAgentTimeouts` every quarter of the timeout (0.1–5 s) in this process. */
export async function startAgentTimeouts(kernel: Kernel): Promise<() => Promise<void>> {
  const ctx = (await createContext(kernel, {})) as unknown as VoiceCtx;
  const every = Math.min(5000, Math.max(100, Math.floor(kernel.config.VOICE_AGENT_JOIN_TIMEOUT_MS / 4)));
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) {
      return;
    }
    running = sweepAgentTimeouts(ctx)
      .catch((error: unknown) => kernel.log.warn({ err: String(error) }, 'voice timeout sweep failed'))
      .finally(() => {
        running = null;
      });
  }, every);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

import { BadRequestError, NotFoundError } from '../../kernel/errors.js';
import { mapEvents } from '../../kernel/event-bus.js';
import { requireUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { VoiceCtx } from '../db.js';
import { callStream, sessionStream, type VoiceEventPayload } from './voice-event.js';

export type VoiceEventView = VoiceEventPayload & { cursor: string };

function cursorOf(after: string | null | undefined): bigint | null {
  if (after == null) {
    return null;
  }
  if (!/^\d{1,18}$/.test(after)) {
    throw new BadRequestError('Invalid event cursor.');
  }
  return BigInt(after);
}

/**
 * The events of one of the tenant's sessions or calls: replayed after `after` (the last cursor
 * seen; `0` replays from the start), then live. Another tenant's id is NOT_FOUND.
 */
export async function subscribeVoiceEvents(
  ctx: VoiceCtx,
  target: { kind: 'session' | 'call'; id: string },
  after: string | null | undefined,
): Promise<AsyncIterableIterator<VoiceEventView>> {
  const { tenantId } = actingTenant(ctx);
  const argument = target.kind === 'session' ? 'sessionId' : 'callId';
  const id = requireUuid(target.id, argument);
  const cursor = cursorOf(after);
  const found =
    target.kind === 'session'
      ? await ctx.db.voiceSession.findFirst({ where: { id, tenantId }, select: { id: true } })
      : await ctx.db.voiceCall.findFirst({ where: { id, tenantId }, select: { id: true } });
  if (!found) {
    throw new NotFoundError(target.kind === 'session' ? 'Session' : 'Call', target.id);
  }
  const source = ctx.bus.subscribe<VoiceEventPayload>(
    target.kind === 'session' ? sessionStream(id) : callStream(id),
    cursor,
  );
  return mapEvents(source, (e) => ({ ...e.payload, cursor: e.seq.toString() }));
}

import type { EventBus } from '../../kernel/event-bus.js';
import type { Logger } from '../../kernel/logger.js';

/** The event-bus stream of one chat turn (its `stream_id` is the turn id); seq = `event_id`. */
export const chatStream = (turnId: string) => `chat:${turnId}`;
/** Control messages to the replica running a turn (cancel). */
export const chatControlStream = (turnId: string) => `chat-control:${turnId}`;

/** The frame kinds that end a turn's stream. */
export const TERMINAL_KINDS: ReadonlySet<string> = new Set(['final', 'error']);

/**
 * One `public_sse_v1` frame as stored: everything but `event_id`, which is the event's sequence
 * number in the turn's stream (known once stored; the reader adds it).
 */
export type StoredFrame = Record<string, unknown> & { kind: string };

interface Queued {
  frame: StoredFrame;
}

/**
 * Writes a turn's frames to the event store, in order, as they happen. Consecutive text deltas of
 * one item that pile up while a write is in flight are merged into one frame, so a fast model costs
 * one write per round trip, not one per token; the first delta goes out at once.
 */
export class TurnStream {
  private queue: Queued[] = [];
  private pumping: Promise<void> | null = null;
  private failure: unknown = null;
  /** Frames written (after merging). */
  written = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly log: Logger,
    readonly base: { streamId: string; conversationId: string; tenantId: string },
    public agent: string | null,
  ) {}

  /** Queues a frame with the common fields; `message.delta` frames may merge with the last queued one. */
  emit(kind: string, fields: Record<string, unknown> = {}) {
    const frame: StoredFrame = {
      schema: 'public_sse_v1',
      stream_id: this.base.streamId,
      server_timestamp: new Date().toISOString(),
      conversation_id: this.base.conversationId,
      response_id: null,
      agent: this.agent,
      ...fields,
      kind,
    };
    const last = this.queue.at(-1)?.frame;
    if (
      kind === 'message.delta' &&
      last?.kind === 'message.delta' &&
      last.item_id === frame.item_id &&
      last.content_index === frame.content_index &&
      last.agent === frame.agent
    ) {
      last.delta = `${String(last.delta)}${String(frame.delta)}`;
    } else {
      this.queue.push({ frame });
    }
    this.pumping ??= this.pump();
  }

  private async pump() {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (!next) {
          return;
        }
        try {
          await this.bus.publish({
            stream: chatStream(this.base.streamId),
            type: next.frame.kind,
            tenantId: this.base.tenantId,
            payload: next.frame as never,
          });
          this.written++;
        } catch (error) {
          this.failure ??= error;
          this.log.error({ err: error, stream: this.base.streamId }, 'chat frame not stored');
        }
      }
    } finally {
      this.pumping = null;
    }
  }

  /** Resolves once every queued frame is stored; throws the first storage failure. */
  async drain(): Promise<void> {
    while (this.pumping) {
      await this.pumping;
    }
    if (this.failure) {
      throw this.failure;
    }
  }
}

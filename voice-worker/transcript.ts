/**
 * Batches transcript lines and sends them to the platform: at most every `intervalMs` (one second
 * by default), at most MAX_BATCH lines a request, one request at a time, in order. A failed send is
 * kept and retried on the next tick (at most MAX_PENDING lines are kept; the oldest go first).
 * `close()` flushes what is left, for the job's shutdown.
 */
import type { TranscriptLine } from './platform-client.js';

/** What recordVoiceTranscript takes per call, and per line. */
export const MAX_BATCH = 50;
export const MAX_TEXT = 8000;
/** Lines kept while the platform cannot be reached. */
export const MAX_PENDING = 2000;

export interface TranscriptWriterOptions {
  send: (lines: TranscriptLine[]) => Promise<unknown>;
  intervalMs?: number;
  onError?: (error: unknown) => void;
  /** Attempts of the final flush at close. */
  closeAttempts?: number;
}

export class TranscriptWriter {
  private pending: TranscriptLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Lines dropped because the platform stayed unreachable. */
  dropped = 0;

  constructor(private readonly options: TranscriptWriterOptions) {
    this.timer = setInterval(() => {
      void this.flush();
    }, options.intervalMs ?? 1000);
    this.timer.unref?.();
  }

  /** Queues one line (blank text is ignored; long text is cut to what the platform takes). */
  add(role: 'user' | 'assistant', text: string | undefined, at: Date = new Date()): void {
    const trimmed = (text ?? '').trim();
    if (!trimmed || this.closed) {
      return;
    }
    this.pending.push({ role, text: trimmed.slice(0, MAX_TEXT), at: at.toISOString() });
    if (this.pending.length > MAX_PENDING) {
      this.dropped += this.pending.length - MAX_PENDING;
      this.pending.splice(0, this.pending.length - MAX_PENDING);
    }
  }

  get size(): number {
    return this.pending.length;
  }

  /** Sends everything queued, batch by batch; stops at the first failure (kept for the next try). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.slice(0, MAX_BATCH);
      try {
        await this.options.send(batch);
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      this.pending.splice(0, batch.length);
    }
  }

  /** Stops the timer and flushes what is left (retrying a few times). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    const attempts = this.options.closeAttempts ?? 3;
    for (let i = 0; i < attempts && (this.pending.length || this.flushing); i++) {
      await this.flushing;
      await this.flush();
    }
  }
}

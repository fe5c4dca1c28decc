/** One SSE frame: its `id:` and its `data:` parsed as JSON. */
export interface SseFrame<T = Record<string, unknown>> {
  id: string | null;
  event: string | null;
  data: T;
}

/**
 * Reads SSE frames from a fetch response until `stop(frame)` says so, the stream ends, or the
 * timeout passes; with `cancel`, the connection is closed after the last frame read (a client that
 * drops mid-stream). Comments (heartbeats) are skipped.
 */
export async function readSse<T = Record<string, unknown>>(
  res: Response,
  options: {
    stop?: (frame: SseFrame<T>, all: SseFrame<T>[]) => boolean;
    timeoutMs?: number;
    cancel?: boolean;
  } = {},
): Promise<SseFrame<T>[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame<T>[] = [];
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), options.timeoutMs ?? 15_000);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      let stopped = false;
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const lines = block.split('\n');
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
        if (!data.length) {
          continue;
        }
        const frame: SseFrame<T> = {
          id: lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null,
          event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null,
          data: JSON.parse(data.join('\n')) as T,
        };
        frames.push(frame);
        if (options.stop?.(frame, frames)) {
          stopped = true;
          break;
        }
      }
      if (stopped) {
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    if (options.cancel !== false) {
      await reader.cancel().catch(() => undefined);
    }
  }
  return frames;
}

import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database, DbTx } from './db.js';
import type { Logger } from './logger.js';

const CHANNEL = 'platform_events';

/** One stored event of a stream. `seq` is strictly increasing per stream and is the resume cursor. */
export interface StoredEvent<P = unknown> {
  stream: string;
  seq: bigint;
  type: string;
  tenantId: string | null;
  payload: P;
  createdAt: Date;
}

export interface PublishInput {
  stream: string;
  type: string;
  tenantId?: string | null;
  payload: Prisma.InputJsonValue;
}

/**
 * Appends an event inside the caller's transaction. The counter row's lock serialises writers of
 * one stream, so readers see sequence numbers appear in order; `pg_notify` is delivered on commit.
 */
export async function publishEvent(tx: DbTx, input: PublishInput): Promise<bigint> {
  const [row] = await tx.$queryRaw<{ lastSeq: bigint }[]>`
    INSERT INTO event_stream (stream, "lastSeq") VALUES (${input.stream}, 1)
    ON CONFLICT (stream) DO UPDATE SET "lastSeq" = event_stream."lastSeq" + 1
    RETURNING "lastSeq"`;
  if (!row) {
    throw new Error('event sequence not allocated');
  }
  await tx.event.create({
    data: {
      stream: input.stream,
      seq: row.lastSeq,
      type: input.type,
      tenantId: input.tenantId ?? null,
      payload: input.payload,
    },
  });
  await tx.$executeRaw`SELECT pg_notify(${CHANNEL}, ${input.stream})`;
  return row.lastSeq;
}

/** An async iterator whose `return()` detaches at once (an async generator would wait for the next event). */
class Subscription<P> implements AsyncIterableIterator<StoredEvent<P>> {
  private queue: StoredEvent<P>[] = [];
  private waiting: ((r: IteratorResult<StoredEvent<P>>) => void) | null = null;
  private failure: ((e: unknown) => void) | null = null;
  done = false;

  constructor(
    public cursor: bigint,
    private readonly onClose: (s: Subscription<P>) => void,
  ) {}

  push(event: StoredEvent<P>) {
    if (this.done || event.seq <= this.cursor) {
      return;
    }
    this.cursor = event.seq;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      this.failure = null;
      resolve({ value: event, done: false });
    } else {
      this.queue.push(event);
    }
  }

  fail(error: unknown) {
    this.failure?.(error);
    void this.return();
  }

  next(): Promise<IteratorResult<StoredEvent<P>>> {
    const event = this.queue.shift();
    if (event) {
      return Promise.resolve({ value: event, done: false });
    }
    if (this.done) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failure = reject;
    });
  }

  return(): Promise<IteratorResult<StoredEvent<P>>> {
    if (!this.done) {
      this.done = true;
      this.queue = [];
      this.onClose(this);
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** The subscribers of one stream in this process; reads new rows once per notification for all of them. */
class StreamHub {
  readonly subscribers = new Set<Subscription<unknown>>();
  private cursor: bigint | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly stream: string,
    private readonly bus: EventBus,
  ) {}

  private enqueue(work: () => Promise<void>) {
    this.chain = this.chain.then(work).catch((error) => {
      this.bus.log.error({ err: error, stream: this.stream }, 'event stream read failed');
      for (const s of this.subscribers) {
        s.fail(error);
      }
    });
  }

  add(sub: Subscription<unknown>, after: bigint | null) {
    this.subscribers.add(sub);
    this.enqueue(async () => {
      if (this.cursor === null) {
        this.cursor = await this.bus.headOf(this.stream);
      }
      if (after === null) {
        sub.cursor = this.cursor;
        return;
      }
      sub.cursor = after;
      if (after < this.cursor) {
        for (const event of await this.bus.read(this.stream, after, this.cursor)) {
          sub.push(event);
        }
      }
    });
  }

  notify() {
    this.enqueue(async () => {
      if (this.cursor === null) {
        return;
      }
      for (const event of await this.bus.read(this.stream, this.cursor)) {
        this.cursor = event.seq;
        for (const sub of this.subscribers) {
          sub.push(event);
        }
      }
    });
  }
}

/**
 * The event bus: a durable event table plus notification of new rows. PostgreSQL delivers
 * notifications across processes through LISTEN/NOTIFY; the embedded PGlite delivers them in process.
 */
export class EventBus {
  private readonly hubs = new Map<string, StreamHub>();
  private readonly emitter = new EventEmitter();
  private listener: pg.Client | null = null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    readonly log: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const onNotify = (stream: string) => this.hubs.get(stream)?.notify();
    if (this.database.kind === 'postgres' && this.database.url) {
      const client = new pg.Client({ connectionString: this.database.url });
      client.on('error', (error) => this.log.error({ err: error }, 'event bus listener failed'));
      await client.connect();
      client.on('notification', (msg) => msg.payload && onNotify(msg.payload));
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
    } else if (this.database.pglite) {
      this.unlisten = await this.database.pglite.listen(CHANNEL, onNotify);
    }
  }

  async stop(): Promise<void> {
    for (const hub of this.hubs.values()) {
      for (const sub of hub.subscribers) {
        await sub.return();
      }
    }
    await this.unlisten?.();
    await this.listener?.end();
  }

  /** Events of a stream after `after` (exclusive), up to `upTo` (inclusive) when given. */
  async read(stream: string, after: bigint, upTo?: bigint): Promise<StoredEvent[]> {
    const rows = await this.database.prisma.event.findMany({
      where: { stream, seq: upTo === undefined ? { gt: after } : { gt: after, lte: upTo } },
      orderBy: { seq: 'asc' },
      take: 1000,
    });
    return rows.map((r) => ({ ...r, payload: r.payload as unknown }));
  }

  async headOf(stream: string): Promise<bigint> {
    const row = await this.database.prisma.eventStream.findUnique({ where: { stream } });
    return row?.lastSeq ?? 0n;
  }

  /**
   * Subscribes to a stream. With `after`, replays stored events after that cursor first; without it,
   * starts at the current head. No event is lost or repeated across a resubscribe with the last cursor.
   */
  subscribe<P = unknown>(stream: string, after: bigint | null = null): AsyncIterableIterator<StoredEvent<P>> {
    let hub = this.hubs.get(stream);
    if (!hub) {
      hub = new StreamHub(stream, this);
      this.hubs.set(stream, hub);
    }
    const owner = hub;
    const sub = new Subscription<unknown>(after ?? 0n, (s) => {
      owner.subscribers.delete(s);
      if (owner.subscribers.size === 0) {
        this.hubs.delete(stream);
      }
    });
    hub.add(sub, after);
    return sub as unknown as AsyncIterableIterator<StoredEvent<P>>;
  }

  /** How many subscriptions are open in this process (tests check teardown with it). */
  get subscriberCount(): number {
    let n = 0;
    for (const hub of this.hubs.values()) {
      n += hub.subscribers.size;
    }
    return n;
  }
}

/** Maps an event iterator without an async generator, so `return()` still reaches the source at once. */
export function mapEvents<A, B>(
  source: AsyncIterableIterator<A>,
  map: (value: A) => B,
): AsyncIterableIterator<B> {
  const mapped: AsyncIterableIterator<B> = {
    async next() {
      const r = await source.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: map(r.value) };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}

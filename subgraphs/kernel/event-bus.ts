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

/** PostgreSQL refuses notification payloads of 8000 bytes or more; larger events notify by name. */
const MAX_NOTIFICATION = 7900;

/**
 * The notification of one event: the event itself as JSON (so listeners push it without reading the
 * table), split around its sequence number, which only the database knows when the SQL is built.
 * Null when it would be too large: then the notification is the bare stream name and listeners read.
 */
function notification(input: PublishInput, createdAt: Date): { before: string; after: string } | null {
  const head = JSON.stringify({ s: input.stream, t: input.type, n: input.tenantId ?? null });
  const tail = JSON.stringify({ c: createdAt.toISOString(), p: input.payload });
  const before = `${head.slice(0, -1)},"q":"`;
  const after = `",${tail.slice(1)}`;
  return Buffer.byteLength(before) + Buffer.byteLength(after) + 20 < MAX_NOTIFICATION
    ? { before, after }
    : null;
}

/** An event carried by a notification, or null for a bare stream name (or anything unreadable). */
function eventOfNotification(text: string): StoredEvent | null {
  if (!text.startsWith('{')) {
    return null;
  }
  try {
    const n = JSON.parse(text) as {
      s: string;
      q: string;
      t: string;
      n: string | null;
      c: string;
      p: unknown;
    };
    return {
      stream: n.s,
      seq: BigInt(n.q),
      type: n.t,
      tenantId: n.n,
      payload: n.p,
      createdAt: new Date(n.c),
    };
  } catch {
    return null;
  }
}

/** The stream a notification is about. */
function streamOfNotification(text: string): string | null {
  return text.startsWith('{') ? (eventOfNotification(text)?.stream ?? null) : text;
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
  // Set here rather than by the column default, so the stored row and the notified event agree.
  const createdAt = new Date();
  await tx.event.create({
    data: {
      stream: input.stream,
      seq: row.lastSeq,
      type: input.type,
      tenantId: input.tenantId ?? null,
      payload: input.payload,
      createdAt,
    },
  });
  const note = notification(input, createdAt);
  const text = note ? `${note.before}${row.lastSeq}${note.after}` : input.stream;
  await tx.$executeRaw`SELECT pg_notify(${CHANNEL}, ${text})`;
  return row.lastSeq;
}

/** Rows per read: replay, catch-up and live reads all page (keyset on `seq`) until the head. */
export const EVENT_PAGE_SIZE = 1000;

/**
 * Live events a subscriber may hold undelivered; past that it stops taking pushes and pages from the
 * table instead (after its cursor), so a slow consumer costs memory for one page, not for the backlog.
 */
const MAX_QUEUED = EVENT_PAGE_SIZE;

/**
 * An async iterator whose `return()` detaches at once (an async generator would wait for the next
 * event). Until it has caught up with its hub it reads pages itself, as the consumer pulls; then it
 * takes the events the hub pushes. `cursor` is the last event queued, so the two never overlap.
 */
class Subscription<P> implements AsyncIterableIterator<StoredEvent<P>> {
  private queue: StoredEvent<P>[] = [];
  private waiting: ((r: IteratorResult<StoredEvent<P>>) => void) | null = null;
  private failure: ((e: unknown) => void) | null = null;
  /** Reading from the table instead of taking pushes (replay, or fell behind). */
  catchingUp: boolean;
  private reading = false;
  done = false;

  constructor(
    public cursor: bigint,
    private readonly hub: StreamHub,
    resume: boolean,
  ) {
    this.catchingUp = resume;
  }

  push(event: StoredEvent<P>) {
    if (this.done || this.catchingUp || event.seq <= this.cursor) {
      return;
    }
    if (this.waiting) {
      this.cursor = event.seq;
      const resolve = this.waiting;
      this.waiting = null;
      this.failure = null;
      resolve({ value: event, done: false });
    } else if (this.queue.length >= MAX_QUEUED) {
      this.catchingUp = true;
    } else {
      this.cursor = event.seq;
      this.queue.push(event);
    }
  }

  fail(error: unknown) {
    this.failure?.(error);
    void this.return();
  }

  /** Reads the next page after the cursor; goes live once the page reaches the hub's head. */
  private async catchUp(): Promise<void> {
    this.reading = true;
    try {
      const head = await this.hub.ready;
      const page = await this.hub.bus.read(this.hub.stream, this.cursor);
      if (this.done) {
        return;
      }
      for (const event of page as StoredEvent<P>[]) {
        if (event.seq > this.cursor) {
          this.cursor = event.seq;
          this.queue.push(event);
        }
      }
      // Synchronous with the check: every event up to the hub's cursor has been pushed already,
      // and anything after ours that the hub pushes later is taken (or skipped if already read).
      if (page.length < EVENT_PAGE_SIZE && this.cursor >= (this.hub.cursor ?? head)) {
        this.catchingUp = false;
      }
    } finally {
      this.reading = false;
    }
  }

  async next(): Promise<IteratorResult<StoredEvent<P>>> {
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        return { value: event, done: false };
      }
      if (this.done) {
        return { value: undefined, done: true };
      }
      if (!this.catchingUp || this.reading) {
        break;
      }
      try {
        await this.catchUp();
      } catch (error) {
        void this.return();
        throw error;
      }
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
      this.hub.remove(this as Subscription<unknown>);
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/**
 * The subscribers of one stream in this process: reads new rows once per notification for all of
 * them, page after page until the head, so a burst of any size between two notifications arrives whole.
 */
class StreamHub {
  readonly subscribers = new Set<Subscription<unknown>>();
  /** The last event read and pushed; null until the head is known. */
  cursor: bigint | null = null;
  /** The head when the hub opened (catching-up subscribers wait for it). */
  readonly ready: Promise<bigint>;
  private chain: Promise<void>;
  /** A read is queued and has not started: further notifications are covered by it. */
  private pending = false;

  constructor(
    readonly stream: string,
    readonly bus: EventBus,
    private readonly onEmpty: () => void,
  ) {
    this.ready = bus.headOf(stream).then((head) => {
      this.cursor = head;
      return head;
    });
    // A failed head read surfaces through `enqueue`'s handler and the subscribers' reads.
    this.chain = this.ready.then(() => undefined);
    this.chain.catch(() => undefined);
  }

  private enqueue(work: () => Promise<void>) {
    this.chain = this.chain.then(work).catch((error) => {
      this.bus.log.error({ err: error, stream: this.stream }, 'event stream read failed');
      for (const s of this.subscribers) {
        s.fail(error);
      }
    });
  }

  /**
   * Without `after`, a subscriber is live at once: it takes what the hub reads next, which starts
   * at the head (the hub reads nothing before it knows the head). With `after`, it catches up first.
   */
  add<P>(after: bigint | null): Subscription<P> {
    const sub = new Subscription<P>(after ?? this.cursor ?? 0n, this, after !== null);
    this.subscribers.add(sub as Subscription<unknown>);
    return sub;
  }

  remove(sub: Subscription<unknown>) {
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0) {
      this.onEmpty();
    }
  }

  private pushAll(event: StoredEvent) {
    this.cursor = event.seq;
    for (const sub of this.subscribers) {
      sub.push(event);
    }
  }

  /** Reads pages after the hub's cursor until the head. */
  private async readToHead() {
    for (;;) {
      const page = await this.bus.read(this.stream, this.cursor ?? 0n);
      for (const event of page) {
        this.pushAll(event);
      }
      if (page.length < EVENT_PAGE_SIZE || this.subscribers.size === 0) {
        return;
      }
    }
  }

  /** New rows may exist: read them. */
  notify() {
    if (this.pending) {
      return;
    }
    this.pending = true;
    this.enqueue(async () => {
      this.pending = false;
      await this.readToHead();
    });
  }

  /**
   * A notification carried the event: the next one in sequence is pushed without reading the table;
   * one already read is ignored; after a gap (or before the head is known) the table is read.
   */
  deliver(event: StoredEvent) {
    this.enqueue(async () => {
      if (this.cursor !== null && event.seq <= this.cursor) {
        return;
      }
      if (this.cursor !== null && event.seq === this.cursor + 1n) {
        this.pushAll(event);
        return;
      }
      await this.readToHead();
    });
  }
}

/** Events appended together at most (the statement's JSON stays well under a megabyte at chat sizes). */
const MAX_BATCH = 200;

/** An event waiting for the group commit of `EventBus.publish`. */
interface PendingEvent {
  input: PublishInput;
  createdAt: Date;
  note: { before: string; after: string } | null;
  resolve: (seq: bigint) => void;
  reject: (error: unknown) => void;
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
  private stopped = false;
  private reconnecting = false;

  constructor(
    private readonly database: Database,
    readonly log: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  private readonly onNotify = (text: string) => {
    const stream = streamOfNotification(text);
    const hub = stream === null ? undefined : this.hubs.get(stream);
    if (!hub) {
      return;
    }
    const event = eventOfNotification(text);
    if (event) {
      hub.deliver(event);
    } else {
      hub.notify();
    }
  };

  async start(): Promise<void> {
    if (this.database.kind === 'postgres' && this.database.url) {
      await this.listen(this.database.url);
    } else if (this.database.pglite) {
      this.unlisten = await this.database.pglite.listen(CHANNEL, this.onNotify);
    }
  }

  /** The LISTEN connection; when it ends (the server restarted, the network dropped), it reconnects. */
  private async listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', (error) => this.log.warn({ err: error }, 'event bus listener failed'));
    try {
      await client.connect();
      client.on('notification', (msg) => msg.payload && this.onNotify(msg.payload));
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.once('end', () => this.reconnect(url));
    this.listener = client;
  }

  /**
   * Connects again (backing off up to 5 s) until it listens or the bus stops. Notifications sent in
   * between are lost, so then every open stream reads its table to the head: live subscribers get
   * what was appended meanwhile, none twice (hubs skip what they already pushed).
   */
  private reconnect(url: string) {
    this.listener = null;
    if (this.stopped || this.reconnecting) {
      return;
    }
    this.reconnecting = true;
    void (async () => {
      for (let wait = 100; !this.stopped; wait = Math.min(wait * 2, 5000)) {
        await new Promise((r) => setTimeout(r, wait));
        try {
          await this.listen(url);
          break;
        } catch {
          // still unreachable; try again
        }
      }
      this.reconnecting = false;
      if (this.stopped) {
        await this.listener?.end();
        return;
      }
      this.log.info('event bus listener reconnected');
      for (const hub of this.hubs.values()) {
        hub.notify();
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const hub of this.hubs.values()) {
      for (const sub of hub.subscribers) {
        await sub.return();
      }
    }
    await this.unlisten?.();
    await this.listener?.end();
  }

  /**
   * Appends an event on its own, in one statement (its own transaction): for high-rate streams such
   * as a chat turn's token deltas, where no other write has to commit with the event. The same
   * ordering guarantee as `publishEvent` (the counter row's lock is held until the statement commits).
   *
   * On the embedded PGlite (one connection, one thread), events published while a statement runs
   * wait and go together in the next one (group commit): each statement costs about a millisecond of
   * the one core, so a thousand events a second one at a time would saturate it. PostgreSQL appends
   * one at a time, on as many connections as the pool holds (a multi-stream statement there could
   * deadlock against a transaction locking the same counters in another order).
   */
  publish(input: PublishInput): Promise<bigint> {
    const createdAt = new Date();
    const pending: PendingEvent = {
      input,
      createdAt,
      note: notification(input, createdAt),
      resolve: () => undefined,
      reject: () => undefined,
    };
    const appended = new Promise<bigint>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
    });
    if (this.database.kind !== 'pglite') {
      this.append(pending).then(pending.resolve, pending.reject);
      return appended;
    }
    this.pending.push(pending);
    if (!this.flushing) {
      // From the end of this turn of the event loop: PGlite runs a statement synchronously, so a
      // flush started at once would take this one event alone before the next timer or socket
      // callback could add its own.
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
    return appended;
  }

  private readonly pending: PendingEvent[] = [];
  private flushing = false;

  /** Appends what is pending, a batch per statement, until nothing is; one failed batch goes event by event. */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const seqs = await this.appendMany(batch);
          batch.forEach((p, i) => {
            p.resolve(seqs[i] as bigint);
          });
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
          }
          // One bad event (say, a tenant id that is not a UUID) must not fail those batched with it.
          for (const p of batch) {
            await this.append(p).then(p.resolve, p.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async append(p: PendingEvent): Promise<bigint> {
    const [seq] = await this.appendMany([p]);
    return seq as bigint;
  }

  /**
   * Appends events in one statement: each stream's counter moves by its count (counters
   * locked in stream order), each event gets the next numbers of its stream in publish order, and
   * the notifications go out in publish order. Returns the sequence numbers in input order.
   */
  private async appendMany(batch: readonly PendingEvent[]): Promise<bigint[]> {
    const rows = JSON.stringify(
      batch.map((p) => ({
        stream: p.input.stream,
        type: p.input.type,
        tenantId: p.input.tenantId ?? null,
        payload: p.input.payload,
        createdAt: p.createdAt.toISOString(),
        before: p.note?.before ?? null,
        after: p.note?.after ?? null,
      })),
    );
    const appended = await this.database.prisma.$queryRaw<{ ord: bigint; seq: bigint }[]>`
      WITH input AS (
        SELECT e->>'stream' AS stream, e->>'type' AS type, (e->>'tenantId')::uuid AS "tenantId",
               e->'payload' AS payload, (e->>'createdAt')::timestamptz AS "createdAt",
               e->>'before' AS before, e->>'after' AS after, ord
        FROM jsonb_array_elements(${rows}::jsonb) WITH ORDINALITY AS x(e, ord)
      ), counts AS (
        SELECT stream, count(*)::bigint AS n FROM input GROUP BY stream
      ), allocated AS (
        INSERT INTO event_stream (stream, "lastSeq")
        SELECT stream, n FROM counts ORDER BY stream
        ON CONFLICT (stream) DO UPDATE SET "lastSeq" = event_stream."lastSeq" + excluded."lastSeq"
        RETURNING stream, "lastSeq"
      ), numbered AS (
        SELECT input.*, allocated."lastSeq" - counts.n
               + row_number() OVER (PARTITION BY input.stream ORDER BY input.ord) AS seq
        FROM input JOIN counts USING (stream) JOIN allocated USING (stream)
      ), stored AS (
        INSERT INTO event (stream, seq, type, "tenantId", payload, "createdAt")
        SELECT stream, seq, type, "tenantId", payload, "createdAt" FROM numbered
      )
      SELECT n.ord, n.seq FROM (SELECT * FROM numbered ORDER BY ord) AS n
      CROSS JOIN LATERAL (
        SELECT pg_notify(
          ${CHANNEL},
          CASE WHEN n.before IS NOT NULL THEN n.before || n.seq::text || n.after ELSE n.stream END
        )
      ) AS notified`;
    const seqs: bigint[] = new Array(batch.length);
    for (const row of appended) {
      seqs[Number(row.ord) - 1] = row.seq;
    }
    if (appended.length !== batch.length || seqs.some((s) => s === undefined)) {
      throw new Error('events not appended');
    }
    return seqs;
  }

  /** One page of a stream's events after `after` (exclusive), oldest first, at most `EVENT_PAGE_SIZE`. */
  async read(stream: string, after: bigint): Promise<StoredEvent[]> {
    const rows = await this.database.prisma.event.findMany({
      where: { stream, seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take: EVENT_PAGE_SIZE,
    });
    return rows.map((r) => ({ ...r, payload: r.payload as unknown }));
  }

  async headOf(stream: string): Promise<bigint> {
    const row = await this.database.prisma.eventStream.findUnique({ where: { stream } });
    return row?.lastSeq ?? 0n;
  }

  /**
   * Subscribes to a stream. With `after`, replays stored events after that cursor first (page by page,
   * as the consumer pulls), then goes live; without it, starts at the current head. No event is lost
   * or repeated across a resubscribe with the last cursor.
   */
  subscribe<P = unknown>(stream: string, after: bigint | null = null): AsyncIterableIterator<StoredEvent<P>> {
    let hub = this.hubs.get(stream);
    if (!hub) {
      const created = new StreamHub(stream, this, () => {
        if (this.hubs.get(stream) === created) {
          this.hubs.delete(stream);
        }
      });
      hub = created;
      this.hubs.set(stream, hub);
    }
    return hub.add<P>(after);
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

/**
 * Maps an event iterator without an async generator, so `return()` still reaches the source at once.
 * An event `map` answers null for is skipped.
 */
export function mapEvents<A, B extends object>(
  source: AsyncIterableIterator<A>,
  map: (value: A) => B | null,
): AsyncIterableIterator<B> {
  const mapped: AsyncIterableIterator<B> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done) {
          return { done: true, value: undefined };
        }
        const value = map(r.value);
        if (value !== null) {
          return { done: false, value };
        }
      }
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}

import { z } from 'zod';
import type { ActivityEvent, Prisma } from '../../../generated/prisma/client.js';
import { type ActivityEntry, activityStream } from '../../kernel/activity.js';
import { BadRequestError, NotFoundError } from '../../kernel/errors.js';
import { mapEvents } from '../../kernel/event-bus.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { type ActingTenant, actingTenant } from '../../kernel/viewer.js';
import type { ActivityCtx, ActivityTx } from '../db.js';

export const ACTIVITY_STATUSES = ['success', 'failure', 'pending'] as const;
export const READ_STATES = ['unread', 'read', 'dismissed'] as const;
export type ReadState = (typeof READ_STATES)[number];

/** A feed entry as its reader sees it. */
export interface ActivityView extends ActivityEntry {
  readState: ReadState;
}

/** A live entry: its stream cursor (resume point), always `unread` (the reader's state is not streamed). */
export interface ActivityStreamView extends ActivityView {
  cursor: string;
}

/** One page of the feed, with the reader's unread count. */
export interface ActivityPage extends Page<ActivityView> {
  unreadCount: number;
}

/**
 * The feed is the tenant's (every member who may read it sees every entry); read state is the
 * reader's own, keyed by the credential's subject (a user, or an API key).
 */
function reader(ctx: ActivityCtx): ActingTenant & { reader: string } {
  const acting = actingTenant(ctx);
  return { ...acting, reader: acting.viewer.subject };
}

type Checkpoint = { lastSeenAt: Date; lastSeenEventId: string | null } | null;

/** Entries after the reader's "mark all read" checkpoint (all entries when there is none). */
function afterCheckpoint(checkpoint: Checkpoint): Prisma.ActivityEventWhereInput {
  if (!checkpoint) {
    return {};
  }
  const { lastSeenAt, lastSeenEventId } = checkpoint;
  return {
    OR: [
      { createdAt: { gt: lastSeenAt } },
      ...(lastSeenEventId ? [{ createdAt: lastSeenAt, id: { gt: lastSeenEventId } }] : []),
    ],
  };
}

function atOrBeforeCheckpoint(checkpoint: Checkpoint, event: ActivityEvent): boolean {
  if (!checkpoint) {
    return false;
  }
  const t = event.createdAt.getTime();
  const seen = checkpoint.lastSeenAt.getTime();
  return t < seen || (t === seen && (!checkpoint.lastSeenEventId || event.id <= checkpoint.lastSeenEventId));
}

/** Entries older than ACTIVITY_EVENTS_TTL_DAYS are gone from the feed (and pruned). */
function retained(ctx: ActivityCtx): Date {
  return new Date(Date.now() - ctx.config.ACTIVITY_EVENTS_TTL_DAYS * 86_400_000);
}

/** Unread: after the checkpoint, without a receipt of the reader's, within retention. */
async function unreadCount(
  tx: ActivityTx,
  ctx: ActivityCtx,
  tenantId: string,
  who: string,
  checkpoint: Checkpoint,
): Promise<number> {
  return tx.activityEvent.count({
    where: {
      tenantId,
      createdAt: { gte: retained(ctx) },
      ...afterCheckpoint(checkpoint),
      receipts: { none: { reader: who } },
    },
  });
}

function checkpointOf(tx: ActivityTx, tenantId: string, who: string): Promise<Checkpoint> {
  return tx.activityCheckpoint.findUnique({
    where: { tenantId_reader: { tenantId, reader: who } },
    select: { lastSeenAt: true, lastSeenEventId: true },
  });
}

function entryOf(row: ActivityEvent): ActivityEntry {
  return {
    id: row.id,
    tenantId: row.tenantId,
    action: row.action,
    createdAt: row.createdAt.toISOString(),
    actorId: row.actorId,
    actorType: row.actorType as ActivityEntry['actorType'],
    actorRole: row.actorRole,
    objectType: row.objectType,
    objectId: row.objectId,
    objectName: row.objectName,
    status: row.status as ActivityEntry['status'],
    source: row.source as ActivityEntry['source'],
    requestId: row.requestId,
    ipHash: row.ipHash,
    userAgent: row.userAgent,
    metadata: (row.metadata ?? null) as Record<string, unknown> | null,
  };
}

const Filter = z.string().trim().min(1).max(256).nullish();
const ListArgs = z.object({
  action: Filter,
  actorId: Filter,
  objectType: Filter,
  objectId: Filter,
  status: z.enum(ACTIVITY_STATUSES).nullish(),
  requestId: Filter,
  createdAfter: z.date().nullish(),
  createdBefore: z.date().nullish(),
});
export type ActivityListArgs = PageArgs & z.input<typeof ListArgs>;

let lastPrune = 0;

/** Deletes entries past retention (their receipts cascade), at most once a minute per process. */
async function pruneExpired(ctx: ActivityCtx): Promise<void> {
  if (Date.now() - lastPrune < 60_000) {
    return;
  }
  lastPrune = Date.now();
  await ctx.db.activityEvent.deleteMany({ where: { createdAt: { lt: retained(ctx) } } });
}

/** The tenant's feed, newest first, filtered, with the reader's read state and unread count. */
export async function listActivity(ctx: ActivityCtx, args: ActivityListArgs): Promise<ActivityPage> {
  const acting = reader(ctx);
  const { limit, cursor, ...filters } = args;
  const f = parseArgs(ListArgs, filters, []);
  const page = keyset({ limit, cursor }, 'createdAt', 'desc', { fallback: 50, max: 200 });
  await pruneExpired(ctx);
  const oldest = retained(ctx);
  const created: Prisma.DateTimeFilter = {
    gte: f.createdAfter && f.createdAfter > oldest ? f.createdAfter : oldest,
    ...(f.createdBefore ? { lte: f.createdBefore } : {}),
  };
  const where: Prisma.ActivityEventWhereInput = {
    tenantId: acting.tenantId,
    createdAt: created,
    ...(f.action ? { action: f.action } : {}),
    ...(f.actorId ? { actorId: f.actorId } : {}),
    ...(f.objectType ? { objectType: f.objectType } : {}),
    ...(f.objectId ? { objectId: f.objectId } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.requestId ? { requestId: f.requestId } : {}),
  };
  const [rows, checkpoint] = await Promise.all([
    ctx.db.activityEvent.findMany({
      where: { AND: [where, page.where] },
      orderBy: page.orderBy,
      take: page.take,
      include: { receipts: { where: { reader: acting.reader }, select: { status: true } } },
    }),
    checkpointOf(ctx.db, acting.tenantId, acting.reader),
  ]);
  const { items, nextCursor } = page.page(rows);
  const unread = await unreadCount(ctx.db, ctx, acting.tenantId, acting.reader, checkpoint);
  return {
    items: items.map((row) => ({
      ...entryOf(row),
      readState:
        (row.receipts[0]?.status as ReadState | undefined) ??
        (atOrBeforeCheckpoint(checkpoint, row) ? 'read' : 'unread'),
    })),
    nextCursor,
    unreadCount: unread,
  };
}

/**
 * Marks one entry of the tenant's feed read or dismissed for the reader (again: the same answer;
 * dismissed stays dismissed when read again). NOT_FOUND for an id of no entry of the tenant.
 */
export async function setReceipt(
  ctx: ActivityCtx,
  eventId: string,
  status: 'read' | 'dismissed',
): Promise<{ unreadCount: number }> {
  const acting = reader(ctx);
  const id = requireUuid(eventId, 'eventId');
  return ctx.db.$transaction(async (tx) => {
    const event = await tx.activityEvent.findFirst({
      where: { id, tenantId: acting.tenantId, createdAt: { gte: retained(ctx) } },
      select: { id: true },
    });
    if (!event) {
      throw new NotFoundError('Activity event', eventId);
    }
    const key = { tenantId: acting.tenantId, reader: acting.reader, eventId: id };
    await tx.activityReceipt.upsert({
      where: { tenantId_reader_eventId: key },
      create: { ...key, status },
      update: status === 'dismissed' ? { status } : {},
    });
    const checkpoint = await checkpointOf(tx, acting.tenantId, acting.reader);
    return { unreadCount: await unreadCount(tx, ctx, acting.tenantId, acting.reader, checkpoint) };
  });
}

/** Every entry up to the newest counts as read for the reader: the checkpoint moves to it. */
export async function markAllRead(ctx: ActivityCtx): Promise<{ unreadCount: number }> {
  const acting = reader(ctx);
  return ctx.db.$transaction(async (tx) => {
    const newest = await tx.activityEvent.findFirst({
      where: { tenantId: acting.tenantId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, createdAt: true },
    });
    const seen = newest
      ? { lastSeenAt: newest.createdAt, lastSeenEventId: newest.id }
      : { lastSeenAt: new Date(), lastSeenEventId: null };
    await tx.activityCheckpoint.upsert({
      where: { tenantId_reader: { tenantId: acting.tenantId, reader: acting.reader } },
      create: { tenantId: acting.tenantId, reader: acting.reader, ...seen },
      update: seen,
    });
    return { unreadCount: await unreadCount(tx, ctx, acting.tenantId, acting.reader, seen) };
  });
}

/** Without a cursor, the stream starts with the backlog the legacy stream kept: a day, 2,048 entries. */
const BACKLOG_MS = 86_400_000;
const BACKLOG_ENTRIES = 2048;

/**
 * The cursor just before the backlog: before the oldest of the last BACKLOG_ENTRIES events of the
 * last day; with none, the stream's newest event (so one appended meanwhile is not missed).
 */
async function backlogStart(ctx: ActivityCtx, stream: string): Promise<bigint> {
  const recent = await ctx.db.event.findMany({
    where: { stream, createdAt: { gte: new Date(Date.now() - BACKLOG_MS) } },
    orderBy: { seq: 'desc' },
    take: BACKLOG_ENTRIES,
    select: { seq: true },
  });
  const oldest = recent.at(-1);
  if (oldest) {
    return oldest.seq - 1n;
  }
  const newest = await ctx.db.event.findFirst({
    where: { stream },
    orderBy: { seq: 'desc' },
    select: { seq: true },
  });
  return newest?.seq ?? 0n;
}

/**
 * The tenant's entries as they are recorded. `after` a cursor replays from there first (`0`: every
 * entry the stream holds); without one, the last day's entries (at most 2,048) first, as the legacy
 * stream replayed its backlog.
 */
export async function subscribeActivity(
  ctx: ActivityCtx,
  after: string | null | undefined,
): Promise<AsyncIterableIterator<ActivityStreamView>> {
  const acting = reader(ctx);
  if (after != null && !/^\d{1,18}$/.test(after)) {
    throw new BadRequestError('Invalid event cursor.');
  }
  const stream = activityStream(acting.tenantId);
  const from = after == null ? await backlogStart(ctx, stream) : BigInt(after);
  const source = ctx.bus.subscribe<ActivityEntry | { id?: undefined }>(stream, from);
  return mapEvents(source, (e) =>
    // Streams written before the feed existed hold other payloads: those are not entries.
    typeof e.payload.id === 'string'
      ? { ...(e.payload as ActivityEntry), readState: 'unread', cursor: e.seq.toString() }
      : null,
  );
}

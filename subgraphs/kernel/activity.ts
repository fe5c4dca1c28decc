import { createHash, randomUUID } from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Ctx } from './context.js';
import type { DbTx } from './db.js';
import { publishEvent } from './event-bus.js';

/** The tenant's activity stream: every feed entry as it is recorded (subscriptions and SSE replay it). */
export const activityStream = (tenantId: string) => `activity:${tenantId}`;

export type ActivityStatus = 'success' | 'failure' | 'pending';

/** One feed entry as stored, published and served (GraphQL `ActivityEvent`, less the reader's state). */
export interface ActivityEntry {
  id: string;
  tenantId: string;
  action: string;
  /** ISO 8601. */
  createdAt: string;
  actorId: string | null;
  actorType: 'user' | 'api_key' | 'agent' | 'system' | null;
  actorRole: string | null;
  objectType: string | null;
  objectId: string | null;
  objectName: string | null;
  status: ActivityStatus;
  source: 'api' | 'system';
  requestId: string | null;
  ipHash: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown> | null;
}

/** What a change records: the rest (id, time, actor, request) comes from who made it. */
export interface ActivityInput {
  tenantId: string;
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  objectName?: string | null;
  status?: ActivityStatus;
  metadata?: Record<string, unknown> | null;
  /** The user who acted when the request has no credential yet (signing up, signing in). */
  actor?: { userId: string; role: string | null };
}

/**
 * Who made the change: the request's caller (a resolver's `ctx`), or null for the platform itself
 * (a background job finishing a chat turn, an ingest, a webhook from LiveKit).
 */
export type ActivityOrigin = Pick<Ctx, 'viewer' | 'requestId' | 'client'> | null;

/** Who acted: the caller's credential; none for a request without one; `system` for the platform. */
function actorOf(origin: ActivityOrigin): Pick<ActivityEntry, 'actorId' | 'actorType' | 'actorRole'> {
  if (!origin) {
    return { actorId: null, actorType: 'system', actorRole: null };
  }
  const viewer = origin.viewer;
  switch (viewer?.kind) {
    case 'user':
      return { actorId: viewer.userId, actorType: 'user', actorRole: viewer.role };
    case 'api-key':
      return { actorId: viewer.apiKeyId, actorType: 'api_key', actorRole: null };
    case 'agent':
      return { actorId: viewer.run, actorType: 'agent', actorRole: null };
    default:
      return { actorId: null, actorType: null, actorRole: null };
  }
}

/**
 * Adds an entry to the tenant's activity feed, inside the transaction that makes the change (so the
 * feed never shows what did not happen), and publishes it on `activity:<tenant>` for live readers.
 * The client's IP is kept only as its SHA-256.
 */
export async function recordActivity(
  tx: DbTx,
  origin: ActivityOrigin,
  input: ActivityInput,
): Promise<ActivityEntry> {
  const ip = origin?.client.ip ?? null;
  const entry: ActivityEntry = {
    id: randomUUID(),
    tenantId: input.tenantId,
    action: input.action,
    createdAt: new Date().toISOString(),
    ...(input.actor
      ? { actorId: input.actor.userId, actorType: 'user' as const, actorRole: input.actor.role }
      : actorOf(origin)),
    objectType: input.objectType ?? null,
    objectId: input.objectId ?? null,
    objectName: input.objectName ?? null,
    status: input.status ?? 'success',
    source: origin ? 'api' : 'system',
    requestId: origin?.requestId ?? null,
    ipHash: ip ? createHash('sha256').update(ip).digest('hex') : null,
    userAgent: origin?.client.userAgent?.slice(0, 512) ?? null,
    metadata: input.metadata ?? null,
  };
  const metadata = (entry.metadata ?? undefined) as Prisma.InputJsonValue | undefined;
  await tx.activityEvent.create({
    data: { ...entry, createdAt: new Date(entry.createdAt), metadata },
  });
  await publishEvent(tx, {
    stream: activityStream(entry.tenantId),
    type: entry.action,
    tenantId: entry.tenantId,
    payload: entry as unknown as Prisma.InputJsonValue,
  });
  return entry;
}

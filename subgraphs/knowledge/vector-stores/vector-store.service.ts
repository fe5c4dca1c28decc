/**
 * Vector stores (the legacy `/api/v1/vector-stores`), on the platform's own pgvector store: a store
 * is a named set of the tenant's knowledge files with per-file attributes; the platform extracts,
 * chunks, embeds and searches the files itself. No OpenAI vector store exists: `openai_id` is
 * `vs_` + the store's id without dashes, kept for clients of the legacy API.
 *
 * A store's `status` and `usage_bytes` are computed from its files: `in_progress` while any of its
 * files is being ingested, `completed` otherwise, `expired` once `expires_at` has passed; usage is
 * the sum of its files' sizes. `expires_after` (`{anchor: 'last_active_at', days}` as OpenAI has
 * it) sets `expires_at` = last activity + days; adding files and searching are activity. An expired
 * store can still be read, listed and deleted; adding files to it and searching it answer 400.
 */
import { z } from 'zod';
import { Prisma, type VectorStore } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { type ActingTenant, actingTenant } from '../../kernel/viewer.js';
import type { KnowledgeCtx, KnowledgeTx } from '../db.js';

/** Knowledge file statuses that mean "being ingested" (the legacy `in_progress`). */
export const INGESTING_STATUSES = ['uploaded', 'queued', 'processing'] as const;

/** The caller's tenant; writes need an owner or admin (API keys need `knowledge:write`, checked by the field). */
export function vectorStoreAccess(ctx: KnowledgeCtx, write: boolean): ActingTenant {
  return actingTenant(ctx, {
    manage: write,
    deniedMessage: 'Vector stores are managed by tenant owners and admins.',
  });
}

/** Counts of a store's files by legacy status. */
export interface FileCounts {
  inProgress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

/** A store with what is computed from its files. */
export interface VectorStoreView extends VectorStore {
  status: 'in_progress' | 'completed' | 'expired';
  usageBytes: number;
  fileCounts: FileCounts;
}

/** The provider-style id of a store: `vs_` + its UUID without dashes (no OpenAI store exists). */
export function openaiStoreId(id: string): string {
  return `vs_${id.replaceAll('-', '')}`;
}

interface StoreStats {
  id: string;
  usage: bigint | number | null;
  in_progress: number;
  completed: number;
  failed: number;
  total: number;
}

/** Stores with their file statistics (one query for all of them). */
export async function withStats(
  db: KnowledgeTx,
  tenantId: string,
  stores: VectorStore[],
): Promise<VectorStoreView[]> {
  if (stores.length === 0) {
    return [];
  }
  const rows = await db.$queryRaw<StoreStats[]>`
    SELECT vsf."vectorStoreId"::text AS id,
           COALESCE(SUM(f."sizeBytes"), 0)::bigint AS usage,
           (COUNT(*) FILTER (WHERE f.status IN (${Prisma.join([...INGESTING_STATUSES])})))::int AS in_progress,
           (COUNT(*) FILTER (WHERE f.status = 'ready'))::int AS completed,
           (COUNT(*) FILTER (WHERE f.status = 'failed'))::int AS failed,
           COUNT(*)::int AS total
    FROM vector_store_file vsf
    JOIN knowledge_file f ON f.id = vsf."fileId"
    WHERE vsf."tenantId" = ${tenantId}::uuid
      AND vsf."vectorStoreId" = ANY(${stores.map((s) => s.id)}::uuid[])
    GROUP BY vsf."vectorStoreId"`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const now = Date.now();
  return stores.map((store) => {
    const s = byId.get(store.id);
    const fileCounts: FileCounts = {
      inProgress: s?.in_progress ?? 0,
      completed: s?.completed ?? 0,
      failed: s?.failed ?? 0,
      cancelled: 0,
      total: s?.total ?? 0,
    };
    const expired = store.expiresAt !== null && store.expiresAt.getTime() <= now;
    return {
      ...store,
      status: expired ? 'expired' : fileCounts.inProgress > 0 ? 'in_progress' : 'completed',
      usageBytes: Number(s?.usage ?? 0),
      fileCounts,
    };
  });
}

/** A store of the tenant; a malformed, unknown or foreign id is 404 "Vector store not found". */
export async function tenantStore(db: KnowledgeTx, tenantId: string, storeId: string): Promise<VectorStore> {
  const store = await db.vectorStore.findFirst({ where: { id: storeId, tenantId } });
  if (!store) {
    throw new NotFoundError('Vector store');
  }
  return store;
}

/** Refuses work on an expired store (reads and deletes stay possible). */
export function assertNotExpired(store: VectorStore): void {
  if (store.expiresAt && store.expiresAt.getTime() <= Date.now()) {
    throw new BadRequestError(
      `Vector store ${store.id} expired at ${store.expiresAt.toISOString()}; create a new one or delete it.`,
    );
  }
}

/** Records activity on a store: `last_active_at` now, and `expires_at` moved on when it expires after inactivity. */
export async function touchStore(db: KnowledgeTx, store: VectorStore): Promise<void> {
  const now = new Date();
  await db.vectorStore.updateMany({
    where: { id: store.id, tenantId: store.tenantId },
    data: { lastActiveAt: now, expiresAt: expiryFrom(store.expiresAfter, now) },
  });
}

/** OpenAI's expiration policy of a store. */
const ExpiresAfter = z.strictObject({
  anchor: z.literal('last_active_at'),
  days: z.number().int().min(1).max(365),
});

function expiryFrom(expiresAfter: unknown, lastActiveAt: Date): Date | null {
  const parsed = ExpiresAfter.safeParse(expiresAfter);
  return parsed.success ? new Date(lastActiveAt.getTime() + parsed.data.days * 86_400_000) : null;
}

const JsonObject = z.record(z.string(), z.unknown());

const ListArgs = z.object({
  limit: z.number().int().min(1).max(100).nullish(),
  offset: z.number().int().min(0).nullish(),
});

/** The tenant's stores, newest first, with their total. */
export async function listVectorStores(
  ctx: KnowledgeCtx,
  args: z.input<typeof ListArgs>,
): Promise<{ items: VectorStoreView[]; total: number }> {
  const acting = vectorStoreAccess(ctx, false);
  const a = parseArgs(ListArgs, args, []);
  const where = { tenantId: acting.tenantId };
  const [stores, total] = await Promise.all([
    ctx.db.vectorStore.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: a.limit ?? 20,
      skip: a.offset ?? 0,
    }),
    ctx.db.vectorStore.count({ where }),
  ]);
  return { items: await withStats(ctx.db, acting.tenantId, stores), total };
}

/** One store of the tenant (404 "Vector store not found" otherwise). */
export async function getVectorStore(ctx: KnowledgeCtx, storeId: string): Promise<VectorStoreView> {
  const acting = vectorStoreAccess(ctx, false);
  const store = await tenantStore(ctx.db, acting.tenantId, requireUuid(storeId, 'vectorStoreId'));
  const [view] = await withStats(ctx.db, acting.tenantId, [store]);
  return view as VectorStoreView;
}

const CreateInput = z.object({
  name: z.string().trim().min(1).max(128),
  description: z.string().max(512).nullish(),
  expiresAfter: ExpiresAfter.nullish(),
  metadata: JsonObject.refine(
    (m) => JSON.stringify(m).length <= 16384,
    'At most 16 KiB of metadata.',
  ).nullish(),
});
/** As GraphQL passes it: JSON fields are checked here. */
export type CreateVectorStoreInput = Omit<z.input<typeof CreateInput>, 'expiresAfter' | 'metadata'> & {
  expiresAfter?: unknown;
  metadata?: unknown;
};

/**
 * Creates a store (owners and admins). The tenant at VECTOR_MAX_STORES_PER_TENANT is 403, a name in
 * use 409; both are checked under a per-tenant lock, so concurrent creates cannot pass them.
 */
export async function createVectorStore(
  ctx: KnowledgeCtx,
  input: CreateVectorStoreInput,
): Promise<VectorStoreView> {
  const acting = vectorStoreAccess(ctx, true);
  const data = parseArgs(CreateInput, input, ['input']);
  const tenantId = acting.tenantId;
  const max = ctx.config.VECTOR_MAX_STORES_PER_TENANT;
  const conflict = () => new ConflictError(`A vector store named "${data.name}" already exists.`);
  try {
    const store = await ctx.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`vector-store:${tenantId}`}))`;
      if ((await tx.vectorStore.count({ where: { tenantId } })) >= max) {
        throw new ForbiddenError(
          `Vector store limit reached: a tenant may have at most ${max} vector stores.`,
        );
      }
      if (await tx.vectorStore.findFirst({ where: { tenantId, name: data.name }, select: { id: true } })) {
        throw conflict();
      }
      const now = new Date();
      const created = await tx.vectorStore.create({
        data: {
          tenantId,
          ownerUserId: acting.viewer.userId,
          name: data.name,
          description: data.description ?? null,
          expiresAfter: (data.expiresAfter ?? undefined) as Prisma.InputJsonValue | undefined,
          expiresAt: expiryFrom(data.expiresAfter, now),
          lastActiveAt: now,
          metadata: (data.metadata ?? {}) as Prisma.InputJsonValue,
        },
      });
      await recordAudit(tx, acting.viewer, {
        action: 'vector_store.created',
        targetType: 'vector_store',
        targetId: created.id,
        tenantId,
        metadata: { name: created.name },
      });
      return created;
    });
    const [view] = await withStats(ctx.db, tenantId, [store]);
    return view as VectorStoreView;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw conflict();
    }
    throw error;
  }
}

/** Deletes a store with its file links and agent bindings; the platform files stay (404 if unknown). */
export async function deleteVectorStore(ctx: KnowledgeCtx, storeId: string): Promise<boolean> {
  const acting = vectorStoreAccess(ctx, true);
  const id = requireUuid(storeId, 'vectorStoreId');
  await ctx.db.$transaction(async (tx) => {
    const store = await tenantStore(tx, acting.tenantId, id);
    // vector_store_file and agent_vector_store rows go with it (ON DELETE CASCADE).
    await tx.vectorStore.deleteMany({ where: { id, tenantId: acting.tenantId } });
    await recordAudit(tx, acting.viewer, {
      action: 'vector_store.deleted',
      targetType: 'vector_store',
      targetId: id,
      tenantId: acting.tenantId,
      metadata: { name: store.name },
    });
  });
  return true;
}

/** Agent keys as the agents domain spells them. */
const AgentKey = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*$/, 'Use lowercase letters, digits, "_" and "-", starting with a letter.');

/**
 * Binds an agent (by key) to a store of the tenant: one store per (tenant, agent key), so binding
 * again replaces the previous store (upsert). The store row is locked, so a concurrent delete cannot
 * leave a binding behind. The agent key is not looked up (built-in and tenant agents alike).
 */
export async function bindAgentVectorStore(
  ctx: KnowledgeCtx,
  storeId: string,
  agentKey: string,
): Promise<boolean> {
  const acting = vectorStoreAccess(ctx, true);
  const id = requireUuid(storeId, 'vectorStoreId');
  const key = parseArgs(AgentKey, agentKey, ['agentKey']);
  const tenantId = acting.tenantId;
  await ctx.db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM vector_store WHERE id = ${id}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
    if (!row) {
      throw new NotFoundError('Vector store');
    }
    await tx.agentVectorStore.upsert({
      where: { tenantId_agentKey: { tenantId, agentKey: key } },
      create: { tenantId, agentKey: key, vectorStoreId: id },
      update: { vectorStoreId: id, createdAt: new Date() },
    });
    await recordAudit(tx, acting.viewer, {
      action: 'vector_store.agent_bound',
      targetType: 'vector_store',
      targetId: id,
      tenantId,
      metadata: { agentKey: key },
    });
  });
  return true;
}

/**
 * Removes an agent's binding to this store (idempotent: none, or a binding to another store, is
 * left as it is). The store must be the tenant's (404 otherwise).
 */
export async function unbindAgentVectorStore(
  ctx: KnowledgeCtx,
  storeId: string,
  agentKey: string,
): Promise<boolean> {
  const acting = vectorStoreAccess(ctx, true);
  const id = requireUuid(storeId, 'vectorStoreId');
  const key = parseArgs(AgentKey, agentKey, ['agentKey']);
  await tenantStore(ctx.db, acting.tenantId, id);
  await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.agentVectorStore.deleteMany({
      where: { tenantId: acting.tenantId, agentKey: key, vectorStoreId: id },
    });
    if (count) {
      await recordAudit(tx, acting.viewer, {
        action: 'vector_store.agent_unbound',
        targetType: 'vector_store',
        targetId: id,
        tenantId: acting.tenantId,
        metadata: { agentKey: key },
      });
    }
  });
  return true;
}

/** The keys of the agents bound to a store (GraphQL only). */
export async function storeAgentKeys(ctx: KnowledgeCtx, store: VectorStore): Promise<string[]> {
  const rows = await ctx.db.agentVectorStore.findMany({
    where: { tenantId: store.tenantId, vectorStoreId: store.id },
    orderBy: { agentKey: 'asc' },
  });
  return rows.map((r) => r.agentKey);
}

/** The store an agent of the caller's tenant is bound to, or null (GraphQL; the agent's file search reads it). */
export async function agentVectorStore(ctx: KnowledgeCtx, agentKey: string): Promise<VectorStoreView | null> {
  const acting = vectorStoreAccess(ctx, false);
  const key = parseArgs(AgentKey, agentKey, ['agentKey']);
  const binding = await ctx.db.agentVectorStore.findUnique({
    where: { tenantId_agentKey: { tenantId: acting.tenantId, agentKey: key } },
    include: { vectorStore: true },
  });
  if (!binding) {
    return null;
  }
  const [view] = await withStats(ctx.db, acting.tenantId, [binding.vectorStore]);
  return view ?? null;
}

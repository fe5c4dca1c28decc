import type OpenAI from 'openai';
import { z } from 'zod';
import type { AgentContainerBinding, Container, Prisma } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { isProviderStatus, providerError, requireOpenAI } from '../../kernel/openai.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { type ActingTenant, actingTenant } from '../../kernel/viewer.js';
import { AgentKey } from '../agents/agent.service.js';
import type { AgentsCtx, AgentsTx } from '../db.js';

/** The memory tiers of OpenAI code-interpreter containers. */
export const MEMORY_TIERS = ['1g', '4g', '16g', '64g'] as const;

const FEATURE = 'Code-interpreter containers';

/**
 * Who acts, and the provider client: every container operation needs the caller's tenant and a
 * configured provider (503 otherwise, before anything changes). Writes need an owner or admin
 * (after any X-Tenant-Role narrowing); API keys need `agents:write`, which the field checks.
 */
function access(ctx: AgentsCtx, write: boolean): { acting: ActingTenant; openai: OpenAI } {
  const acting = actingTenant(ctx);
  if (write && acting.viewer.kind === 'user' && acting.role !== 'owner' && acting.role !== 'admin') {
    throw new ForbiddenError('Containers are managed by tenant owners and admins.');
  }
  return { acting, openai: requireOpenAI(ctx.config, FEATURE) };
}

/** A failed provider call: logged for operators (the client sees only the coded error). */
function failed(ctx: AgentsCtx, error: unknown, action: string) {
  const coded = providerError(error, action);
  if (coded !== error) {
    ctx.log.warn({ err: error, action }, 'OpenAI provider call failed');
  }
  return coded;
}

/** A live (not deleted) container of the tenant; any other id is 404. */
async function liveContainer(db: AgentsTx, tenantId: string, containerId: string): Promise<Container> {
  const container = await db.container.findFirst({ where: { id: containerId, tenantId, deletedAt: null } });
  if (!container) {
    throw new NotFoundError('Container');
  }
  return container;
}

const ListArgs = z.object({
  limit: z.number().int().min(1).max(100).nullish(),
  offset: z.number().int().min(0).nullish(),
});

/** Live containers of the caller's tenant, newest first, with their total. */
export async function listContainers(
  ctx: AgentsCtx,
  args: z.input<typeof ListArgs>,
): Promise<{ items: Container[]; total: number }> {
  const { acting } = access(ctx, false);
  const a = parseArgs(ListArgs, args, []);
  const where = { tenantId: acting.tenantId, deletedAt: null };
  const [items, total] = await Promise.all([
    ctx.db.container.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: a.limit ?? 20,
      skip: a.offset ?? 0,
    }),
    ctx.db.container.count({ where }),
  ]);
  return { items, total };
}

/** One live container of the caller's tenant (404 "Container not found" otherwise). */
export async function getContainer(ctx: AgentsCtx, containerId: string): Promise<Container> {
  const { acting } = access(ctx, false);
  return liveContainer(ctx.db, acting.tenantId, requireUuid(containerId, 'containerId'));
}

/** The agent keys bound to a container (GraphQL only). */
export async function containerAgentKeys(ctx: AgentsCtx, container: Container): Promise<string[]> {
  const rows = await ctx.db.agentContainerBinding.findMany({
    where: { tenantId: container.tenantId, containerId: container.id },
    orderBy: { agentKey: 'asc' },
  });
  return rows.map((r) => r.agentKey);
}

const JsonObject = z.record(z.string(), z.unknown());

const CreateInput = z.object({
  name: z.string().trim().min(1).max(128),
  memoryLimit: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(MEMORY_TIERS, { error: 'Use one of 1g, 4g, 16g or 64g.' }))
    .nullish(),
  expiresAfter: z
    .object({
      anchor: z.literal('last_active_at').default('last_active_at'),
      minutes: z.number().int().min(1).max(10080),
    })
    .strict()
    .nullish(),
  fileIds: z.array(z.string().trim().min(1).max(256)).max(100).nullish(),
  metadata: JsonObject.refine(
    (m) => JSON.stringify(m).length <= 16384,
    'At most 16 KiB of metadata.',
  ).nullish(),
});
/** As GraphQL passes it: JSON fields are checked here. */
export type CreateContainerInput = Omit<z.input<typeof CreateInput>, 'expiresAfter' | 'metadata'> & {
  expiresAfter?: unknown;
  metadata?: unknown;
};

/** The configured tiers (CONTAINER_ALLOWED_MEMORY_TIERS). */
function allowedTiers(ctx: AgentsCtx): string[] {
  return ctx.config.CONTAINER_ALLOWED_MEMORY_TIERS.split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/** The tenant's limit and name rules, checked before the remote call and again under the lock. */
async function assertCanCreate(ctx: AgentsCtx, db: AgentsTx, tenantId: string, name: string) {
  const max = ctx.config.CONTAINER_MAX_PER_TENANT;
  const live = await db.container.count({ where: { tenantId, deletedAt: null } });
  if (live >= max) {
    throw new ForbiddenError(`Container limit reached: a tenant may have at most ${max} containers.`);
  }
  if (await db.container.findFirst({ where: { tenantId, name, deletedAt: null }, select: { id: true } })) {
    throw new ConflictError(`A container named "${name}" already exists.`);
  }
}

/**
 * Creates a remote code-interpreter container, then its row. A tier outside the allowed ones or a
 * tenant at its limit is 403, a live container of the same name 409. The checks run again under a
 * per-tenant lock when the row is written; if that fails, the remote container is deleted again.
 */
export async function createContainer(ctx: AgentsCtx, input: CreateContainerInput): Promise<Container> {
  const { acting, openai } = access(ctx, true);
  const data = parseArgs(CreateInput, input, ['input']);
  const memoryLimit = data.memoryLimit ?? ctx.config.CONTAINER_DEFAULT_MEMORY_LIMIT;
  if (!allowedTiers(ctx).includes(memoryLimit)) {
    throw new ForbiddenError(`Memory tier "${memoryLimit}" is not allowed on this deployment.`);
  }
  const tenantId = acting.tenantId;
  await assertCanCreate(ctx, ctx.db, tenantId, data.name);

  let remote: Awaited<ReturnType<OpenAI['containers']['create']>>;
  try {
    remote = await openai.containers.create({
      name: data.name,
      memory_limit: memoryLimit,
      ...(data.expiresAfter ? { expires_after: data.expiresAfter } : {}),
      ...(data.fileIds?.length ? { file_ids: data.fileIds } : {}),
    });
  } catch (error) {
    throw failed(ctx, error, 'create container');
  }

  try {
    return await ctx.db.$transaction(async (tx) => {
      // One creator per tenant at a time, so the limit and the unique name hold under concurrency.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`container:${tenantId}`}))`;
      await assertCanCreate(ctx, tx, tenantId, data.name);
      const expiresAfter = remote.expires_after ?? data.expiresAfter ?? null;
      const container = await tx.container.create({
        data: {
          tenantId,
          openaiId: remote.id,
          ownerUserId: acting.viewer.userId,
          name: data.name,
          memoryLimit: remote.memory_limit ?? memoryLimit,
          status: remote.status || 'running',
          expiresAfter: (expiresAfter ?? undefined) as Prisma.InputJsonValue | undefined,
          lastActiveAt: remote.last_active_at ? new Date(remote.last_active_at * 1000) : null,
          metadata: (data.metadata ?? {}) as Prisma.InputJsonValue,
        },
      });
      await recordAudit(tx, acting.viewer, {
        action: 'container.created',
        targetType: 'container',
        targetId: container.id,
        tenantId,
        metadata: { name: container.name, openaiId: container.openaiId, memoryLimit: container.memoryLimit },
      });
      return container;
    });
  } catch (error) {
    // The row could not be written: do not leave a remote container nobody owns.
    await openai.containers.delete(remote.id).catch((e: unknown) => {
      ctx.log.warn({ err: e, openaiId: remote.id }, 'could not delete an orphaned remote container');
    });
    throw error;
  }
}

/**
 * Deletes the remote container (already gone, 404/410, is fine), then soft-deletes the row and drops
 * its agent bindings. A provider failure changes nothing.
 */
export async function deleteContainer(ctx: AgentsCtx, containerId: string): Promise<boolean> {
  const { acting, openai } = access(ctx, true);
  const id = requireUuid(containerId, 'containerId');
  const container = await liveContainer(ctx.db, acting.tenantId, id);
  try {
    await openai.containers.delete(container.openaiId);
  } catch (error) {
    if (!isProviderStatus(error, 404, 410)) {
      throw failed(ctx, error, 'delete container');
    }
  }
  await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.container.updateMany({
      where: { id, tenantId: acting.tenantId, deletedAt: null },
      data: { deletedAt: new Date(), status: 'deleted' },
    });
    if (count === 0) {
      return; // deleted concurrently
    }
    await tx.agentContainerBinding.deleteMany({ where: { tenantId: acting.tenantId, containerId: id } });
    await recordAudit(tx, acting.viewer, {
      action: 'container.deleted',
      targetType: 'container',
      targetId: id,
      tenantId: acting.tenantId,
      metadata: { name: container.name, openaiId: container.openaiId },
    });
  });
  return true;
}

const BindInput = z.object({ containerId: z.string() });

/** The agent key of a path argument, as the agents module spells keys. */
function agentKeyOf(agentKey: string): string {
  return parseArgs(AgentKey, agentKey, ['agentKey']);
}

/** Binds an agent (by key) to a live container of the tenant, replacing any binding it had. */
export async function bindAgentContainer(
  ctx: AgentsCtx,
  agentKey: string,
  input: z.input<typeof BindInput>,
): Promise<AgentContainerBinding> {
  const { acting } = access(ctx, true);
  const key = agentKeyOf(agentKey);
  const data = parseArgs(BindInput, input, ['input']);
  const containerId = requireUuid(data.containerId, ['input', 'containerId']);
  const tenantId = acting.tenantId;
  return ctx.db.$transaction(async (tx) => {
    // Locks the container row, so a concurrent delete cannot leave a binding to a deleted container.
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM container
      WHERE id = ${containerId}::uuid AND "tenantId" = ${tenantId}::uuid AND "deletedAt" IS NULL
      FOR UPDATE`;
    if (!row) {
      throw new NotFoundError('Container');
    }
    const binding = await tx.agentContainerBinding.upsert({
      where: { tenantId_agentKey: { tenantId, agentKey: key } },
      create: { tenantId, agentKey: key, containerId },
      update: { containerId, createdAt: new Date() },
    });
    await recordAudit(tx, acting.viewer, {
      action: 'container.agent_bound',
      targetType: 'container',
      targetId: containerId,
      tenantId,
      metadata: { agentKey: key },
    });
    return binding;
  });
}

/** Removes an agent's container binding; none is fine (idempotent). */
export async function unbindAgentContainer(ctx: AgentsCtx, agentKey: string): Promise<boolean> {
  const { acting } = access(ctx, true);
  const key = agentKeyOf(agentKey);
  await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.agentContainerBinding.deleteMany({
      where: { tenantId: acting.tenantId, agentKey: key },
    });
    if (count) {
      await recordAudit(tx, acting.viewer, {
        action: 'container.agent_unbound',
        targetType: 'agent',
        tenantId: acting.tenantId,
        metadata: { agentKey: key },
      });
    }
  });
  return true;
}

/** The container an agent of the tenant is bound to, or null (GraphQL, and the chat runtime later). */
export async function agentContainer(ctx: AgentsCtx, agentKey: string): Promise<Container | null> {
  const { acting } = access(ctx, false);
  const key = agentKeyOf(agentKey);
  const binding = await ctx.db.agentContainerBinding.findUnique({
    where: { tenantId_agentKey: { tenantId: acting.tenantId, agentKey: key } },
    include: { container: true },
  });
  return binding && !binding.container.deletedAt ? binding.container : null;
}

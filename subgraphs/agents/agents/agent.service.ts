import { z } from 'zod';
import type { Agent } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { ConflictError, isUniqueViolation, NotFoundError } from '../../kernel/errors.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { type ActingTenant, actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx } from '../db.js';

export const AGENT_STATUSES = ['active', 'inactive'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * The tenant an agent operation acts on: the caller's own, or any existing tenant for an operator
 * (another tenant is 404). Writes are gated by the `agents:write` scope on the field.
 */
async function agentTenant(ctx: AgentsCtx, tenantId: string): Promise<ActingTenant> {
  const access = actingTenant(ctx, { tenantId, operators: true });
  if (access.asOperator && !(await ctx.db.tenant.findUnique({ where: { id: access.tenantId } }))) {
    throw new NotFoundError('Tenant', tenantId);
  }
  return access;
}

/** An agent of the named tenant (the caller's own unless an operator); another tenant's id is 404. */
export async function getAgent(ctx: AgentsCtx, tenantId: string, agentId: string): Promise<Agent> {
  const { tenantId: acting } = await agentTenant(ctx, tenantId);
  const id = requireUuid(agentId, 'agentId');
  const agent = await ctx.db.agent.findFirst({ where: { id, tenantId: acting } });
  if (!agent) {
    throw new NotFoundError('Agent', agentId);
  }
  return agent;
}

/** Entity lookup for other subgraphs: only agents of the caller's own tenant resolve. */
export async function getAgentRef(ctx: AgentsCtx, id: string): Promise<Agent | null> {
  if (!ctx.viewer?.tenantId) {
    return null;
  }
  return ctx.db.agent.findFirst({ where: { id, tenantId: ctx.viewer.tenantId } });
}

/** A slug: lowercase letters, digits, `_` and `-`, starting with a letter (the legacy agent keys). */
export const AgentKey = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*$/, 'Use lowercase letters, digits, "_" and "-", starting with a letter.');

const CreateAgentInput = z.object({
  key: AgentKey,
  displayName: z.string().trim().min(1).max(128),
  description: z.string().max(2000).nullish(),
  status: z.enum(AGENT_STATUSES).nullish(),
});
export type CreateAgentInput = z.input<typeof CreateAgentInput>;

/** Creates an agent in the named tenant (owners and admins); a key already taken answers 409. */
export async function createAgent(ctx: AgentsCtx, tenantId: string, input: CreateAgentInput): Promise<Agent> {
  const { tenantId: acting, viewer } = await agentTenant(ctx, tenantId);
  const data = parseArgs(CreateAgentInput, input, ['input']);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const agent = await tx.agent.create({
        data: {
          tenantId: acting,
          key: data.key,
          displayName: data.displayName,
          description: data.description ?? '',
          status: data.status ?? 'active',
          createdBy: viewer.userId,
        },
      });
      await recordAudit(tx, viewer, {
        action: 'agent.created',
        targetType: 'agent',
        targetId: agent.id,
        tenantId: acting,
        metadata: { key: agent.key },
      });
      return agent;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError(`An agent with key "${data.key}" already exists in this tenant.`);
    }
    throw error;
  }
}

const ListAgentsFilter = z.object({
  limit: z.number().int().min(1).max(100).nullish(),
  status: z.enum(AGENT_STATUSES).nullish(),
  search: z.string().trim().min(1).max(256).nullish(),
});

export interface ListAgentsInput extends PageArgs {
  status?: AgentStatus | null | undefined;
  search?: string | null | undefined;
}

/**
 * The tenant's own agents, newest first (keyset on createdAt, id), optionally by status and a
 * case-insensitive search of key, display name and description. Built-ins are not rows: see
 * `builtinAgents` and the merged catalog.
 */
export async function listAgents(
  ctx: AgentsCtx,
  tenantId: string,
  input: ListAgentsInput,
): Promise<Page<Agent>> {
  const { tenantId: acting } = await agentTenant(ctx, tenantId);
  const { status, search } = parseArgs(
    ListAgentsFilter,
    { limit: input.limit, status: input.status, search: input.search },
    [],
  );
  const page = keyset(input, 'createdAt', 'desc');
  const matching = search
    ? {
        OR: (['key', 'displayName', 'description'] as const).map((field) => ({
          [field]: { contains: search, mode: 'insensitive' as const },
        })),
      }
    : {};
  const rows = await ctx.db.agent.findMany({
    where: { tenantId: acting, ...(status ? { status } : {}), AND: [page.where, matching] },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

const UpdateAgentInput = z.object({
  displayName: z.string().trim().min(1).max(128).optional(),
  description: z.string().max(2000).nullish(),
  status: z.enum(AGENT_STATUSES).optional(),
});
/** What GraphQL hands over: an explicit null display name or status is refused (422), null clears the description. */
export type UpdateAgentInput = {
  [K in keyof z.input<typeof UpdateAgentInput>]?: z.input<typeof UpdateAgentInput>[K] | null;
};

/**
 * Changes an agent's display name, description or status; omitted fields stay. The key is
 * immutable (other subgraphs and conversations refer to agents by key): recreate the agent instead.
 */
export async function updateAgent(
  ctx: AgentsCtx,
  tenantId: string,
  agentId: string,
  input: UpdateAgentInput,
): Promise<Agent> {
  const { tenantId: acting, viewer } = await agentTenant(ctx, tenantId);
  const id = requireUuid(agentId, 'agentId');
  const data = parseArgs(UpdateAgentInput, input, ['input']);
  const changes = {
    ...(data.displayName !== undefined ? { displayName: data.displayName } : {}),
    ...(data.description !== undefined ? { description: data.description ?? '' } : {}),
    ...(data.status !== undefined ? { status: data.status } : {}),
  };
  return ctx.db.$transaction(async (tx) => {
    const agent = await tx.agent.findFirst({ where: { id, tenantId: acting } });
    if (!agent) {
      throw new NotFoundError('Agent', agentId);
    }
    if (!Object.keys(changes).length) {
      return agent;
    }
    const updated = await tx.agent.update({ where: { id }, data: changes });
    await recordAudit(tx, viewer, {
      action: 'agent.updated',
      targetType: 'agent',
      targetId: id,
      tenantId: acting,
      metadata: { key: agent.key, changes },
    });
    return updated;
  });
}

/** Deletes an agent; its bindings and activation history go with it (database cascade). */
export async function deleteAgent(ctx: AgentsCtx, tenantId: string, agentId: string): Promise<boolean> {
  const { tenantId: acting, viewer } = await agentTenant(ctx, tenantId);
  const id = requireUuid(agentId, 'agentId');
  return ctx.db.$transaction(async (tx) => {
    const agent = await tx.agent.findFirst({ where: { id, tenantId: acting } });
    if (!agent) {
      throw new NotFoundError('Agent', agentId);
    }
    await tx.agent.delete({ where: { id } });
    await recordAudit(tx, viewer, {
      action: 'agent.deleted',
      targetType: 'agent',
      targetId: id,
      tenantId: acting,
      metadata: { key: agent.key },
    });
    return true;
  });
}

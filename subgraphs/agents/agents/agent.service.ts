import { z } from 'zod';
import type { Agent } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { ConflictError, isUniqueViolation, NotFoundError } from '../../kernel/errors.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx } from '../db.js';

export const AGENT_STATUSES = ['active', 'inactive'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** An agent of the named tenant (the caller's own unless an operator); another tenant's id is 404. */
export async function getAgent(ctx: AgentsCtx, tenantId: string, agentId: string): Promise<Agent> {
  const { tenantId: acting } = actingTenant(ctx, { tenantId, operators: true });
  requireUuid(agentId, 'agentId');
  const agent = await ctx.db.agent.findFirst({ where: { id: agentId, tenantId: acting } });
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
  const { tenantId: acting, viewer } = actingTenant(ctx, { tenantId, operators: true });
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

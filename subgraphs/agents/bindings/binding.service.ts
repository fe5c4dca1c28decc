import { z } from 'zod';
import type {
  Agent,
  AgentBindingActivation,
  Prisma,
  PromptVersion,
  RuntimeConfigVersion,
  ToolVersion,
} from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { ConflictError, NotFoundError } from '../../kernel/errors.js';
import { keyset, type Page, type PageArgs } from '../../kernel/pagination.js';
import {
  detail,
  invalid,
  isUuid,
  parseArgs,
  requireUuid,
  type ValidationDetail,
} from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx, AgentsTx } from '../db.js';
import { loadPromptVersion } from '../prompts/prompt.service.js';
import { loadRuntimeConfigVersion } from '../runtime-configs/runtime-config.service.js';
import { loadToolVersion } from '../tools/tool.service.js';

/** Tool versions one binding may pin. */
export const MAX_BINDING_TOOLS = 32;

/** A binding as clients see it: the pinned version ids (tools in their order) and whether it is live. */
export interface BindingView {
  id: string;
  tenantId: string;
  agentId: string;
  promptVersionId: string;
  toolVersionIds: string[];
  runtimeConfigVersionId: string;
  notes: string | null;
  createdBy: string | null;
  createdAt: Date;
  /** The agent's live binding (`agent.activeBindingId`). */
  active: boolean;
}

/** The agent fields a binding's view needs: which tenant, and which binding is live. */
type AgentRow = Pick<Agent, 'id' | 'tenantId' | 'activeBindingId'>;

const withTools = {
  tools: { select: { toolVersionId: true }, orderBy: { position: 'asc' } },
} satisfies Prisma.AgentBindingInclude;

type BindingRow = Prisma.AgentBindingGetPayload<{ include: typeof withTools }>;

function view(row: BindingRow, agent: AgentRow): BindingView {
  const { tools, ...rest } = row;
  return {
    ...rest,
    toolVersionIds: tools.map((t) => t.toolVersionId),
    active: agent.activeBindingId === row.id,
  };
}

/** The agent of the acting tenant named in the path; another tenant's (or an unknown) id is 404. */
async function findAgent(ctx: AgentsCtx, tenantId: string, agentId: string): Promise<AgentRow> {
  const agent = await ctx.db.agent.findFirst({
    where: { id: requireUuid(agentId, 'agentId'), tenantId },
    select: { id: true, tenantId: true, activeBindingId: true },
  });
  if (!agent) {
    throw new NotFoundError('Agent', agentId);
  }
  return agent;
}

/**
 * Locks the agent row until the transaction ends: activations and deletions of one agent's
 * bindings run one at a time, so the live binding and the activation history never race.
 * `NO KEY UPDATE` (what updating a non-key column takes) still lets foreign-key checks through, so
 * creating a binding or a history row of the agent elsewhere does not wait for it.
 */
async function lockAgent(tx: AgentsTx, tenantId: string, agentId: string): Promise<AgentRow> {
  const [row] = await tx.$queryRaw<{ activeBindingId: string | null }[]>`
    SELECT "activeBindingId" FROM agent WHERE id = ${agentId}::uuid AND "tenantId" = ${tenantId}::uuid FOR NO KEY UPDATE`;
  if (!row) {
    throw new NotFoundError('Agent', agentId);
  }
  return { id: agentId, tenantId, activeBindingId: row.activeBindingId };
}

/**
 * Transactions that take the agent lock: concurrent activations of one agent wait for each other
 * (on PGlite, for the one connection), so allow more than Prisma's 2 s / 5 s defaults.
 */
const LOCKED_TX = { maxWait: 10_000, timeout: 15_000 };

// `z.guid()`: any 8-4-4-4-12 hex id (the kernel's UUID rule), reported as `uuid_parsing`.
const VersionId = z.guid('Input should be a valid UUID.');

const CreateBindingInput = z.object({
  promptVersionId: VersionId,
  toolVersionIds: z.array(VersionId).max(MAX_BINDING_TOOLS).nullish(),
  runtimeConfigVersionId: VersionId,
  notes: z.string().max(2000).nullish(),
});
export type CreateBindingInput = z.input<typeof CreateBindingInput>;

const noSuch = (loc: (string | number)[], what: string, id: string) =>
  detail(loc, `No ${what} ${id} in this tenant.`, 'value_error');

/**
 * The pinned versions must be versions of the acting tenant. An unknown id, a deleted version and
 * another tenant's version read the same (422 at the field), so a foreign id's existence never shows.
 * At most one version per tool: a run cannot offer two tools of one name.
 */
async function checkPinned(
  tx: AgentsTx,
  tenantId: string,
  data: { promptVersionId: string; toolVersionIds: string[]; runtimeConfigVersionId: string },
): Promise<void> {
  const [prompt, config, tools] = await Promise.all([
    tx.promptVersion.findFirst({ where: { id: data.promptVersionId, tenantId }, select: { id: true } }),
    tx.runtimeConfigVersion.findFirst({
      where: { id: data.runtimeConfigVersionId, tenantId },
      select: { id: true },
    }),
    data.toolVersionIds.length
      ? tx.toolVersion.findMany({
          where: { id: { in: data.toolVersionIds }, tenantId },
          select: { id: true, toolId: true },
        })
      : Promise.resolve([]),
  ]);
  const problems: ValidationDetail[] = [];
  if (!prompt) {
    problems.push(noSuch(['input', 'promptVersionId'], 'prompt version', data.promptVersionId));
  }
  const toolOf = new Map(tools.map((t) => [t.id, t.toolId]));
  const seenTools = new Set<string>();
  data.toolVersionIds.forEach((id, i) => {
    const toolId = toolOf.get(id);
    if (!toolId) {
      problems.push(noSuch(['input', 'toolVersionIds', i], 'tool version', id));
    } else if (seenTools.has(toolId)) {
      problems.push(detail(['input', 'toolVersionIds', i], 'Pin at most one version of each tool.'));
    } else {
      seenTools.add(toolId);
    }
  });
  if (!config) {
    problems.push(
      noSuch(['input', 'runtimeConfigVersionId'], 'runtime config version', data.runtimeConfigVersionId),
    );
  }
  if (problems.length) {
    throw invalid(problems);
  }
}

/** Prisma's foreign-key violation: a pinned version deleted between the check and the insert. */
function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2003';
}

/**
 * Creates a binding of the agent pinning a prompt version, tool versions (in the given order) and a
 * runtime config version of the agent's tenant. It is not live until activated.
 */
export async function createBinding(
  ctx: AgentsCtx,
  tenantId: string,
  agentId: string,
  input: CreateBindingInput,
): Promise<BindingView> {
  const { tenantId: acting, viewer } = actingTenant(ctx, { tenantId, operators: true });
  const raw = parseArgs(CreateBindingInput, input, ['input']);
  const toolVersionIds = (raw.toolVersionIds ?? []).map((id) => id.toLowerCase());
  const repeated = toolVersionIds.flatMap((id, i) =>
    toolVersionIds.indexOf(id) < i
      ? [detail(['input', 'toolVersionIds', i], 'Tool version ids must not repeat.')]
      : [],
  );
  if (repeated.length) {
    throw invalid(repeated);
  }
  const data = {
    promptVersionId: raw.promptVersionId.toLowerCase(),
    toolVersionIds,
    runtimeConfigVersionId: raw.runtimeConfigVersionId.toLowerCase(),
  };
  const agent = await findAgent(ctx, acting, agentId);
  try {
    return await ctx.db.$transaction(async (tx) => {
      await checkPinned(tx, acting, data);
      const row = await tx.agentBinding.create({
        data: {
          tenantId: acting,
          agentId: agent.id,
          promptVersionId: data.promptVersionId,
          runtimeConfigVersionId: data.runtimeConfigVersionId,
          notes: raw.notes ?? null,
          createdBy: viewer.userId,
          tools: {
            create: data.toolVersionIds.map((toolVersionId, position) => ({ toolVersionId, position })),
          },
        },
        include: withTools,
      });
      await recordAudit(tx, viewer, {
        action: 'agent.binding.created',
        targetType: 'agent_binding',
        targetId: row.id,
        tenantId: acting,
        metadata: { agentId: agent.id, ...data },
      });
      return view(row, agent);
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) {
      // A version went away between the check and the insert: answer as the check now does.
      await checkPinned(ctx.db, acting, data);
      throw new NotFoundError('Agent', agentId); // the versions are there: the agent went away
    }
    throw error;
  }
}

/** The agent's bindings, newest first. */
export async function listBindings(
  ctx: AgentsCtx,
  tenantId: string,
  agentId: string,
  args: PageArgs,
): Promise<Page<BindingView>> {
  const { tenantId: acting } = actingTenant(ctx, { tenantId, operators: true });
  return bindingsOfAgent(ctx, await findAgent(ctx, acting, agentId), args);
}

/** The bindings of an agent row already read in its tenant (the `Agent.bindings` field), newest first. */
export async function bindingsOfAgent(
  ctx: AgentsCtx,
  agent: AgentRow,
  args: PageArgs,
): Promise<Page<BindingView>> {
  const page = keyset(args, 'createdAt', 'desc');
  const rows = await ctx.db.agentBinding.findMany({
    where: { agentId: agent.id, tenantId: agent.tenantId, ...page.where },
    orderBy: page.orderBy,
    take: page.take,
    include: withTools,
  });
  const { items, nextCursor } = page.page(rows);
  return { items: items.map((row) => view(row, agent)), nextCursor };
}

/** One binding of the agent; a binding of another agent or tenant is 404. */
export async function getBinding(
  ctx: AgentsCtx,
  tenantId: string,
  agentId: string,
  bindingId: string,
): Promise<BindingView> {
  const { tenantId: acting } = actingTenant(ctx, { tenantId, operators: true });
  const agent = await findAgent(ctx, acting, agentId);
  const id = requireUuid(bindingId, 'bindingId');
  const row = await ctx.db.agentBinding.findFirst({
    where: { id, agentId: agent.id, tenantId: acting },
    include: withTools,
  });
  if (!row) {
    throw new NotFoundError('Binding', bindingId);
  }
  return view(row, agent);
}

/** The live binding of an agent row already read in its tenant (the `Agent.activeBinding` field). */
export async function activeBindingOfAgent(ctx: AgentsCtx, agent: AgentRow): Promise<BindingView | null> {
  if (!agent.activeBindingId) {
    return null;
  }
  // findUnique (batched by Prisma across agents of one list); the tenant check follows.
  const row = await ctx.db.agentBinding.findUnique({
    where: { id: agent.activeBindingId },
    include: withTools,
  });
  return row && row.tenantId === agent.tenantId && row.agentId === agent.id ? view(row, agent) : null;
}

/**
 * Makes the binding the agent's live binding and records the activation (who, when, the binding
 * live before). The agent row is locked first, so concurrent activations apply one after another:
 * exactly one binding ends up live and each history row names the binding live just before it.
 * Activating the binding that is already live changes nothing and records nothing.
 */
export async function activateBinding(
  ctx: AgentsCtx,
  tenantId: string,
  agentId: string,
  bindingId: string,
): Promise<BindingView> {
  const { tenantId: acting, viewer } = actingTenant(ctx, { tenantId, operators: true });
  const agentUuid = requireUuid(agentId, 'agentId');
  const id = requireUuid(bindingId, 'bindingId');
  return ctx.db.$transaction(async (tx) => {
    const agent = await lockAgent(tx, acting, agentUuid);
    const row = await tx.agentBinding.findFirst({
      where: { id, agentId: agent.id, tenantId: acting },
      include: withTools,
    });
    if (!row) {
      throw new NotFoundError('Binding', bindingId);
    }
    if (agent.activeBindingId === row.id) {
      return view(row, agent);
    }
    // Strictly increasing per agent, so newest-first history is exact even within one millisecond
    // (read after the lock: the previous activation has committed).
    const last = await tx.agentBindingActivation.findFirst({
      where: { agentId: agent.id },
      orderBy: [{ activatedAt: 'desc' }, { id: 'desc' }],
      select: { activatedAt: true },
    });
    const activatedAt = new Date(Math.max(Date.now(), (last?.activatedAt.getTime() ?? 0) + 1));
    await tx.agent.update({ where: { id: agent.id }, data: { activeBindingId: row.id } });
    const activation = await tx.agentBindingActivation.create({
      data: {
        tenantId: acting,
        agentId: agent.id,
        bindingId: row.id,
        previousBindingId: agent.activeBindingId,
        activatedBy: viewer.userId,
        activatedAt,
      },
    });
    await recordAudit(tx, viewer, {
      action: 'agent.binding.activated',
      targetType: 'agent_binding',
      targetId: row.id,
      tenantId: acting,
      metadata: { agentId: agent.id, previousBindingId: agent.activeBindingId, activationId: activation.id },
    });
    return view(row, { ...agent, activeBindingId: row.id });
  }, LOCKED_TX);
}

/** Deletes an inactive binding of the agent; the live one answers 409 (activate another first). */
export async function deleteBinding(
  ctx: AgentsCtx,
  tenantId: string,
  agentId: string,
  bindingId: string,
): Promise<boolean> {
  const { tenantId: acting, viewer } = actingTenant(ctx, { tenantId, operators: true });
  const agentUuid = requireUuid(agentId, 'agentId');
  const id = requireUuid(bindingId, 'bindingId');
  return ctx.db.$transaction(async (tx) => {
    const agent = await lockAgent(tx, acting, agentUuid);
    const row = await tx.agentBinding.findFirst({
      where: { id, agentId: agent.id, tenantId: acting },
      select: { id: true },
    });
    if (!row) {
      throw new NotFoundError('Binding', bindingId);
    }
    if (agent.activeBindingId === row.id) {
      throw new ConflictError(
        `Binding ${row.id} is the agent's active binding; activate another binding before deleting it.`,
      );
    }
    await tx.agentBinding.delete({ where: { id: row.id } });
    await recordAudit(tx, viewer, {
      action: 'agent.binding.deleted',
      targetType: 'agent_binding',
      targetId: row.id,
      tenantId: acting,
      metadata: { agentId: agent.id },
    });
    return true;
  }, LOCKED_TX);
}

/** The agent's activations, newest first (rows stay when their binding is deleted). */
export async function activationsOfAgent(
  ctx: AgentsCtx,
  agent: AgentRow,
  args: PageArgs,
): Promise<Page<AgentBindingActivation>> {
  const page = keyset(args, 'activatedAt', 'desc');
  const rows = await ctx.db.agentBindingActivation.findMany({
    where: { agentId: agent.id, tenantId: agent.tenantId, ...page.where },
    orderBy: page.orderBy,
    take: page.take,
  });
  return page.page(rows);
}

/*
 * The pinned version rows of a binding, for the `AgentBinding.promptVersion`, `toolVersions` and
 * `runtimeConfigVersion` fields: through the artifacts' per-request loaders, so a page of bindings
 * costs one query per table. The rows exist (the foreign keys restrict deleting a pinned version).
 */

/** The binding's prompt version. */
export async function promptVersionOfBinding(ctx: AgentsCtx, b: BindingView): Promise<PromptVersion> {
  const row = await loadPromptVersion(ctx, b.tenantId, b.promptVersionId);
  if (!row) {
    throw new NotFoundError('Prompt version', b.promptVersionId);
  }
  return row;
}

/** The binding's tool versions, in the binding's order. */
export async function toolVersionsOfBinding(ctx: AgentsCtx, b: BindingView): Promise<ToolVersion[]> {
  const rows = await Promise.all(b.toolVersionIds.map((id) => loadToolVersion(ctx, b.tenantId, id)));
  return rows.filter((row): row is ToolVersion => row !== null);
}

/** The binding's runtime config version. */
export async function runtimeConfigVersionOfBinding(
  ctx: AgentsCtx,
  b: BindingView,
): Promise<RuntimeConfigVersion> {
  const row = await loadRuntimeConfigVersion(ctx, b.tenantId, b.runtimeConfigVersionId);
  if (!row) {
    throw new NotFoundError('Runtime config version', b.runtimeConfigVersionId);
  }
  return row;
}

/** What the chat runtime runs: the live binding with its pinned version rows, tools in binding order. */
export interface LiveAgentConfig {
  agent: Agent;
  binding: BindingView;
  promptVersion: PromptVersion & { prompt: { id: string; name: string } };
  /** With the tool's name (the name a model calls it by). */
  toolVersions: (ToolVersion & { tool: { id: string; name: string } })[];
  runtimeConfigVersion: RuntimeConfigVersion & { runtimeConfig: { id: string; name: string } };
}

/**
 * The live configuration of a tenant's agent, by id or key, for the chat runtime: null when the
 * agent does not exist in the tenant or has no active binding. Two queries (the agent, then the
 * binding with every pinned version row), whatever the number of tools.
 */
export async function getLiveAgentConfig(
  db: Pick<AgentsTx, 'agent' | 'agentBinding'>,
  tenantId: string,
  agent: { id: string } | { key: string },
): Promise<LiveAgentConfig | null> {
  if ('id' in agent && !isUuid(agent.id)) {
    return null;
  }
  const row = await db.agent.findFirst({ where: { tenantId, ...agent } });
  if (!row?.activeBindingId) {
    return null;
  }
  const name = { select: { id: true, name: true } } as const;
  const binding = await db.agentBinding.findFirst({
    where: { id: row.activeBindingId, agentId: row.id, tenantId },
    include: {
      promptVersion: { include: { prompt: name } },
      runtimeConfigVersion: { include: { runtimeConfig: name } },
      tools: { orderBy: { position: 'asc' }, include: { toolVersion: { include: { tool: name } } } },
    },
  });
  if (!binding) {
    return null;
  }
  const { promptVersion, runtimeConfigVersion, tools, ...rest } = binding;
  return {
    agent: row,
    binding: {
      ...rest,
      toolVersionIds: tools.map((t) => t.toolVersionId),
      active: true,
    },
    promptVersion,
    toolVersions: tools.map((t) => t.toolVersion),
    runtimeConfigVersion,
  };
}

import { z } from 'zod';
import type { Agent } from '../../../generated/prisma/client.js';
import { BadRequestError, NotFoundError } from '../../kernel/errors.js';
import { parseArgs } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentStatus } from '../agents/agent.service.js';
import type { AgentsCtx } from '../db.js';
import { BUILTIN_AGENTS, type BuiltinAgent, builtinAgent } from './builtin-agents.js';
import { BUILTIN_TOOLS, PROVIDER_TOOLS } from './builtin-tools.js';

/** One agent as the merged catalog shows it: a tenant's agent, or a built-in it has not overridden. */
export interface CatalogAgent {
  key: string;
  displayName: string;
  description: string;
  status: AgentStatus;
  source: 'tenant' | 'builtin';
  model: string | null;
  tools: string[];
  outputSchema: Record<string, unknown> | null;
  lastSeenAt: Date | null;
}

/** UI capability flags (the contract's AgentToolingFlags), from the agent's tool names. */
export interface ToolingFlags {
  supportsCodeInterpreter: boolean;
  supportsFileSearch: boolean;
  supportsImageGeneration: boolean;
  supportsWebSearch: boolean;
}

export function toolingFlags(tools: readonly string[]): ToolingFlags {
  return {
    supportsCodeInterpreter: tools.includes('code_interpreter'),
    supportsFileSearch: tools.includes('file_search') || tools.includes('knowledge_search'),
    supportsImageGeneration: tools.includes('image_generation'),
    supportsWebSearch: tools.includes('web_search'),
  };
}

function fromBuiltin(b: BuiltinAgent): CatalogAgent {
  return {
    key: b.key,
    displayName: b.displayName,
    description: b.description,
    status: 'active',
    source: 'builtin',
    model: b.runtimeConfig.model,
    tools: [...b.tools],
    outputSchema: b.outputSchema,
    lastSeenAt: null,
  };
}

/**
 * A tenant agent's catalog view: model and tools from its active binding; without one, from the
 * built-in it overrides (the chat runtime runs that configuration then, see resolve-agent.ts).
 */
async function fromTenantAgents(ctx: AgentsCtx, tenantId: string, agents: Agent[]): Promise<CatalogAgent[]> {
  const bindingIds = agents.flatMap((a) => (a.activeBindingId ? [a.activeBindingId] : []));
  const bindings = bindingIds.length
    ? await ctx.db.agentBinding.findMany({
        where: { id: { in: bindingIds }, tenantId },
        select: {
          id: true,
          runtimeConfigVersion: { select: { model: true } },
          tools: {
            orderBy: { position: 'asc' },
            select: { toolVersion: { select: { tool: { select: { name: true } } } } },
          },
        },
      })
    : [];
  const byId = new Map(bindings.map((b) => [b.id, b]));
  return agents.map((a) => {
    const binding = a.activeBindingId ? byId.get(a.activeBindingId) : undefined;
    const builtin = builtinAgent(a.key);
    return {
      key: a.key,
      displayName: a.displayName,
      description: a.description,
      status: a.status as AgentStatus,
      source: 'tenant',
      model: binding ? binding.runtimeConfigVersion.model : (builtin?.runtimeConfig.model ?? null),
      tools: binding ? binding.tools.map((t) => t.toolVersion.tool.name) : [...(builtin?.tools ?? [])],
      outputSchema: binding ? null : (builtin?.outputSchema ?? null),
      lastSeenAt: a.lastUsedAt,
    };
  });
}

/** The caller's tenant, or null for a credential without one (it sees the built-ins only). */
function catalogTenant(ctx: AgentsCtx): string | null {
  return ctx.viewer?.tenantId ? actingTenant(ctx).tenantId : null;
}

/** The merged catalog of a tenant: its agents, plus the built-ins whose key it has not taken. */
async function catalogAgents(
  ctx: AgentsCtx,
  tenantId: string | null,
  keys?: string[],
): Promise<CatalogAgent[]> {
  const own = tenantId
    ? await ctx.db.agent.findMany({ where: { tenantId, ...(keys ? { key: { in: keys } } : {}) } })
    : [];
  const taken = new Set(own.map((a) => a.key));
  const builtins = BUILTIN_AGENTS.filter((b) => !taken.has(b.key) && (!keys || keys.includes(b.key)));
  return [...(tenantId ? await fromTenantAgents(ctx, tenantId, own) : []), ...builtins.map(fromBuiltin)];
}

const sortName = (a: CatalogAgent) => (a.displayName || a.key).toLowerCase();

/** The legacy order: display name (or key) lowercased, then key. */
function compare(a: { name: string; key: string }, b: { name: string; key: string }): number {
  if (a.name !== b.name) {
    return a.name < b.name ? -1 : 1;
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const INVALID_CURSOR = 'Invalid pagination cursor';

/** The cursor names the last agent of a page by its sort position (`{agent, name}`, URL-safe base64). */
function decodeCursor(cursor: string): { key: string; name: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (value && typeof value.agent === 'string' && typeof value.name === 'string') {
      return { key: value.agent, name: value.name };
    }
  } catch {
    // fall through
  }
  throw new BadRequestError(INVALID_CURSOR);
}

const encodeCursor = (a: CatalogAgent) =>
  Buffer.from(JSON.stringify({ agent: a.key, name: sortName(a) })).toString('base64url');

const CatalogArgs = z.object({
  limit: z.number().int().min(1).max(100).nullish(),
  cursor: z.string().max(1024).nullish(),
  search: z.string().min(1).max(256).nullish(),
});

export interface AgentCatalogPage {
  items: CatalogAgent[];
  nextCursor: string | null;
  total: number;
}

/**
 * `GET /api/v1/agents`: the caller's tenant's agents merged with the built-ins it has not
 * overridden, in the legacy order, `search` a case-insensitive substring of key, display name or
 * description; `total` counts every match. Catalogs are small, so the merge happens in memory.
 */
export async function listAgentCatalog(
  ctx: AgentsCtx,
  args: z.input<typeof CatalogArgs>,
): Promise<AgentCatalogPage> {
  const { limit, cursor, search } = parseArgs(CatalogArgs, args, []);
  const after = cursor ? decodeCursor(cursor) : null;
  const needle = search?.toLowerCase();
  const matching = (await catalogAgents(ctx, catalogTenant(ctx)))
    .filter(
      (a) => !needle || [a.key, a.displayName, a.description].some((v) => v.toLowerCase().includes(needle)),
    )
    .sort((a, b) => compare({ name: sortName(a), key: a.key }, { name: sortName(b), key: b.key }));
  const rest = after
    ? matching.filter((a) => compare({ name: sortName(a), key: a.key }, after) > 0)
    : matching;
  const size = limit ?? 24;
  const items = rest.slice(0, size);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rest.length > size && last ? encodeCursor(last) : null,
    total: matching.length,
  };
}

/** One agent of the merged catalog by key; unknown is 404 `Agent '<key>' not found`. */
export async function catalogAgent(ctx: AgentsCtx, name: string): Promise<CatalogAgent> {
  const [found] = await catalogAgents(ctx, catalogTenant(ctx), [name]);
  if (!found) {
    throw new NotFoundError('Agent', `'${name}'`);
  }
  return found;
}

export interface ToolCatalog {
  totalTools: number;
  toolNames: string[];
  categories: string[];
  perAgent: Record<string, string[]>;
  tools: CatalogTool[];
}

export interface CatalogTool {
  name: string;
  category: string;
  description: string;
  /** `platform` (runs in-process), `provider` (hosted by the model provider) or `tenant` (the tenant's own tool). */
  source: 'platform' | 'provider' | 'tenant';
  parameters: Record<string, unknown> | null;
}

/**
 * `GET /api/v1/tools`: the platform's tools, the provider-hosted ones and the tenant's own tools
 * (category `custom`), and each catalog agent's tools.
 */
export async function toolCatalog(ctx: AgentsCtx): Promise<ToolCatalog> {
  const tenantId = catalogTenant(ctx);
  const own = tenantId
    ? await ctx.db.tool.findMany({
        where: { tenantId },
        orderBy: { name: 'asc' },
        select: { name: true, description: true },
      })
    : [];
  const tools: CatalogTool[] = [
    ...BUILTIN_TOOLS.map((t) => ({
      name: t.name,
      category: t.category,
      description: t.description,
      source: 'platform' as const,
      parameters: t.parameters as Record<string, unknown>,
    })),
    ...PROVIDER_TOOLS.map((t) => ({
      name: t.name,
      category: t.category,
      description: t.description,
      source: 'provider' as const,
      parameters: null,
    })),
  ];
  const known = new Set(tools.map((t) => t.name));
  for (const t of own) {
    if (!known.has(t.name)) {
      tools.push({
        name: t.name,
        category: 'custom',
        description: t.description,
        source: 'tenant',
        parameters: null,
      });
    }
  }
  const agents = await catalogAgents(ctx, tenantId);
  return {
    totalTools: tools.length,
    toolNames: tools.map((t) => t.name),
    categories: [...new Set(tools.map((t) => t.category))].sort(),
    perAgent: Object.fromEntries(
      agents.sort((a, b) => (a.key < b.key ? -1 : 1)).map((a) => [a.key, a.tools]),
    ),
    tools,
  };
}

/** The caller's tenant's agent with a built-in's key (its override), or null. */
export async function builtinOverride(ctx: AgentsCtx, key: string): Promise<Agent | null> {
  const tenantId = catalogTenant(ctx);
  return tenantId ? ctx.db.agent.findFirst({ where: { tenantId, key } }) : null;
}

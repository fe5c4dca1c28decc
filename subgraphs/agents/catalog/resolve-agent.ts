import type { Prisma } from '../../../generated/prisma/client.js';
import type { AgentsTx } from '../db.js';
import { type BuiltinAgent, builtinAgent, DEFAULT_AGENT_KEY, defaultBuiltinAgent } from './builtin-agents.js';

/** The tables the resolution reads (a context's `db` or a transaction of the agents subgraph). */
export type AgentsReader = Pick<AgentsTx, 'agent' | 'agentBinding'>;

/** A binding with the versions it pins (prompt, runtime config, tools in order). */
const bindingDetails = {
  promptVersion: true,
  runtimeConfigVersion: true,
  tools: { orderBy: { position: 'asc' }, include: { toolVersion: { include: { tool: true } } } },
} as const satisfies Prisma.AgentBindingInclude;

export type PinnedBinding = Prisma.AgentBindingGetPayload<{ include: typeof bindingDetails }>;
type AgentRow = Awaited<ReturnType<AgentsReader['agent']['findFirst']>> & {};

/**
 * What the chat runtime runs for a requested agent key in a tenant:
 * - `tenant`: the tenant's own agent (it wins over a built-in of the same key). Its configuration
 *   is `binding` (the active binding's pinned versions); while it has none, `builtin` (the built-in
 *   it overrides, if any) supplies the configuration; with neither, it has no configuration yet.
 * - `builtin`: a platform agent defined in code.
 * `fellBack` is true when the requested key was unknown or inactive and the default answered instead.
 */
export type ResolvedAgent =
  | {
      source: 'tenant';
      key: string;
      requestedKey: string;
      fellBack: boolean;
      agent: AgentRow;
      binding: PinnedBinding | null;
      builtin: BuiltinAgent | null;
    }
  | {
      source: 'builtin';
      key: string;
      requestedKey: string;
      fellBack: boolean;
      agent: null;
      binding: null;
      builtin: BuiltinAgent;
    };

async function tryResolve(
  db: AgentsReader,
  tenantId: string,
  key: string,
): Promise<Omit<ResolvedAgent, 'requestedKey' | 'fellBack'> | null> {
  const agent = await db.agent.findFirst({ where: { tenantId, key } });
  const builtin = builtinAgent(key) ?? null;
  if (agent) {
    // An inactive agent does not answer; the built-in it overrides stays hidden too.
    if (agent.status !== 'active') {
      return null;
    }
    const binding = agent.activeBindingId
      ? await db.agentBinding.findFirst({
          where: { id: agent.activeBindingId, tenantId },
          include: bindingDetails,
        })
      : null;
    return { source: 'tenant', key, agent, binding, builtin };
  }
  return builtin ? { source: 'builtin', key, agent: null, binding: null, builtin } : null;
}

/**
 * Resolves an agent key for a tenant: the tenant's active agent with that key, else the built-in;
 * an unknown, empty or inactive key falls back to the default (`triage`, the tenant's override of it
 * when active), and finally to the built-in `triage`, so a chat always has an agent.
 */
export async function resolveAgent(
  db: AgentsReader,
  tenantId: string,
  requested: string | null | undefined,
): Promise<ResolvedAgent> {
  const requestedKey = requested?.trim() || DEFAULT_AGENT_KEY;
  const found = await tryResolve(db, tenantId, requestedKey);
  if (found) {
    return { ...found, requestedKey, fellBack: false } as ResolvedAgent;
  }
  const fallback =
    requestedKey === DEFAULT_AGENT_KEY ? null : await tryResolve(db, tenantId, DEFAULT_AGENT_KEY);
  if (fallback) {
    return { ...fallback, requestedKey, fellBack: true } as ResolvedAgent;
  }
  return {
    source: 'builtin',
    key: DEFAULT_AGENT_KEY,
    requestedKey,
    fellBack: true,
    agent: null,
    binding: null,
    builtin: defaultBuiltinAgent(),
  };
}

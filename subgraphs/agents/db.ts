import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/** The tables agents owns (prisma/models/agents.prisma); its services see only these on `ctx.db`. */
export const AGENTS_MODELS = [
  'agent',
  'prompt',
  'promptVersion',
  'tool',
  'toolVersion',
  'runtimeConfig',
  'runtimeConfigVersion',
  'agentBinding',
  'agentBindingTool',
  'agentBindingActivation',
  'toolSigningSecret',
  'container',
  'agentContainerBinding',
] as const;

type Own = (typeof AGENTS_MODELS)[number];

/** The request context of agents' services. */
export type AgentsCtx = DomainCtx<Own>;
/** A transaction of agents' services. */
export type AgentsTx = DomainTx<Own>;

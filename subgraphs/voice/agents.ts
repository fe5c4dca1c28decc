import { AppError, ConflictError, ForbiddenError } from '../kernel/errors.js';
import { detail, invalid, isUuid } from '../kernel/validation.js';
import type { VoiceCtx } from './db.js';

/** What voice needs of an agent: who it is, whether it answers, and its live voice settings. */
export interface VoiceAgent {
  id: string;
  key: string;
  status: string;
  bindingId: string | null;
  /** The active binding's runtime-config voice settings (`{stt, tts, language, turnDetection}`), or null. */
  voice: Record<string, unknown> | null;
}

const AgentQuery = `query VoiceAgent($tenantId: ID!, $agentId: ID!) {
  agent(tenantId: $tenantId, agentId: $agentId) {
    id key status
    activeBinding { id runtimeConfigVersion { voice {
      language
      stt { provider model language }
      tts { provider voice }
      turnDetection { mode silenceMs }
    } } }
  }
}`;

interface AgentAnswer {
  agent: {
    id: string;
    key: string;
    status: string;
    activeBinding: { id: string; runtimeConfigVersion: { voice: Record<string, unknown> | null } } | null;
  } | null;
}

/**
 * The tenant's agent named in a request body (`argument`: where), through the agents subgraph as the
 * caller (so its scopes and tenancy apply). Unknown or another tenant's: 422 at the field, as a
 * pinned version is; an inactive agent: 409.
 */
export async function resolveVoiceAgent(
  ctx: VoiceCtx,
  tenantId: string,
  agentId: string,
  argument: (string | number)[],
): Promise<VoiceAgent> {
  const noSuch = () => invalid([detail(argument, `No agent ${agentId} in this tenant.`)]);
  if (!isUuid(agentId)) {
    throw invalid([detail(argument, 'Input should be a valid UUID.', 'uuid_parsing')]);
  }
  let answer: AgentAnswer;
  try {
    answer = await ctx.peers.query<AgentAnswer>(ctx, 'agents', AgentQuery, { tenantId, agentId });
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') {
      throw noSuch();
    }
    // The agents subgraph checks the caller's own scopes: say which one is missing.
    if (error instanceof AppError && error.code === 'FORBIDDEN') {
      throw new ForbiddenError('Reading the agent needs the agents:read scope as well.');
    }
    throw error;
  }
  const agent = answer.agent;
  if (!agent) {
    throw noSuch();
  }
  // The enum travels by its GraphQL name (ACTIVE).
  const status = agent.status.toLowerCase();
  if (status !== 'active') {
    throw new ConflictError(`Agent ${agent.key} is ${status}; activate it first.`);
  }
  return {
    id: agent.id,
    key: agent.key,
    status,
    bindingId: agent.activeBinding?.id ?? null,
    voice: agent.activeBinding?.runtimeConfigVersion.voice ?? null,
  };
}

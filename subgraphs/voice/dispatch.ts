import type { Config } from '../kernel/config.js';
import type { VoiceAgent } from './agents.js';

/**
 * What the platform tells the voice worker in a dispatch (LiveKit's dispatch `metadata`, a JSON
 * string): which tenant, agent and room record the job is for. No credential: the worker proves
 * itself with a LiveKit-signed token and gets a platform token for the run (worker-api).
 */
export interface DispatchMetadata {
  platform: 'agent-platform';
  kind: 'session' | 'call' | 'inbound';
  tenant_id: string;
  agent_id: string;
  agent_key: string;
  binding_id: string | null;
  session_id?: string;
  call_id?: string;
  mapping_id?: string;
  voice: Record<string, unknown> | null;
}

/** The explicit dispatch of `agent` to the deployment's voice worker for one session, call or mapping. */
export function agentDispatch(
  config: Config,
  tenantId: string,
  agent: VoiceAgent,
  target: { session_id: string } | { call_id: string } | { mapping_id: string },
): { agentName: string; metadata: string } {
  const kind = 'session_id' in target ? 'session' : 'call_id' in target ? 'call' : 'inbound';
  const metadata: DispatchMetadata = {
    platform: 'agent-platform',
    kind,
    tenant_id: tenantId,
    agent_id: agent.id,
    agent_key: agent.key,
    binding_id: agent.bindingId,
    ...target,
    voice: agent.voice,
  };
  return { agentName: config.LIVEKIT_AGENT_NAME, metadata: JSON.stringify(metadata) };
}

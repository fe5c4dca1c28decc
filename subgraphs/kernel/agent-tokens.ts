import type { Config } from './config.js';
import type { KeyRing } from './keys.js';
import { AGENT_RUN_SUBJECT } from './viewer.js';

export interface AgentRunGrant {
  tenantId: string;
  /** What runs: `voice-session:<uuid>` or `voice-call:<uuid>`. */
  run: string;
  /** The one conversation the run may write (its transcript). */
  conversationId: string | null;
  agentKey: string;
  /** Only what the run needs: `conversations:write` (run plan, tools), `knowledge:read`. */
  scopes: readonly string[];
  ttlSeconds: number;
  /** Who the run acts for: the user who created the session or call (owner of its conversation). */
  ownerUserId?: string | null;
  /** …or the tenant API key that did. */
  ownerApiKeyId?: string | null;
}

/**
 * A platform access token for one agent run (the voice worker's credential for one session or
 * call): verified like any access token, it becomes an `AgentViewer` of the tenant holding only
 * `scopes`. No refresh: a longer run gets a new one from the voice subgraph.
 */
export async function mintAgentRunToken(
  keys: KeyRing,
  config: Config,
  grant: AgentRunGrant,
): Promise<{ token: string; expiresAt: Date }> {
  const token = await keys.sign(
    {
      sub: `${AGENT_RUN_SUBJECT}${grant.run}`,
      token_use: 'access',
      tenant_id: grant.tenantId,
      scope: grant.scopes.join(' '),
      agent_key: grant.agentKey,
      ...(grant.conversationId ? { conversation_id: grant.conversationId } : {}),
      ...(grant.ownerUserId ? { owner_user_id: grant.ownerUserId } : {}),
      ...(grant.ownerApiKeyId ? { owner_api_key_id: grant.ownerApiKeyId } : {}),
    },
    grant.ttlSeconds,
    config.AUTH_AUDIENCE.split(',')[0],
  );
  return { token, expiresAt: new Date(Date.now() + grant.ttlSeconds * 1000) };
}

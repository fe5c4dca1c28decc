import { defineScopes } from '../kernel/scopes.js';

/** Agent scopes and the roles granted each at login (all grantable to tenant API keys). */
export const agentScopes = defineScopes({
  'agents:read': ['owner', 'admin', 'member', 'viewer'],
  'agents:write': ['owner', 'admin'],
  /** The legacy catalog scope (`GET /api/v1/agents`, `/tools`, guardrails). */
  'tools:read': ['owner', 'admin', 'member', 'viewer'],
});

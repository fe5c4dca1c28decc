import type { ConversationsCtx } from '../db.js';

/** One agent as the agents subgraph plans it for a turn (`Query.agentRunPlan`). */
export interface AgentRunSpec {
  key: string;
  requestedKey: string;
  fellBack: boolean;
  source: string;
  displayName: string;
  bindingId: string | null;
  instructions: string;
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  maxTurns: number;
  guardrailPreset: string | null;
  memory: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  tools: {
    name: string;
    kind: 'builtin' | 'http' | 'provider';
    description: string;
    parameters: Record<string, unknown>;
  }[];
  handoffs: string[];
}

export interface AgentRunPlan {
  entry: AgentRunSpec;
  agents: AgentRunSpec[];
}

export interface GuardrailResultView {
  guardrailKey: string;
  tripwireTriggered: boolean;
  flagged: boolean;
  confidence: number;
  maskedContent: string | null;
  details: unknown;
}

export interface GuardrailEvaluationView {
  stage: string;
  tripwireTriggered: boolean;
  content: string;
  results: GuardrailResultView[];
}

export interface ToolResult {
  output: unknown;
  isError: boolean;
  error: string | null;
}

const SPEC_FIELDS = `key requestedKey fellBack source displayName bindingId instructions model temperature
  maxOutputTokens maxTurns guardrailPreset memory outputSchema handoffs
  tools { name kind description parameters }`;

/**
 * The agents domain as the chat runtime sees it: the plan of a turn, guardrail checks and tool
 * calls, each a GraphQL call to the agents subgraph as the chatting caller (its scopes, its tenant).
 */
export const agentsClient = {
  async plan(ctx: ConversationsCtx, agentKey: string | null, variables: Record<string, unknown>) {
    const data = await ctx.peers.query<{ agentRunPlan: AgentRunPlan }>(
      ctx,
      'agents',
      `query Plan($agentKey: String, $variables: JSON) {
        agentRunPlan(agentKey: $agentKey, variables: $variables) {
          entry { ${SPEC_FIELDS} } agents { ${SPEC_FIELDS} }
        }
      }`,
      { agentKey, variables },
    );
    return data.agentRunPlan;
  },

  async checkGuardrails(
    ctx: ConversationsCtx,
    agentKey: string,
    stage: 'input' | 'output',
    text: string,
  ): Promise<GuardrailEvaluationView> {
    const data = await ctx.peers.query<{ checkAgentGuardrails: GuardrailEvaluationView }>(
      ctx,
      'agents',
      `query Check($agentKey: String!, $stage: GuardrailStage!, $text: String!) {
        checkAgentGuardrails(agentKey: $agentKey, stage: $stage, text: $text) {
          stage tripwireTriggered content
          results { guardrailKey tripwireTriggered flagged confidence maskedContent details }
        }
      }`,
      { agentKey, stage: stage.toUpperCase(), text },
    );
    return data.checkAgentGuardrails;
  },

  async invokeTool(
    ctx: ConversationsCtx,
    call: { agentKey: string; toolName: string; arguments: unknown; conversationId: string },
    signal?: AbortSignal,
  ): Promise<ToolResult> {
    const data = await ctx.peers.query<{ invokeAgentTool: ToolResult }>(
      ctx,
      'agents',
      `mutation Invoke($agentKey: String!, $toolName: String!, $arguments: JSON!, $conversationId: ID) {
        invokeAgentTool(agentKey: $agentKey, toolName: $toolName, arguments: $arguments, conversationId: $conversationId) {
          output isError error
        }
      }`,
      call,
      signal,
    );
    return data.invokeAgentTool;
  },
};

import type { AgentsCtx } from '../db.js';
import { type AgentToolResult, toolError, toolOutput } from './builtin-tool-runner.js';
import type { RunnableAgent } from './run-plan.service.js';

const SEARCH = `query AgentKnowledgeSearch($tenantId: ID!, $agentKey: String!, $agentId: ID, $query: String!, $topK: Int) {
  agentKnowledgeSearch(tenantId: $tenantId, agentKey: $agentKey, agentId: $agentId, query: $query, topK: $topK) {
    results { fileId filename text score }
  }
}`;

interface SearchAnswer {
  agentKnowledgeSearch: { results: { fileId: string; filename: string; text: string; score: number }[] };
}

/**
 * The knowledge_search built-in: the knowledge subgraph searches what the agent may see (its
 * attached files and bound vector store), as the chatting caller. A failure is a tool error the
 * model sees, never a thrown one.
 */
export async function knowledgeSearchTool(
  ctx: AgentsCtx,
  tenantId: string,
  agent: RunnableAgent,
  args: Record<string, unknown>,
): Promise<AgentToolResult> {
  try {
    const answer = await ctx.peers.query<SearchAnswer>(ctx, 'knowledge', SEARCH, {
      tenantId,
      agentKey: agent.key,
      agentId: agent.agentId,
      query: String(args.query ?? ''),
      topK: typeof args.top_k === 'number' ? args.top_k : null,
    });
    const results = answer.agentKnowledgeSearch.results.map((r) => ({
      file_id: r.fileId,
      filename: r.filename,
      score: r.score,
      text: r.text,
    }));
    return toolOutput({ results });
  } catch (error) {
    return toolError(`knowledge search failed: ${(error as Error).message}`);
  }
}

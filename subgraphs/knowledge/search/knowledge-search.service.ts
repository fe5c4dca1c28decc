import { z } from 'zod';
import { Prisma } from '../../../generated/prisma/client.js';
import { NotFoundError } from '../../kernel/errors.js';
import { isUuid, parseArgs } from '../../kernel/validation.js';
import { agentSearchFileIds, tenantAgent } from '../agent-files/agent-file.service.js';
import type { KnowledgeCtx } from '../db.js';
import { knowledgeTenant } from '../files/file.service.js';
import { AttributeFilter, attributeFilterSql } from './filters.js';
import { type ChunkHit, SEARCH_MODES, type SearchMode, searchChunks } from './search.service.js';

const SearchInput = z.object({
  query: z.string().trim().min(1).max(4000),
  topK: z.number().int().min(1).max(50).nullish(),
  fileIds: z.array(z.string()).max(1000).nullish(),
  agentId: z.string().nullish(),
  filters: AttributeFilter.nullish(),
  mode: z.enum(SEARCH_MODES).nullish(),
  scoreThreshold: z.number().min(0).max(1).nullish(),
});

export interface KnowledgeSearchResult {
  query: string;
  mode: SearchMode;
  results: ChunkHit[];
}

/**
 * `POST /api/tenants/{id}/search`: the tenant's ready files, narrowed to `file_ids` (each must be the
 * tenant's: 404 otherwise), to what `agent_id` searches (its files and its bound vector store), and
 * to files whose metadata matches `filters`; hybrid by default.
 */
export async function searchKnowledge(
  ctx: KnowledgeCtx,
  tenantId: string,
  input: unknown,
): Promise<KnowledgeSearchResult> {
  const acting = knowledgeTenant(ctx, tenantId, false);
  const a = parseArgs(SearchInput, input, ['input']);
  let fileIds: string[] | null = null;
  const narrow = (ids: string[]) => {
    fileIds = fileIds === null ? ids : fileIds.filter((id) => ids.includes(id));
  };
  if (a.fileIds?.length) {
    // One query for all of them; any id that is not a file of the tenant is 404, as for one file.
    const ids = [...new Set(a.fileIds.map((id) => id.toLowerCase()))];
    const files = ids.every(isUuid)
      ? await ctx.db.knowledgeFile.findMany({
          where: { tenantId: acting.tenantId, id: { in: ids } },
          select: { id: true },
        })
      : [];
    if (files.length !== ids.length) {
      throw new NotFoundError('File');
    }
    narrow(ids);
  }
  if (a.agentId) {
    const agent = await tenantAgent(ctx, acting.tenantId, a.agentId);
    narrow(await agentSearchFileIds(ctx, acting.tenantId, agent));
  }
  if (a.filters) {
    const rows = await ctx.db.$queryRaw<{ id: string }[]>`
      SELECT id FROM knowledge_file
      WHERE "tenantId" = ${acting.tenantId}::uuid AND ${attributeFilterSql(a.filters, Prisma.raw('metadata'))}`;
    narrow(rows.map((r) => r.id));
  }
  const mode = a.mode ?? 'hybrid';
  const results = await searchChunks(ctx, {
    tenantId: acting.tenantId,
    query: a.query,
    topK: a.topK ?? 5,
    fileIds,
    mode,
    ...(a.scoreThreshold == null ? {} : { scoreThreshold: a.scoreThreshold }),
  });
  return { query: a.query, mode, results };
}

const AgentSearchArgs = z.object({
  agentKey: z.string().min(1).max(128),
  agentId: z.string().nullish(),
  query: z.string().trim().min(1).max(4000),
  topK: z.number().int().min(1).max(50).nullish(),
});

/**
 * What an agent's knowledge_search tool finds: the files attached to the agent and those of the
 * vector store bound to its key; an agent with neither searches all the tenant's ready files.
 */
export async function agentKnowledgeSearch(
  ctx: KnowledgeCtx,
  tenantId: string,
  args: unknown,
): Promise<KnowledgeSearchResult> {
  const acting = knowledgeTenant(ctx, tenantId, false);
  const a = parseArgs(AgentSearchArgs, args, []);
  const agentId = a.agentId && isUuid(a.agentId) ? a.agentId.toLowerCase() : null;
  const scoped = await agentSearchFileIds(ctx, acting.tenantId, { id: agentId, key: a.agentKey });
  const results = await searchChunks(ctx, {
    tenantId: acting.tenantId,
    query: a.query,
    topK: a.topK ?? 5,
    fileIds: scoped.length ? scoped : null,
    mode: 'hybrid',
  });
  return { query: a.query, mode: 'hybrid', results };
}

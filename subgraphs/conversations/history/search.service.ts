import { BadRequestError } from '../../kernel/errors.js';
import { pageSize } from '../../kernel/pagination.js';
import { detail, invalid, isUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { ConversationsCtx } from '../db.js';

export interface SearchResult {
  conversationId: string;
  displayName: string | null;
  agentEntrypoint: string | null;
  activeAgent: string | null;
  topicHint: string | null;
  status: string | null;
  preview: string;
  lastMessagePreview: string | null;
  score: number;
  updatedAt: Date;
}

export interface SearchArgs {
  q: string;
  limit?: number | null | undefined;
  cursor?: string | null | undefined;
  agent?: string | null | undefined;
}

function decodeSearchCursor(cursor: string): { s: number; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: unknown;
      id?: unknown;
    };
    if (
      value &&
      typeof value.s === 'number' &&
      Number.isFinite(value.s) &&
      typeof value.id === 'string' &&
      isUuid(value.id)
    ) {
      return { s: value.s, id: value.id };
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('Invalid pagination cursor.');
}

const PREVIEW = 200;

/**
 * Full-text search over the tenant's messages (`plainto_tsquery('english', q)` on the generated
 * `textTsv`): one result per conversation, scored by its best message's ts_rank, ordered by score
 * then id, keyset cursor on both. A query of stop words only matches nothing.
 */
export async function searchConversations(
  ctx: ConversationsCtx,
  args: SearchArgs,
): Promise<{ items: SearchResult[]; nextCursor: string | null }> {
  const { tenantId } = actingTenant(ctx);
  if (args.q.trim().length === 0) {
    throw invalid([detail(['q'], 'String should have at least 1 character', 'string_too_short')]);
  }
  const limit = pageSize(args.limit, 20, 50);
  const after = args.cursor ? decodeSearchCursor(args.cursor) : null;
  const agent = args.agent || null;
  const rows = await ctx.db.$queryRaw<
    {
      id: string;
      displayName: string | null;
      agentEntrypoint: string;
      activeAgent: string | null;
      topicHint: string | null;
      status: string;
      lastMessagePreview: string | null;
      updatedAt: Date;
      score: number;
      preview: string;
    }[]
  >`
    WITH hits AS (
      SELECT DISTINCT ON (m."conversationId")
             m."conversationId" AS cid,
             ts_rank(m."textTsv", plainto_tsquery('english', ${args.q}))::float8 AS score,
             m.content AS preview
        FROM conversation_message m
       WHERE m."tenantId" = ${tenantId}::uuid
         AND m."textTsv" @@ plainto_tsquery('english', ${args.q})
       ORDER BY m."conversationId", score DESC, m.position DESC
    )
    SELECT c.id::text AS id, c."displayName", c."agentEntrypoint", c."activeAgent", c."topicHint",
           c.status, c."lastMessagePreview", c."updatedAt", h.score, h.preview
      FROM hits h
      JOIN conversation c ON c.id = h.cid AND c."tenantId" = ${tenantId}::uuid
     WHERE (${agent}::text IS NULL OR c."agentEntrypoint" = ${agent}::text)
       AND (${after?.s ?? null}::float8 IS NULL
            OR h.score < ${after?.s ?? null}::float8
            OR (h.score = ${after?.s ?? null}::float8 AND c.id > ${after?.id ?? null}::uuid))
     ORDER BY h.score DESC, c.id ASC
     LIMIT ${limit + 1}`;
  const items = rows.slice(0, limit).map((r) => ({
    conversationId: r.id,
    displayName: r.displayName,
    agentEntrypoint: r.agentEntrypoint,
    activeAgent: r.activeAgent,
    topicHint: r.topicHint,
    status: r.status,
    preview: r.preview.slice(0, PREVIEW),
    lastMessagePreview: (r.lastMessagePreview ?? '').slice(0, 160),
    score: Number(r.score),
    updatedAt: new Date(r.updatedAt),
  }));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify({ s: last.score, id: last.conversationId })).toString('base64url')
        : null,
  };
}

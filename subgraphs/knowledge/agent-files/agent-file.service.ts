import { z } from 'zod';
import type { KnowledgeFile } from '../../../generated/prisma/client.js';
import { NotFoundError } from '../../kernel/errors.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import type { KnowledgeCtx } from '../db.js';
import { knowledgeTenant, resolvePlatformFile } from '../files/file.service.js';

const AgentQuery = `query KnowledgeAgent($tenantId: ID!, $agentId: ID!) {
  agent(tenantId: $tenantId, agentId: $agentId) { id key }
}`;

/** The agent, asked of the agents subgraph as the caller (its 404 for a foreign or unknown agent). */
export async function tenantAgent(
  ctx: KnowledgeCtx,
  tenantId: string,
  agentId: string,
): Promise<{ id: string; key: string }> {
  const id = requireUuid(agentId, 'agentId');
  const { agent } = await ctx.peers.query<{ agent: { id: string; key: string } | null }>(
    ctx,
    'agents',
    AgentQuery,
    { tenantId, agentId: id },
  );
  if (!agent) {
    throw new NotFoundError('Agent');
  }
  return agent;
}

const AttachInput = z.object({ fileIds: z.array(z.string()).min(1).max(100) });

/**
 * Attaches files to an agent (idempotent): its knowledge_search then looks in them. Every id must
 * be a file of the tenant (or a storage object of it); one foreign id and nothing is attached.
 */
export async function attachAgentFiles(
  ctx: KnowledgeCtx,
  tenantId: string,
  agentId: string,
  input: z.input<typeof AttachInput>,
): Promise<{ items: KnowledgeFile[] }> {
  const acting = knowledgeTenant(ctx, tenantId, true);
  const a = parseArgs(AttachInput, input, ['input']);
  const agent = await tenantAgent(ctx, acting.tenantId, agentId);
  const files: KnowledgeFile[] = [];
  for (const fileId of new Set(a.fileIds)) {
    files.push(await resolvePlatformFile(ctx, acting.tenantId, fileId));
  }
  await ctx.db.agentKnowledgeFile.createMany({
    data: files.map((f) => ({ tenantId: acting.tenantId, agentId: agent.id, fileId: f.id })),
    skipDuplicates: true,
  });
  return listAttached(ctx, acting.tenantId, agent.id);
}

/** The files attached to an agent, oldest attachment first. */
export async function agentFiles(
  ctx: KnowledgeCtx,
  tenantId: string,
  agentId: string,
): Promise<{ items: KnowledgeFile[] }> {
  const acting = knowledgeTenant(ctx, tenantId, false);
  const agent = await tenantAgent(ctx, acting.tenantId, agentId);
  return listAttached(ctx, acting.tenantId, agent.id);
}

/** Detaches one file from an agent (idempotent for an attached-then-detached file; 404 for a foreign one). */
export async function detachAgentFile(
  ctx: KnowledgeCtx,
  tenantId: string,
  agentId: string,
  fileId: string,
): Promise<boolean> {
  const acting = knowledgeTenant(ctx, tenantId, true);
  const agent = await tenantAgent(ctx, acting.tenantId, agentId);
  const file = await resolvePlatformFile(ctx, acting.tenantId, fileId);
  await ctx.db.agentKnowledgeFile.deleteMany({
    where: { agentId: agent.id, fileId: file.id, tenantId: acting.tenantId },
  });
  return true;
}

async function listAttached(ctx: KnowledgeCtx, tenantId: string, agentId: string) {
  const links = await ctx.db.agentKnowledgeFile.findMany({
    where: { tenantId, agentId },
    include: { file: true },
    orderBy: [{ createdAt: 'asc' }, { fileId: 'asc' }],
  });
  return { items: links.map((l) => l.file) };
}

/**
 * The files an agent searches: those attached to it, and those of the vector store bound to its
 * key (legacy `POST /vector-stores/{id}/bindings/{agent_key}`).
 */
export async function agentSearchFileIds(
  ctx: KnowledgeCtx,
  tenantId: string,
  agent: { id: string | null; key: string },
): Promise<string[]> {
  const [attached, binding] = await Promise.all([
    agent.id
      ? ctx.db.agentKnowledgeFile.findMany({
          where: { tenantId, agentId: agent.id },
          select: { fileId: true },
        })
      : [],
    ctx.db.agentVectorStore.findUnique({
      where: { tenantId_agentKey: { tenantId, agentKey: agent.key } },
      select: { vectorStore: { select: { files: { select: { fileId: true } } } } },
    }),
  ]);
  return [
    ...new Set([
      ...attached.map((a) => a.fileId),
      ...(binding?.vectorStore.files.map((f) => f.fileId) ?? []),
    ]),
  ];
}

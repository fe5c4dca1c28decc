import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/** The tables knowledge owns (prisma/models/knowledge.prisma); its services see only these on `ctx.db`. */
export const KNOWLEDGE_MODELS = [
  'knowledgeFile',
  'knowledgeChunk',
  'knowledgeEmbeddingSpace',
  'agentKnowledgeFile',
  'vectorStore',
  'vectorStoreFile',
  'agentVectorStore',
] as const;

type Own = (typeof KNOWLEDGE_MODELS)[number];

/** The request context of knowledge's services. */
export type KnowledgeCtx = DomainCtx<Own>;
/** A transaction of knowledge's services. */
export type KnowledgeTx = DomainTx<Own>;

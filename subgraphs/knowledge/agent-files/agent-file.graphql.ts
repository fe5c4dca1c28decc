import type { KnowledgeFile } from '../../../generated/prisma/client.js';
import { builder } from '../builder.js';
import { KnowledgeFileRef } from '../files/file.graphql.js';
import { agentFiles, attachAgentFiles, detachAgentFile } from './agent-file.service.js';

const AgentFileList = builder.objectRef<{ items: KnowledgeFile[] }>('AgentKnowledgeFileList').implement({
  description: 'The files an agent’s knowledge_search looks in (besides its bound vector store).',
  fields: (t) => ({
    items: t.field({
      type: [KnowledgeFileRef],
      description: 'Files, in attachment order.',
      resolve: (l) => l.items,
    }),
  }),
});

const AttachAgentFilesInput = builder.inputType('AttachAgentFilesInput', {
  description: 'Files to attach to an agent.',
  fields: (t) => ({
    fileIds: t.idList({
      required: true,
      description: 'File ids (1–100): files of the tenant, or uploaded storage objects of it.',
    }),
  }),
});

builder.queryField('agentKnowledgeFiles', (t) =>
  t.field({
    type: AgentFileList,
    description: 'The files attached to an agent of the tenant.',
    authScopes: { scope: 'knowledge:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
    },
    resolve: (_root, { tenantId, agentId }, ctx) => agentFiles(ctx, String(tenantId), String(agentId)),
  }),
);

builder.mutationField('attachAgentKnowledgeFiles', (t) =>
  t.field({
    type: AgentFileList,
    description: 'Attaches files to an agent (idempotent); answers all its files.',
    authScopes: { scope: 'knowledge:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      input: t.arg({ type: AttachAgentFilesInput, required: true, description: 'The files.' }),
    },
    resolve: (_root, { tenantId, agentId, input }, ctx) =>
      attachAgentFiles(ctx, String(tenantId), String(agentId), { fileIds: input.fileIds.map(String) }),
  }),
);

builder.mutationField('detachAgentKnowledgeFile', (t) =>
  t.boolean({
    description: 'Detaches a file from an agent (the file stays).',
    authScopes: { scope: 'knowledge:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      agentId: t.arg.id({ required: true, description: 'Agent id (UUID).' }),
      fileId: t.arg.id({ required: true, description: 'File id (UUID).' }),
    },
    resolve: (_root, { tenantId, agentId, fileId }, ctx) =>
      detachAgentFile(ctx, String(tenantId), String(agentId), String(fileId)),
  }),
);

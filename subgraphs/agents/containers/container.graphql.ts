import type { AgentContainerBinding, Container } from '../../../generated/prisma/client.js';
import { builder } from '../builder.js';
import {
  agentContainer,
  bindAgentContainer,
  containerAgentKeys,
  createContainer,
  deleteContainer,
  getContainer,
  listContainers,
  unbindAgentContainer,
} from './container.service.js';
import { containerFileContent } from './container-file.service.js';

export const ContainerRef = builder.objectRef<Container>('Container').implement({
  description: 'An OpenAI code-interpreter container of a tenant, which its agents can be bound to.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Container id (UUID).' }),
    openaiId: t.exposeString('openaiId', { description: 'Id of the container at the provider (`cntr_…`).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant that owns the container.' }),
    ownerUserId: t.exposeID('ownerUserId', {
      nullable: true,
      description: 'User who created it (null when an API key did).',
    }),
    name: t.exposeString('name', { description: 'Name, unique among the tenant’s live containers.' }),
    memoryLimit: t.exposeString('memoryLimit', { description: 'Memory tier: 1g, 4g, 16g or 64g.' }),
    status: t.exposeString('status', {
      description: 'Status as the provider reported it at creation (`running` …), or `deleted`.',
    }),
    expiresAfter: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Expiry policy: `{anchor: "last_active_at", minutes}`.',
      resolve: (c) => c.expiresAfter,
    }),
    lastActiveAt: t.expose('lastActiveAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last activity the provider reported.',
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'Free-form key/values of the tenant (kept here, not sent to the provider).',
      resolve: (c) => c.metadata,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last update time.' }),
    agentKeys: t.stringList({
      description: 'Keys of the agents bound to this container.',
      resolve: (c, _args, ctx) => containerAgentKeys(ctx, c),
    }),
  }),
});

const ContainerList = builder.objectRef<{ items: Container[]; total: number }>('ContainerList').implement({
  description: 'A page of containers.',
  fields: (t) => ({
    items: t.field({
      type: [ContainerRef],
      description: 'Containers, newest first.',
      resolve: (p) => p.items,
    }),
    total: t.exposeInt('total', { description: 'Live containers of the tenant.' }),
  }),
});

const AgentContainerBindingRef = builder.objectRef<AgentContainerBinding>('AgentContainerBinding').implement({
  description: 'Which container an agent’s code-interpreter tool runs in.',
  fields: (t) => ({
    agentKey: t.exposeString('agentKey', { description: 'Key of the agent (built-in or the tenant’s).' }),
    containerId: t.exposeID('containerId', { description: 'The container (UUID).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was bound.' }),
    container: t.field({
      type: ContainerRef,
      description: 'The container.',
      resolve: (b, _args, ctx) => getContainer(ctx, b.containerId),
    }),
  }),
});

builder.queryField('containers', (t) =>
  t.field({
    type: ContainerList,
    description: 'Code-interpreter containers of the caller’s tenant, newest first.',
    authScopes: { scope: 'agents:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 20).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
    },
    resolve: (_root, args, ctx) => listContainers(ctx, args),
  }),
);

builder.queryField('container', (t) =>
  t.field({
    type: ContainerRef,
    description: 'One container of the caller’s tenant (NOT_FOUND for unknown, deleted or foreign ids).',
    authScopes: { scope: 'agents:read' },
    args: { containerId: t.arg.id({ required: true, description: 'Container id (UUID).' }) },
    resolve: (_root, { containerId }, ctx) => getContainer(ctx, String(containerId)),
  }),
);

builder.queryField('agentContainer', (t) =>
  t.field({
    type: ContainerRef,
    nullable: true,
    description: 'The container an agent of the caller’s tenant is bound to (null when none).',
    authScopes: { scope: 'agents:read' },
    args: { agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }) },
    resolve: (_root, { agentKey }, ctx) => agentContainer(ctx, agentKey),
  }),
);

const CreateContainerInput = builder.inputType('CreateContainerInput', {
  description: 'A new code-interpreter container.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name (1–128 characters), unique among live containers.' }),
    memoryLimit: t.string({
      description: 'Memory tier: 1g, 4g, 16g or 64g (default CONTAINER_DEFAULT_MEMORY_LIMIT, 1g).',
    }),
    expiresAfter: t.field({
      type: 'JSON',
      description: 'Expiry policy `{anchor: "last_active_at", minutes}` (provider default otherwise).',
    }),
    fileIds: t.stringList({ description: 'Provider file ids to copy into the container (up to 100).' }),
    metadata: t.field({ type: 'JSON', description: 'Free-form key/values (an object, up to 16 KiB).' }),
  }),
});

builder.mutationField('createContainer', (t) =>
  t.field({
    type: ContainerRef,
    description:
      'Creates a code-interpreter container at the provider and records it (owners and admins; 403 at the tenant’s limit or for a tier not allowed, 409 for a name in use).',
    authScopes: { scope: 'agents:write' },
    args: { input: t.arg({ type: CreateContainerInput, required: true, description: 'The container.' }) },
    resolve: (_root, { input }, ctx) => createContainer(ctx, input),
  }),
);

builder.mutationField('deleteContainer', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Deletes a container at the provider, then marks it deleted and drops its bindings.',
    authScopes: { scope: 'agents:write' },
    args: { containerId: t.arg.id({ required: true, description: 'Container id (UUID).' }) },
    resolve: (_root, { containerId }, ctx) => deleteContainer(ctx, String(containerId)),
  }),
);

const BindAgentContainerInput = builder.inputType('BindAgentContainerInput', {
  description: 'The container to bind an agent to.',
  fields: (t) => ({
    containerId: t.id({ required: true, description: 'A live container of the tenant (UUID).' }),
  }),
});

builder.mutationField('bindAgentContainer', (t) =>
  t.field({
    type: AgentContainerBindingRef,
    description:
      'Binds an agent (by key) to a container, replacing its previous binding (owners and admins).',
    authScopes: { scope: 'agents:write' },
    args: {
      agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }),
      input: t.arg({ type: BindAgentContainerInput, required: true, description: 'The container.' }),
    },
    resolve: (_root, { agentKey, input }, ctx) =>
      bindAgentContainer(ctx, agentKey, { containerId: String(input.containerId) }),
  }),
);

builder.mutationField('unbindAgentContainer', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Removes an agent’s container binding (true also when it had none).',
    authScopes: { scope: 'agents:write' },
    args: { agentKey: t.arg.string({ required: true, description: 'Key of the agent.' }) },
    resolve: (_root, { agentKey }, ctx) => unbindAgentContainer(ctx, agentKey),
  }),
);

const ContainerFileContentRef = builder
  .objectRef<{ filename: string; contentBase64: string }>('ContainerFileContent')
  .implement({
    description: 'A file of a code-interpreter container, as the provider holds it.',
    fields: (t) => ({
      filename: t.exposeString('filename', { description: 'Name of the file (its path’s last part).' }),
      contentBase64: t.exposeString('contentBase64', { description: 'The bytes, base64.' }),
    }),
  });

builder.queryField('containerFileContent', (t) =>
  t.field({
    type: ContainerFileContentRef,
    description:
      'A file of a container of the caller’s tenant, from the provider (NOT_FOUND for a foreign or unknown container or file; SERVICE_UNAVAILABLE without a provider).',
    authScopes: { scope: 'agents:read' },
    args: {
      containerId: t.arg.string({ required: true, description: 'The container’s provider id (`cntr_…`).' }),
      fileId: t.arg.string({ required: true, description: 'The file’s provider id.' }),
    },
    resolve: (_root, { containerId, fileId }, ctx) => containerFileContent(ctx, containerId, fileId),
  }),
);

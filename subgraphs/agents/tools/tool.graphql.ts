import type { ToolVersion } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { artifactRootFields, artifactType, pageOf } from '../artifacts/graphql-kit.js';
import { builder } from '../builder.js';
import { SIGNATURE_HEADER } from './signing.js';
import {
  getToolSigningSecret,
  rotateToolSigningSecret,
  TOOL_KINDS,
  type ToolKind,
  type ToolSigningSecretView,
  toolKind,
} from './tool.service.js';

export const ToolKindEnum = legacyEnum(
  builder,
  'ToolKind',
  TOOL_KINDS,
  "How a tool runs: `http` (the tenant's HTTPS endpoint, signed) or `builtin` (a platform tool by name).",
);

/** The GraphQL type of a tool version (exported through artifacts/refs.ts for bindings). */
export const ToolVersionRef = builder.objectRef<ToolVersion>('ToolVersion').implement({
  description: 'An immutable, numbered version of a tool: what it does, its arguments and how it runs.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Version id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant the tool belongs to.' }),
    toolId: t.exposeID('toolId', { description: 'The tool this is a version of.' }),
    version: t.exposeInt('version', { description: 'Version number: 1, 2, 3… per tool, never reused.' }),
    kind: t.field({
      type: ToolKindEnum,
      description: 'How the tool runs.',
      resolve: (v) => v.kind as ToolKind,
    }),
    description: t.exposeString('description', { description: 'What the tool does (shown to the model).' }),
    parameters: t.field({
      type: 'JSON',
      description: 'JSON Schema (2020-12) of the arguments; its root is an object.',
      resolve: (v) => v.parameters,
    }),
    config: t.field({
      type: 'JSON',
      description:
        '`http`: `{url, method, timeout_ms, max_response_bytes}`; `builtin`: `{name}` (a name of the tool catalog).',
      resolve: (v) => v.config,
    }),
    notes: t.exposeString('notes', { nullable: true, description: 'What changed in this version.' }),
    createdBy: t.exposeID('createdBy', {
      nullable: true,
      description: 'User who created it (null: an API key).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
  }),
});

const ToolVersionPage = pageOf('ToolVersionPage', ToolVersionRef, 'A page of tool versions, newest first.');

const ToolType = artifactType({
  kind: toolKind,
  typeName: 'Tool',
  label: 'tool',
  description: 'A named tool of a tenant; its definition lives in immutable, numbered versions.',
  versionPage: ToolVersionPage,
});
export const ToolRef = ToolType.ref;

const ToolPage = ToolType.page;

const ToolVersionInput = builder.inputType('ToolVersionInput', {
  description: 'A new tool version.',
  fields: (t) => ({
    kind: t.field({ type: ToolKindEnum, required: true, description: 'How the tool runs.' }),
    description: t.string({
      description: "What the tool does, for the model (up to 2000; builtin: defaults to the catalog's).",
    }),
    parameters: t.field({
      type: 'JSON',
      description:
        'JSON Schema of the arguments, root `type: "object"` (builtin: defaults to the catalog\'s).',
    }),
    config: t.field({
      type: 'JSON',
      required: true,
      description:
        '`http`: `{url (https), method (POST, PUT, PATCH; default POST), timeout_ms (100–30000, default 10000), max_response_bytes (1–1048576, default 262144)}`; `builtin`: `{name}`.',
    }),
    notes: t.string({ description: 'What changed (up to 2000 characters).' }),
  }),
});

const CreateToolInput = builder.inputType('CreateToolInput', {
  description: 'A new tool, optionally with its version 1.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name, unique in the tenant (1–128 characters).' }),
    description: t.string({ description: 'What the tool is for (up to 2000 characters).' }),
    firstVersion: t.field({ type: ToolVersionInput, description: 'Version 1, created with the tool.' }),
  }),
});

const ToolSigningSecretRef = builder.objectRef<ToolSigningSecretView>('ToolSigningSecret').implement({
  description: `The secret that signs calls to a tenant's http tools: header \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>\`.`,
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'The secret (keep it on the receiving side only).' }),
    header: t.string({
      description: 'The request header carrying the signature.',
      resolve: () => SIGNATURE_HEADER,
    }),
    scheme: t.string({
      description: 'How the signature is computed.',
      resolve: () =>
        't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>; reject t older than 5 minutes',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When this secret was made.' }),
  }),
});

artifactRootFields({
  kind: toolKind,
  name: 'tool',
  plural: 'tools',
  label: 'tool',
  idArg: 'toolId',
  artifact: ToolRef,
  version: ToolVersionRef,
  artifactPage: ToolPage,
  versionPage: ToolVersionPage,
  createInput: CreateToolInput,
  versionInput: ToolVersionInput,
  describe: {
    list: "The tenant's own tools, newest first (the built-in catalog is `GET /api/v1/tools`).",
    createVersion:
      'Adds the next version of a tool (numbered after the last one ever created); the first http version creates the tenant signing secret.',
  },
});

builder.queryField('toolSigningSecret', (t) =>
  t.field({
    type: ToolSigningSecretRef,
    description:
      "The secret that signs calls to the tenant's http tools (created on first use; agents:write).",
    authScopes: { scope: 'agents:write' },
    args: { tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }) },
    resolve: (_root, args, ctx) => getToolSigningSecret(ctx, String(args.tenantId)),
  }),
);

builder.mutationField('rotateToolSigningSecret', (t) =>
  t.field({
    type: ToolSigningSecretRef,
    description: 'Replaces the signing secret; every later call is signed with the new one.',
    authScopes: { scope: 'agents:write' },
    args: { tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }) },
    resolve: (_root, args, ctx) => rotateToolSigningSecret(ctx, String(args.tenantId)),
  }),
);

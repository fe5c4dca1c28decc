import type { PromptVersion } from '../../../generated/prisma/client.js';
import { artifactRootFields, artifactType, pageOf } from '../artifacts/graphql-kit.js';
import { builder } from '../builder.js';
import { promptKind, type RenderedPrompt, renderPrompt, variablesOf } from './prompt.service.js';
import type { PromptVariable } from './template.js';

const PromptVariableRef = builder.objectRef<PromptVariable>('PromptVariable').implement({
  description: 'A variable a prompt version declares for its `{{name}}` placeholders.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name used in `{{name}}`.' }),
    required: t.exposeBoolean('required', { description: 'Rendering refuses to go without a value.' }),
    default: t.exposeString('default', { nullable: true, description: 'Value used when none is given.' }),
  }),
});

/** The GraphQL type of a prompt version (exported through artifacts/refs.ts for bindings). */
export const PromptVersionRef = builder.objectRef<PromptVersion>('PromptVersion').implement({
  description: 'An immutable, numbered version of a prompt: its template and declared variables.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Version id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant the prompt belongs to.' }),
    promptId: t.exposeID('promptId', { description: 'The prompt this is a version of.' }),
    version: t.exposeInt('version', { description: 'Version number: 1, 2, 3… per prompt, never reused.' }),
    template: t.exposeString('template', { description: 'The text, with `{{variable}}` placeholders.' }),
    variables: t.field({
      type: [PromptVariableRef],
      description: 'The variables the template uses, declared.',
      resolve: (v) => variablesOf(v),
    }),
    notes: t.exposeString('notes', { nullable: true, description: 'What changed in this version.' }),
    createdBy: t.exposeID('createdBy', {
      nullable: true,
      description: 'User who created it (null: an API key).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
  }),
});

const PromptVersionPage = pageOf(
  'PromptVersionPage',
  PromptVersionRef,
  'A page of prompt versions, newest first.',
);

const PromptType = artifactType({
  kind: promptKind,
  typeName: 'Prompt',
  label: 'prompt',
  description: 'A named prompt of a tenant; its content lives in immutable, numbered versions.',
  versionPage: PromptVersionPage,
});
export const PromptRef = PromptType.ref;

const PromptPage = PromptType.page;

const PromptVariableInput = builder.inputType('PromptVariableInput', {
  description: 'A variable declaration.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name used in `{{name}}` (letters, digits, `_`; 1–64).' }),
    required: t.boolean({
      description: 'Rendering needs a value (default: true unless a default is given).',
    }),
    default: t.string({ description: 'Value used when none is given (not with required: true).' }),
  }),
});

const PromptVersionInput = builder.inputType('PromptVersionInput', {
  description: 'A new prompt version.',
  fields: (t) => ({
    template: t.string({
      required: true,
      description: 'The text (1–50000 characters); every `{{name}}` must be declared in `variables`.',
    }),
    variables: t.field({ type: [PromptVariableInput], description: 'Declared variables (at most 100).' }),
    notes: t.string({ description: 'What changed (up to 2000 characters).' }),
  }),
});

const CreatePromptInput = builder.inputType('CreatePromptInput', {
  description: 'A new prompt, optionally with its version 1.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name, unique in the tenant (1–128 characters).' }),
    description: t.string({ description: 'What the prompt is for (up to 2000 characters).' }),
    firstVersion: t.field({ type: PromptVersionInput, description: 'Version 1, created with the prompt.' }),
  }),
});

const RenderedPromptRef = builder.objectRef<RenderedPrompt>('RenderedPrompt').implement({
  description: 'A prompt version rendered with variable values.',
  fields: (t) => ({
    versionId: t.exposeID('versionId', { description: 'The version rendered.' }),
    text: t.exposeString('text', { description: 'The rendered text.' }),
    values: t.field({
      type: 'JSON',
      description: 'The value each declared variable took (given or default; null: none).',
      resolve: (r) => r.values,
    }),
  }),
});

artifactRootFields({
  kind: promptKind,
  name: 'prompt',
  plural: 'prompts',
  label: 'prompt',
  idArg: 'promptId',
  artifact: PromptRef,
  version: PromptVersionRef,
  artifactPage: PromptPage,
  versionPage: PromptVersionPage,
  createInput: CreatePromptInput,
  versionInput: PromptVersionInput,
});

builder.queryField('renderPrompt', (t) =>
  t.field({
    type: RenderedPromptRef,
    description:
      'Renders a prompt version with variable values (defaults fill the rest); a missing required or undeclared variable answers 422 naming it.',
    authScopes: { scope: 'agents:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      versionId: t.arg.id({ required: true, description: 'Prompt version id (UUID).' }),
      variables: t.arg({
        type: 'JSON',
        description: 'Values by variable name (strings, numbers, booleans).',
      }),
    },
    resolve: (_root, args, ctx) =>
      renderPrompt(ctx, String(args.tenantId), String(args.versionId), args.variables),
  }),
);

import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import type { PresetEntry } from './catalog.js';
import { GUARDRAIL_ENGINES, GUARDRAIL_STAGES, type GuardrailResult } from './checks/types.js';
import {
  catalogEntry,
  evaluateGuardrails,
  type Guardrail,
  type GuardrailPreset,
  getGuardrail,
  getGuardrailPreset,
  listGuardrailPresets,
  listGuardrails,
  MAX_SAMPLE_CHARACTERS,
} from './guardrail.service.js';
import type { GuardrailRun, ModelCheck } from './run-guardrails.js';

export const GuardrailStageEnum = legacyEnum(
  builder,
  'GuardrailStage',
  GUARDRAIL_STAGES,
  'Where a guardrail runs in a turn: before the model (pre_flight), on the message, the answer, tool arguments or tool results.',
);

export const GuardrailEngineEnum = legacyEnum(
  builder,
  'GuardrailEngine',
  GUARDRAIL_ENGINES,
  'What a guardrail runs on: `regex` checks run in the platform; `llm`, `api` and `hybrid` need a model.',
);

export const GuardrailRef = builder.objectRef<Guardrail>('Guardrail');

GuardrailRef.implement({
  description: 'A guardrail check the platform ships (defined in code).',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Unique key of the guardrail.' }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    description: t.exposeString('description', { description: 'What the guardrail checks.' }),
    stage: t.field({
      type: GuardrailStageEnum,
      description: 'The stage at which the guardrail runs.',
      resolve: (g) => g.stage,
    }),
    engine: t.field({
      type: GuardrailEngineEnum,
      description: 'What the guardrail runs on (only `regex` runs without a model).',
      resolve: (g) => g.engine,
    }),
    supportsMasking: t.exposeBoolean('supportsMasking', {
      description: 'Whether the guardrail can mask content instead of blocking it.',
    }),
    usesConversationHistory: t.exposeBoolean('usesConversationHistory', {
      description: 'Whether the guardrail needs the conversation so far.',
    }),
    tripwireOnError: t.exposeBoolean('tripwireOnError', {
      description: 'Whether an error while checking blocks the text (fail closed).',
    }),
    defaultConfig: t.field({
      type: 'JSON',
      description: 'The configuration the guardrail runs with when a preset overrides nothing.',
      resolve: (g) => g.defaultConfig,
    }),
    configSchema: t.field({
      type: 'JSON',
      description: 'JSON Schema (draft 2020-12) of the configuration overrides.',
      resolve: (g) => g.configSchema,
    }),
  }),
});

export const GuardrailPresetEntryRef = builder.objectRef<PresetEntry>('GuardrailPresetEntry');

GuardrailPresetEntryRef.implement({
  description: 'One guardrail of a preset, with its configuration overrides.',
  fields: (t) => ({
    guardrailKey: t.exposeString('guardrail_key', { description: 'Key of the guardrail.' }),
    enabled: t.exposeBoolean('enabled', { description: 'Whether the preset runs this guardrail.' }),
    config: t.field({
      type: 'JSON',
      description: "Overrides of the guardrail's default configuration.",
      resolve: (e) => e.config,
    }),
    guardrail: t.field({
      type: GuardrailRef,
      description: 'The guardrail itself.',
      resolve: (e) => catalogEntry(e.guardrail_key),
    }),
  }),
});

export const GuardrailPresetRef = builder.objectRef<GuardrailPreset>('GuardrailPreset');

GuardrailPresetRef.implement({
  description: 'A named set of guardrails with their configuration; a runtime config version names one.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Unique key of the preset.' }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    description: t.exposeString('description', { description: 'What the preset provides.' }),
    guardrailCount: t.exposeInt('guardrailCount', { description: 'Number of guardrails in the preset.' }),
    guardrails: t.field({
      type: [GuardrailPresetEntryRef],
      description: 'The guardrails of the preset, in the order they run.',
      resolve: (p) => p.guardrails,
    }),
  }),
});

export const GuardrailCheckResultRef = builder.objectRef<GuardrailResult>('GuardrailCheckResult');

GuardrailCheckResultRef.implement({
  description: 'What one guardrail found in a text.',
  fields: (t) => ({
    guardrailKey: t.exposeString('guardrail_key', { description: 'Key of the guardrail.' }),
    stage: t.field({ type: GuardrailStageEnum, description: 'The stage checked.', resolve: (r) => r.stage }),
    tripwireTriggered: t.exposeBoolean('tripwire_triggered', {
      description: 'The text must not pass.',
    }),
    flagged: t.exposeBoolean('flagged', { description: 'Something was found (masked or blocked).' }),
    confidence: t.exposeFloat('confidence', { description: 'How sure the check is, 0–1.' }),
    maskedContent: t.string({
      nullable: true,
      description: 'The text with findings masked, when the guardrail masked something.',
      resolve: (r) => r.masked_content ?? null,
    }),
    details: t.field({
      type: 'JSON',
      description:
        'What the check found: PII findings with offsets, URL verdicts, heuristic score and patterns, lengths.',
      resolve: (r) => r.details,
    }),
  }),
});

export const GuardrailModelCheckRef = builder.objectRef<ModelCheck>('GuardrailModelCheck');

GuardrailModelCheckRef.implement({
  description: 'An enabled guardrail that needs a model: the chat runtime runs it, this evaluation did not.',
  fields: (t) => ({
    guardrailKey: t.exposeString('guardrail_key', { description: 'Key of the guardrail.' }),
    engine: t.field({ type: GuardrailEngineEnum, description: 'What it runs on.', resolve: (c) => c.engine }),
    usesConversationHistory: t.exposeBoolean('uses_conversation_history', {
      description: 'Whether it needs the conversation so far.',
    }),
    tripwireOnError: t.exposeBoolean('tripwire_on_error', {
      description: 'Whether an error while checking blocks the text.',
    }),
    config: t.field({ type: 'JSON', description: 'Its resolved configuration.', resolve: (c) => c.config }),
  }),
});

export const GuardrailEvaluationRef = builder.objectRef<GuardrailRun>('GuardrailEvaluation');

GuardrailEvaluationRef.implement({
  description: "The outcome of a preset's guardrails of one stage on a text.",
  fields: (t) => ({
    stage: t.field({
      type: GuardrailStageEnum,
      description: 'The stage evaluated.',
      resolve: (r) => r.stage,
    }),
    tripwireTriggered: t.exposeBoolean('tripwire_triggered', {
      description: 'A check tripped: the text would be refused.',
    }),
    content: t.exposeString('content', {
      description: 'The text after masking (unchanged when nothing was masked): what would go on.',
    }),
    results: t.field({
      type: [GuardrailCheckResultRef],
      description: 'Results of the regex checks that ran, in preset order.',
      resolve: (r) => r.results,
    }),
    requiresModel: t.field({
      type: [GuardrailModelCheckRef],
      description: 'Enabled checks of this stage that need a model (not run here, never faked).',
      resolve: (r) => r.requires_model,
    }),
  }),
});

builder.queryField('guardrails', (t) =>
  t.field({
    type: [GuardrailRef],
    description: 'Every guardrail the platform ships.',
    authScopes: { scope: 'tools:read' },
    resolve: (_root, _args, ctx) => listGuardrails(ctx),
  }),
);

builder.queryField('guardrail', (t) =>
  t.field({
    type: GuardrailRef,
    description: 'One guardrail by key (NOT_FOUND for an unknown key).',
    authScopes: { scope: 'tools:read' },
    args: { guardrailKey: t.arg.string({ required: true, description: 'Key of the guardrail.' }) },
    resolve: (_root, { guardrailKey }, ctx) => getGuardrail(ctx, guardrailKey),
  }),
);

builder.queryField('guardrailPresets', (t) =>
  t.field({
    type: [GuardrailPresetRef],
    description: 'Every guardrail preset the platform ships.',
    authScopes: { scope: 'tools:read' },
    resolve: (_root, _args, ctx) => listGuardrailPresets(ctx),
  }),
);

builder.queryField('guardrailPreset', (t) =>
  t.field({
    type: GuardrailPresetRef,
    description: 'One guardrail preset by key (NOT_FOUND for an unknown key).',
    authScopes: { scope: 'tools:read' },
    args: { presetKey: t.arg.string({ required: true, description: 'Key of the preset.' }) },
    resolve: (_root, { presetKey }, ctx) => getGuardrailPreset(ctx, presetKey),
  }),
);

const GuardrailCheckConfigInput = builder.inputType('GuardrailCheckConfigInput', {
  description: 'One guardrail to evaluate, with configuration overrides (as a preset entry).',
  fields: (t) => ({
    guardrailKey: t.string({ required: true, description: 'Key of the guardrail.' }),
    enabled: t.boolean({ description: 'Whether to run it (default true).' }),
    config: t.field({
      type: 'JSON',
      description: "Overrides of the guardrail's default configuration (validated by its config_schema).",
    }),
  }),
});

builder.queryField('evaluateGuardrails', (t) =>
  t.field({
    type: GuardrailEvaluationRef,
    description:
      "Runs the regex checks of one stage on a sample text, a preset's or a config list's (nothing is stored); model-based checks are listed, not run.",
    authScopes: { scope: 'tools:read' },
    args: {
      presetKey: t.arg.string({ description: 'Key of the preset (or give `checks`).' }),
      checks: t.arg({
        type: [GuardrailCheckConfigInput],
        description: 'Guardrails with overrides, instead of a preset (at most 50).',
      }),
      stage: t.arg({ type: GuardrailStageEnum, required: true, description: 'The stage to evaluate.' }),
      text: t.arg.string({
        required: true,
        description: `The sample text (at most ${MAX_SAMPLE_CHARACTERS} characters).`,
      }),
    },
    resolve: (_root, args, ctx) => evaluateGuardrails(ctx, args),
  }),
);

import type { RuntimeConfigVersion } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { artifactRootFields, artifactType, pageOf } from '../artifacts/graphql-kit.js';
import { builder } from '../builder.js';
import { GUARDRAIL_PRESET_KEYS } from '../guardrails/preset-keys.js';
import {
  MEMORY_STRATEGIES,
  type RuntimeMemory,
  runtimeConfigKind,
  TURN_DETECTION_MODES,
  type VoiceSettings,
} from './runtime-config.service.js';

const MemoryStrategyEnum = legacyEnum(
  builder,
  'MemoryStrategy',
  MEMORY_STRATEGIES,
  'What an agent remembers of a conversation: nothing, the last messages, or a running summary.',
);
const TurnDetectionModeEnum = legacyEnum(
  builder,
  'TurnDetectionMode',
  TURN_DETECTION_MODES,
  'How a voice agent decides the caller has finished speaking.',
);

type Voice = NonNullable<VoiceSettings>;

const RuntimeMemoryRef = builder.objectRef<RuntimeMemory>('RuntimeMemory').implement({
  description: 'Memory settings of an agent run.',
  fields: (t) => ({
    strategy: t.field({ type: MemoryStrategyEnum, description: 'The strategy.', resolve: (m) => m.strategy }),
    maxMessages: t.exposeInt('maxMessages', { description: 'Messages kept (window) or before summarising.' }),
  }),
});

const SpeechToTextRef = builder.objectRef<NonNullable<Voice['stt']>>('SpeechToTextSettings').implement({
  description: 'Speech-to-text of a voice agent.',
  fields: (t) => ({
    provider: t.exposeString('provider', { description: 'Provider name (e.g. deepgram, openai).' }),
    model: t.exposeString('model', { nullable: true, description: 'Provider model.' }),
    language: t.exposeString('language', { nullable: true, description: 'Language tag heard (e.g. en-US).' }),
  }),
});

const TextToSpeechRef = builder.objectRef<NonNullable<Voice['tts']>>('TextToSpeechSettings').implement({
  description: 'Text-to-speech of a voice agent.',
  fields: (t) => ({
    provider: t.exposeString('provider', { description: 'Provider name (e.g. elevenlabs, openai).' }),
    voice: t.exposeString('voice', { nullable: true, description: 'Provider voice.' }),
  }),
});

const TurnDetectionRef = builder
  .objectRef<NonNullable<Voice['turnDetection']>>('TurnDetectionSettings')
  .implement({
    description: 'Turn detection of a voice agent.',
    fields: (t) => ({
      mode: t.field({ type: TurnDetectionModeEnum, description: 'The mode.', resolve: (d) => d.mode }),
      silenceMs: t.exposeInt('silenceMs', { nullable: true, description: 'Silence that ends a turn (ms).' }),
    }),
  });

const VoiceSettingsRef = builder.objectRef<Voice>('VoiceSettings').implement({
  description: 'What a voice agent needs: speech-to-text, text-to-speech, language and turn detection.',
  fields: (t) => ({
    stt: t.field({
      type: SpeechToTextRef,
      nullable: true,
      description: 'Speech-to-text.',
      resolve: (v) => v.stt,
    }),
    tts: t.field({
      type: TextToSpeechRef,
      nullable: true,
      description: 'Text-to-speech.',
      resolve: (v) => v.tts,
    }),
    language: t.exposeString('language', { nullable: true, description: 'Conversation language tag.' }),
    turnDetection: t.field({
      type: TurnDetectionRef,
      nullable: true,
      description: 'Turn detection.',
      resolve: (v) => v.turnDetection,
    }),
  }),
});

/** The GraphQL type of a runtime config version (exported through artifacts/refs.ts for bindings). */
export const RuntimeConfigVersionRef = builder
  .objectRef<RuntimeConfigVersion>('RuntimeConfigVersion')
  .implement({
    description: 'An immutable, numbered version of a runtime config: the model and limits of agent runs.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'Version id (UUID).' }),
      tenantId: t.exposeID('tenantId', { description: 'Tenant the config belongs to.' }),
      runtimeConfigId: t.exposeID('runtimeConfigId', {
        description: 'The runtime config this is a version of.',
      }),
      version: t.exposeInt('version', { description: 'Version number: 1, 2, 3… per config, never reused.' }),
      model: t.exposeString('model', { description: 'Model name.' }),
      temperature: t.exposeFloat('temperature', {
        nullable: true,
        description: 'Sampling temperature (0–2).',
      }),
      maxOutputTokens: t.exposeInt('maxOutputTokens', {
        nullable: true,
        description: 'Output tokens per reply.',
      }),
      maxTurns: t.exposeInt('maxTurns', { nullable: true, description: 'Model turns per run (tool loops).' }),
      memory: t.field({
        type: RuntimeMemoryRef,
        description: 'Memory settings.',
        resolve: (v) => v.memory as unknown as RuntimeMemory,
      }),
      guardrailPreset: t.exposeString('guardrailPreset', {
        nullable: true,
        description: `Guardrail preset applied to runs: ${GUARDRAIL_PRESET_KEYS.join(', ')}.`,
      }),
      voice: t.field({
        type: VoiceSettingsRef,
        nullable: true,
        description: 'Voice settings (voice agents).',
        resolve: (v) => v.voice as unknown as Voice | null,
      }),
      notes: t.exposeString('notes', { nullable: true, description: 'What changed in this version.' }),
      createdBy: t.exposeID('createdBy', {
        nullable: true,
        description: 'User who created it (null: an API key).',
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    }),
  });

const RuntimeConfigVersionPage = pageOf(
  'RuntimeConfigVersionPage',
  RuntimeConfigVersionRef,
  'A page of runtime config versions, newest first.',
);

const RuntimeConfigType = artifactType({
  kind: runtimeConfigKind,
  typeName: 'RuntimeConfig',
  label: 'runtime config',
  description: 'A named runtime config of a tenant; its settings live in immutable, numbered versions.',
  versionPage: RuntimeConfigVersionPage,
});
export const RuntimeConfigRef = RuntimeConfigType.ref;

const RuntimeConfigPage = RuntimeConfigType.page;

const RuntimeMemoryInput = builder.inputType('RuntimeMemoryInput', {
  description: 'Memory settings.',
  fields: (t) => ({
    strategy: t.field({ type: MemoryStrategyEnum, description: 'Strategy (default window).' }),
    maxMessages: t.int({ description: 'Messages kept (1–500, default 20).' }),
  }),
});

const VoiceSettingsInput = builder.inputType('VoiceSettingsInput', {
  description: 'Voice settings.',
  fields: (t) => ({
    stt: t.field({
      type: builder.inputType('SpeechToTextInput', {
        description: 'Speech-to-text.',
        fields: (s) => ({
          provider: s.string({ required: true, description: 'Provider (1–64 characters).' }),
          model: s.string({ description: 'Provider model.' }),
          language: s.string({ description: 'Language tag (e.g. en-US).' }),
        }),
      }),
      description: 'Speech-to-text.',
    }),
    tts: t.field({
      type: builder.inputType('TextToSpeechInput', {
        description: 'Text-to-speech.',
        fields: (s) => ({
          provider: s.string({ required: true, description: 'Provider (1–64 characters).' }),
          voice: s.string({ description: 'Provider voice.' }),
        }),
      }),
      description: 'Text-to-speech.',
    }),
    language: t.string({ description: 'Conversation language tag (e.g. en, en-US).' }),
    turnDetection: t.field({
      type: builder.inputType('TurnDetectionInput', {
        description: 'Turn detection.',
        fields: (s) => ({
          mode: s.field({ type: TurnDetectionModeEnum, required: true, description: 'The mode.' }),
          silenceMs: s.int({ description: 'Silence that ends a turn (100–10000 ms).' }),
        }),
      }),
      description: 'Turn detection.',
    }),
  }),
});

const RuntimeConfigVersionInput = builder.inputType('RuntimeConfigVersionInput', {
  description: 'A new runtime config version.',
  fields: (t) => ({
    model: t.string({ required: true, description: 'Model name (1–128 characters).' }),
    temperature: t.float({ description: 'Sampling temperature (0–2).' }),
    maxOutputTokens: t.int({ description: 'Output tokens per reply (1–128000).' }),
    maxTurns: t.int({ description: 'Model turns per run (1–100).' }),
    memory: t.field({ type: RuntimeMemoryInput, description: 'Memory settings (default: window of 20).' }),
    guardrailPreset: t.string({ description: `Guardrail preset: ${GUARDRAIL_PRESET_KEYS.join(', ')}.` }),
    voice: t.field({ type: VoiceSettingsInput, description: 'Voice settings (voice agents).' }),
    notes: t.string({ description: 'What changed (up to 2000 characters).' }),
  }),
});

const CreateRuntimeConfigInput = builder.inputType('CreateRuntimeConfigInput', {
  description: 'A new runtime config, optionally with its version 1.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name, unique in the tenant (1–128 characters).' }),
    description: t.string({ description: 'What the config is for (up to 2000 characters).' }),
    firstVersion: t.field({
      type: RuntimeConfigVersionInput,
      description: 'Version 1, created with the config.',
    }),
  }),
});

artifactRootFields({
  kind: runtimeConfigKind,
  name: 'runtimeConfig',
  plural: 'runtimeConfigs',
  label: 'runtime config',
  idArg: 'configId',
  artifact: RuntimeConfigRef,
  version: RuntimeConfigVersionRef,
  artifactPage: RuntimeConfigPage,
  versionPage: RuntimeConfigVersionPage,
  createInput: CreateRuntimeConfigInput,
  versionInput: RuntimeConfigVersionInput,
});

import { z } from 'zod';
import type { RuntimeConfig, RuntimeConfigVersion } from '../../../generated/prisma/client.js';
import { type ArgumentPath, parseArgs } from '../../kernel/validation.js';
import { type ArtifactKind, loadVersion } from '../artifacts/versioning.js';
import type { AgentsCtx } from '../db.js';
import { GUARDRAIL_PRESET_KEYS } from '../guardrails/preset-keys.js';

export const MEMORY_STRATEGIES = ['none', 'window', 'summary'] as const;
export const TURN_DETECTION_MODES = ['server_vad', 'semantic_vad', 'push_to_talk', 'none'] as const;

/** Bounds of a runtime config version's numbers. */
export const RUNTIME_LIMITS = {
  temperature: { min: 0, max: 2 },
  maxOutputTokens: { min: 1, max: 128_000 },
  maxTurns: { min: 1, max: 100 },
  memoryMaxMessages: { min: 1, max: 500, default: 20 },
  silenceMs: { min: 100, max: 10_000 },
} as const;

const Name = z.string().trim().min(1).max(64);
/** A BCP 47-ish language tag: `en`, `en-US`, `pt-BR`. */
const Language = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'Use a language tag such as "en" or "en-US".');

const Memory = z.strictObject({
  strategy: z.enum(MEMORY_STRATEGIES).nullish(),
  maxMessages: z
    .number()
    .int()
    .min(RUNTIME_LIMITS.memoryMaxMessages.min)
    .max(RUNTIME_LIMITS.memoryMaxMessages.max)
    .nullish(),
});

const Voice = z.strictObject({
  stt: z.strictObject({ provider: Name, model: Name.nullish(), language: Language.nullish() }).nullish(),
  tts: z.strictObject({ provider: Name, voice: Name.nullish() }).nullish(),
  language: Language.nullish(),
  turnDetection: z
    .strictObject({
      mode: z.enum(TURN_DETECTION_MODES),
      silenceMs: z
        .number()
        .int()
        .min(RUNTIME_LIMITS.silenceMs.min)
        .max(RUNTIME_LIMITS.silenceMs.max)
        .nullish(),
    })
    .nullish(),
});

const RuntimeConfigVersionInput = z.strictObject({
  model: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'Use a model name such as "gpt-4o-mini".'),
  temperature: z.number().min(RUNTIME_LIMITS.temperature.min).max(RUNTIME_LIMITS.temperature.max).nullish(),
  maxOutputTokens: z
    .number()
    .int()
    .min(RUNTIME_LIMITS.maxOutputTokens.min)
    .max(RUNTIME_LIMITS.maxOutputTokens.max)
    .nullish(),
  maxTurns: z.number().int().min(RUNTIME_LIMITS.maxTurns.min).max(RUNTIME_LIMITS.maxTurns.max).nullish(),
  memory: Memory.nullish(),
  guardrailPreset: z.enum(GUARDRAIL_PRESET_KEYS).nullish(),
  voice: Voice.nullish(),
  notes: z.string().max(2000).nullish(),
});
/** As GraphQL delivers it: the preset is a string there, checked against the presets here. */
export type RuntimeConfigVersionInput = Omit<z.input<typeof RuntimeConfigVersionInput>, 'guardrailPreset'> & {
  guardrailPreset?: string | null | undefined;
};

/** The stored memory settings (defaults filled in). */
export interface RuntimeMemory {
  strategy: (typeof MEMORY_STRATEGIES)[number];
  maxMessages: number;
}

/** What a voice agent needs (the voice runtime reads it). */
export interface VoiceSettings {
  stt: { provider: string; model: string | null; language: string | null } | null;
  tts: { provider: string; voice: string | null } | null;
  language: string | null;
  turnDetection: { mode: (typeof TURN_DETECTION_MODES)[number]; silenceMs: number | null } | null;
}

interface RuntimeConfigVersionData {
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  maxTurns: number | null;
  memory: RuntimeMemory;
  guardrailPreset: string | null;
  voice: VoiceSettings | null;
  notes: string | null;
}

/** A version's content: bounded numbers, a known guardrail preset, loosely checked voice settings. */
export function parseRuntimeConfigVersion(input: unknown, loc: ArgumentPath): RuntimeConfigVersionData {
  const data = parseArgs(RuntimeConfigVersionInput, input, loc);
  const voice = data.voice
    ? {
        stt: data.voice.stt
          ? {
              provider: data.voice.stt.provider,
              model: data.voice.stt.model ?? null,
              language: data.voice.stt.language ?? null,
            }
          : null,
        tts: data.voice.tts
          ? { provider: data.voice.tts.provider, voice: data.voice.tts.voice ?? null }
          : null,
        language: data.voice.language ?? null,
        turnDetection: data.voice.turnDetection
          ? { mode: data.voice.turnDetection.mode, silenceMs: data.voice.turnDetection.silenceMs ?? null }
          : null,
      }
    : null;
  return {
    model: data.model,
    temperature: data.temperature ?? null,
    maxOutputTokens: data.maxOutputTokens ?? null,
    maxTurns: data.maxTurns ?? null,
    memory: {
      strategy: data.memory?.strategy ?? 'window',
      maxMessages: data.memory?.maxMessages ?? RUNTIME_LIMITS.memoryMaxMessages.default,
    },
    guardrailPreset: data.guardrailPreset ?? null,
    voice,
    notes: data.notes ?? null,
  };
}

/** Runtime configs for the shared versioning. */
export const runtimeConfigKind: ArtifactKind<
  RuntimeConfig,
  RuntimeConfigVersion,
  RuntimeConfigVersionInput,
  RuntimeConfigVersionData
> = {
  name: 'runtime_config',
  label: 'Runtime config',
  parentKey: 'runtimeConfigId',
  idArgument: 'configId',
  tables: (db) => ({ artifact: db.runtimeConfig as never, version: db.runtimeConfigVersion as never }),
  parseVersion: async (_ctx, input, loc) => parseRuntimeConfigVersion(input, loc),
  pinnedBy: async (tx, versionId) =>
    (
      await tx.agentBinding.findMany({
        where: { runtimeConfigVersionId: versionId },
        orderBy: { createdAt: 'asc' },
      })
    ).map((b) => ({ bindingId: b.id, agentId: b.agentId })),
  diffFields: [
    'model',
    'temperature',
    'maxOutputTokens',
    'maxTurns',
    'memory',
    'guardrailPreset',
    'voice',
    'notes',
  ],
};

/** A runtime config version of the tenant by id (batched); null when absent or another tenant's. */
export const loadRuntimeConfigVersion = (ctx: AgentsCtx, tenantId: string, versionId: string) =>
  loadVersion<RuntimeConfigVersion>(ctx, runtimeConfigKind, tenantId, versionId);

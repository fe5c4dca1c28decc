import { z } from 'zod';
import { NotFoundError } from '../../kernel/errors.js';
import { detail, parseArgs } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx } from '../db.js';
import {
  configSchema,
  defaultConfig,
  GUARDRAILS,
  type GuardrailSpec,
  PRESETS,
  type PresetEntry,
  type PresetSpec,
} from './catalog.js';
import type { GuardrailEngine, GuardrailStage } from './checks/types.js';
import { type GuardrailRun, runGuardrails } from './run-guardrails.js';

/** A guardrail as the catalog publishes it (the legacy `GuardrailDetail`). */
export interface Guardrail {
  key: string;
  displayName: string;
  description: string;
  stage: GuardrailStage;
  engine: GuardrailEngine;
  supportsMasking: boolean;
  usesConversationHistory: boolean;
  tripwireOnError: boolean;
  defaultConfig: Record<string, unknown>;
  configSchema: Record<string, unknown>;
}

/** A preset as the catalog publishes it (the legacy `PresetDetail`). */
export interface GuardrailPreset {
  key: string;
  displayName: string;
  description: string;
  guardrailCount: number;
  guardrails: readonly PresetEntry[];
}

function toGuardrail(spec: GuardrailSpec): Guardrail {
  return {
    key: spec.key,
    displayName: spec.display_name,
    description: spec.description,
    stage: spec.stage,
    engine: spec.engine,
    supportsMasking: spec.supports_masking,
    usesConversationHistory: spec.uses_conversation_history,
    tripwireOnError: spec.tripwire_on_error,
    defaultConfig: defaultConfig(spec),
    configSchema: configSchema(spec),
  };
}

function toPreset(spec: PresetSpec): GuardrailPreset {
  return {
    key: spec.key,
    displayName: spec.display_name,
    description: spec.description,
    guardrailCount: spec.guardrails.length,
    guardrails: spec.guardrails,
  };
}

// The catalog is code: built once.
const CATALOG = GUARDRAILS.map(toGuardrail);
const PRESET_CATALOG = PRESETS.map(toPreset);

/**
 * The catalog needs no tenant, but a credential bound to one passes the acting-tenant rules, so the
 * deployment's email-verification gate applies (the legacy `require_verified_scopes`).
 */
function assertCatalogReader(ctx: AgentsCtx): void {
  if (ctx.viewer?.tenantId) {
    actingTenant(ctx);
  }
}

/** Every shipped guardrail, in catalog order. */
export function listGuardrails(ctx: AgentsCtx): readonly Guardrail[] {
  assertCatalogReader(ctx);
  return CATALOG;
}

/** One guardrail by key; an unknown key is NOT_FOUND. */
export function getGuardrail(ctx: AgentsCtx, key: string): Guardrail {
  assertCatalogReader(ctx);
  return catalogEntry(key);
}

/** The catalog entry of a key the caller already may read (a preset's guardrail). */
export function catalogEntry(key: string): Guardrail {
  const found = CATALOG.find((g) => g.key === key);
  if (!found) {
    throw new NotFoundError('Guardrail', key);
  }
  return found;
}

/** Every shipped preset. */
export function listGuardrailPresets(ctx: AgentsCtx): readonly GuardrailPreset[] {
  assertCatalogReader(ctx);
  return PRESET_CATALOG;
}

/** One preset by key; an unknown key is NOT_FOUND. */
export function getGuardrailPreset(ctx: AgentsCtx, key: string): GuardrailPreset {
  assertCatalogReader(ctx);
  const found = PRESET_CATALOG.find((p) => p.key === key);
  if (!found) {
    throw new NotFoundError('Guardrail preset', key);
  }
  return found;
}

/** Longest sample text `evaluateGuardrails` accepts. */
export const MAX_SAMPLE_CHARACTERS = 100_000;

const EvaluateArgs = z.object({
  presetKey: z.string().min(1).max(64).nullish(),
  checks: z
    .array(
      z.object({
        guardrailKey: z.string().min(1).max(64),
        enabled: z.boolean().nullish(),
        config: z.record(z.string(), z.unknown()).nullish(),
      }),
    )
    .max(50)
    .nullish(),
  text: z.string().max(MAX_SAMPLE_CHARACTERS),
});
/** The arguments as GraphQL passes them (`config` is any JSON until validated). */
export interface EvaluateGuardrailsArgs {
  presetKey?: string | null;
  checks?: { guardrailKey: string; enabled?: boolean | null; config?: unknown }[] | null;
  stage: GuardrailStage;
  text: string;
}

/**
 * Runs the regex checks of one stage on a sample text (nothing is stored): a preset's, or those of a
 * config list to try overrides before a preset has them.
 */
export function evaluateGuardrails(ctx: AgentsCtx, args: EvaluateGuardrailsArgs): GuardrailRun {
  assertCatalogReader(ctx);
  const unknownKeys = (args.checks ?? []).flatMap((c, i) =>
    GUARDRAILS.some((g) => g.key === c.guardrailKey)
      ? []
      : [detail(['checks', i, 'guardrailKey'], `No guardrail "${c.guardrailKey}".`, 'enum')],
  );
  const oneSource =
    (args.presetKey == null) === (args.checks == null)
      ? [detail(['presetKey'], 'Give either presetKey or checks.', 'value_error')]
      : [];
  const { presetKey, checks, text } = parseArgs(EvaluateArgs, args, [], [...oneSource, ...unknownKeys]);
  const source =
    presetKey ??
    (checks ?? []).map((c) => ({
      guardrail_key: c.guardrailKey,
      enabled: c.enabled ?? true,
      config: c.config ?? {},
    }));
  return runGuardrails(source, args.stage, text, ['checks']);
}

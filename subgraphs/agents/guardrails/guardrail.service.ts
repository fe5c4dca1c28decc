import { z } from 'zod';
import { NotFoundError } from '../../kernel/errors.js';
import { parseArgs } from '../../kernel/validation.js';
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
  presetKey: z.string().min(1).max(64),
  text: z.string().max(MAX_SAMPLE_CHARACTERS),
});

/** Runs a preset's regex checks of one stage on a sample text (nothing is stored). */
export function evaluateGuardrails(
  ctx: AgentsCtx,
  args: { presetKey: string; stage: GuardrailStage; text: string },
): GuardrailRun {
  assertCatalogReader(ctx);
  const { presetKey, text } = parseArgs(EvaluateArgs, args, []);
  return runGuardrails(presetKey, args.stage, text);
}

import { NotFoundError } from '../../kernel/errors.js';
import { type ArgumentPath, parseArgs } from '../../kernel/validation.js';
import { findGuardrail, findPreset, type GuardrailSpec, type PresetEntry } from './catalog.js';
import type { GuardrailEngine, GuardrailResult, GuardrailStage } from './checks/types.js';

/** A check the runtime must run with a model (engine llm, api or hybrid), with its resolved config. */
export interface ModelCheck {
  guardrail_key: string;
  stage: GuardrailStage;
  engine: GuardrailEngine;
  uses_conversation_history: boolean;
  tripwire_on_error: boolean;
  config: Record<string, unknown>;
}

/** The outcome of a stage's guardrails on one text. */
export interface GuardrailRun {
  stage: GuardrailStage;
  /** A regex check tripped: the text must not pass. */
  tripwire_triggered: boolean;
  /** The text after masking checks (the input when nothing was masked): what goes on. */
  content: string;
  /** The results of the regex checks that ran, in preset order. */
  results: GuardrailResult[];
  /** Enabled model-based checks of this stage, not run here (skipped, never faked). */
  requires_model: ModelCheck[];
}

/** An entry of a config list: like a preset's (`enabled` defaults to true, `config` to none). */
export interface GuardrailCheckConfig {
  guardrail_key: string;
  enabled?: boolean;
  config?: Record<string, unknown>;
}

/**
 * The guardrail's full config: its defaults under `overrides`, validated by the check's schema
 * (a VALIDATION_FAILED at `path` otherwise).
 */
export function resolveConfig(
  spec: GuardrailSpec,
  overrides: Record<string, unknown> = {},
  path: ArgumentPath = ['config'],
): Record<string, unknown> {
  return parseArgs(spec.config, overrides, path);
}

/** The entries of a preset, or a config list as given; an unknown preset or guardrail is NOT_FOUND. */
function entriesOf(source: string | readonly GuardrailCheckConfig[]): readonly GuardrailCheckConfig[] {
  if (typeof source !== 'string') {
    return source;
  }
  const preset = findPreset(source);
  if (!preset) {
    throw new NotFoundError('Guardrail preset', source);
  }
  return preset.guardrails satisfies readonly PresetEntry[];
}

/**
 * Runs the enabled checks of a preset (or a config list) for one stage on `text`. Regex checks run
 * in order, each on the text as the previous masking check left it; model-based checks are listed
 * in `requires_model` for the chat runtime. Pure: no I/O. A config entry that does not validate is
 * a VALIDATION_FAILED at `[...listPath, index, 'config', …]`.
 */
export function runGuardrails(
  source: string | readonly GuardrailCheckConfig[],
  stage: GuardrailStage,
  text: string,
  /** Where a config list sits among the caller's arguments, for validation locs. */
  listPath: ArgumentPath = [],
): GuardrailRun {
  const run: GuardrailRun = {
    stage,
    tripwire_triggered: false,
    content: text,
    results: [],
    requires_model: [],
  };
  entriesOf(source).forEach((entry, index) => {
    const spec = findGuardrail(entry.guardrail_key);
    if (!spec) {
      throw new NotFoundError('Guardrail', entry.guardrail_key);
    }
    // Every entry's config is validated, whatever its stage: a bad config is refused up front.
    const config = resolveConfig(
      spec,
      entry.config,
      typeof source === 'string' ? ['config'] : [...listPath, index, 'config'],
    );
    if (entry.enabled === false || spec.stage !== stage) {
      return;
    }
    if (!spec.check) {
      run.requires_model.push({
        guardrail_key: spec.key,
        stage,
        engine: spec.engine,
        uses_conversation_history: spec.uses_conversation_history,
        tripwire_on_error: spec.tripwire_on_error,
        config,
      });
      return;
    }
    const outcome = spec.check(run.content, config);
    run.results.push({ guardrail_key: spec.key, stage, ...outcome });
    run.tripwire_triggered ||= outcome.tripwire_triggered;
    if (outcome.masked_content !== undefined) {
      run.content = outcome.masked_content;
    }
  });
  return run;
}

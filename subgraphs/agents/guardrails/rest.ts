import type { RestRoute } from '../../../rest-bridge/routes/types.js';

/** The legacy guardrail catalog (`/api/v1/guardrails`); the bridge's router prefers the static `presets`. */
export const guardrailRoutes: RestRoute[] = [
  {
    field: 'Query.guardrails',
    method: 'GET',
    path: '/api/v1/guardrails',
    tags: ['guardrails'],
    summary: 'List guardrails',
  },
  {
    field: 'Query.guardrailPresets',
    method: 'GET',
    path: '/api/v1/guardrails/presets',
    tags: ['guardrails'],
    summary: 'List guardrail presets',
  },
  {
    field: 'Query.guardrail',
    method: 'GET',
    path: '/api/v1/guardrails/{guardrail_key}',
    tags: ['guardrails'],
    summary: 'Get a guardrail',
  },
  {
    field: 'Query.guardrailPreset',
    method: 'GET',
    path: '/api/v1/guardrails/presets/{preset_key}',
    tags: ['guardrails'],
    summary: 'Get a guardrail preset',
  },
];

/** REST leaves out the nested guardrail of a preset entry (the legacy `{guardrail_key, enabled, config}`). */
export const guardrailIgnored = ['GuardrailPresetEntry.guardrail'];

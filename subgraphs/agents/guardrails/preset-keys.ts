/** The guardrail presets the platform ships (the legacy catalog's); a runtime config version names one. */
export const GUARDRAIL_PRESET_KEYS = [
  'minimal',
  'standard',
  'strict',
  'tool_standard',
  'tool_strict',
] as const;

export type GuardrailPresetKey = (typeof GUARDRAIL_PRESET_KEYS)[number];

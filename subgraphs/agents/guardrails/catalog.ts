import { z } from 'zod';
import { checkJailbreak, checkPromptInjection, HeuristicConfig } from './checks/heuristics.js';
import { checkLength, LengthConfig } from './checks/length.js';
import { checkPii, PiiConfig } from './checks/pii.js';
import type { CheckOutcome, GuardrailEngine, GuardrailStage } from './checks/types.js';
import { checkUrls, UrlFilterConfig } from './checks/url-filter.js';
import type { GuardrailPresetKey } from './preset-keys.js';

/** One guardrail of the catalog (the legacy `GuardrailDetail`), defined in code. */
export interface GuardrailSpec {
  key: string;
  display_name: string;
  description: string;
  stage: GuardrailStage;
  engine: GuardrailEngine;
  supports_masking: boolean;
  uses_conversation_history: boolean;
  tripwire_on_error: boolean;
  /** The check's configuration: defaults, validation and the published JSON Schema come from it. */
  config: z.ZodType<Record<string, unknown>>;
  /** The check itself, for `regex` engines; the others are run by the chat runtime with a model. */
  check?: (text: string, config: Record<string, unknown>) => CheckOutcome;
}

function guardrail<S extends z.ZodType<Record<string, unknown>>>(
  spec: Omit<GuardrailSpec, 'config' | 'check'> & {
    config: S;
    check?: (text: string, config: z.output<S>) => CheckOutcome;
  },
): GuardrailSpec {
  return spec as GuardrailSpec;
}

const ModelName = z.string().min(1).max(100).describe('The model that runs the check.');
const Confidence = z
  .number()
  .min(0)
  .max(1)
  .default(0.7)
  .describe('Model confidence (0–1) at which the text is flagged.');

const ModelCheckConfig = z
  .object({ model: ModelName.default('gpt-4.1-mini'), confidence_threshold: Confidence })
  .strict();

const PromptedCheckConfig = z
  .object({
    model: ModelName.default('gpt-4.1-mini'),
    confidence_threshold: Confidence,
    system_prompt_details: z
      .string()
      .max(4000)
      .default('')
      .describe('What the model judges against (the policy, or the topics in scope).'),
  })
  .strict();

export const MODERATION_CATEGORIES = [
  'sexual',
  'sexual/minors',
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'violence',
  'violence/graphic',
] as const;

const piiStage = (stage: GuardrailStage, where: string) =>
  guardrail({
    key: stage === 'pre_flight' ? 'pii_detection' : stage === 'output' ? 'pii_output' : `pii_${stage}`,
    display_name: `PII ${where}`,
    description: `Finds personal data (emails, phone numbers, payment cards with a Luhn check, IBANs, US SSNs, IP addresses) in ${where}; masks it with <EMAIL>-style tokens or blocks.`,
    stage,
    engine: 'regex',
    supports_masking: true,
    uses_conversation_history: false,
    tripwire_on_error: false,
    config: PiiConfig,
    check: checkPii,
  });

const injectionStage = (key: string, stage: GuardrailStage, where: string) =>
  guardrail({
    key,
    display_name: `Prompt injection ${where}`,
    description: `Scores ${where} against weighted prompt-injection patterns (instructions to ignore or override the system prompt, role markers, exfiltration requests).`,
    stage,
    engine: 'regex',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: true,
    config: HeuristicConfig,
    check: checkPromptInjection,
  });

/** The shipped checks, in catalog order (the legacy list plus `length`). */
export const GUARDRAILS: readonly GuardrailSpec[] = [
  guardrail({
    key: 'custom_prompt',
    display_name: 'Custom prompt check',
    description: 'A model judges the message against a policy the tenant writes in `system_prompt_details`.',
    stage: 'input',
    engine: 'llm',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: false,
    config: PromptedCheckConfig,
  }),
  guardrail({
    key: 'hallucination',
    display_name: 'Hallucination detection',
    description: "A model checks the answer's factual claims against the tenant's knowledge source.",
    stage: 'output',
    engine: 'llm',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: false,
    config: z
      .object({
        model: ModelName.default('gpt-4.1-mini'),
        confidence_threshold: Confidence,
        knowledge_source: z
          .string()
          .max(200)
          .nullable()
          .default(null)
          .describe('The vector store the claims are checked against; null: the agent’s own.'),
      })
      .strict(),
  }),
  guardrail({
    key: 'jailbreak_detection',
    display_name: 'Jailbreak detection',
    description:
      'Scores the message against weighted jailbreak patterns (DAN and developer modes, unfiltered personas, requests to ignore instructions or bypass safety), robust to case, spacing and digit-for-letter swaps.',
    stage: 'input',
    engine: 'regex',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: true,
    config: HeuristicConfig,
    check: checkJailbreak,
  }),
  guardrail({
    key: 'length',
    display_name: 'Length limit',
    description: 'Refuses a message over a number of characters or (estimated) tokens before any model runs.',
    stage: 'pre_flight',
    engine: 'regex',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: false,
    config: LengthConfig,
    check: checkLength,
  }),
  guardrail({
    key: 'moderation',
    display_name: 'Moderation',
    description: 'The provider’s moderation API flags harmful content by category.',
    stage: 'input',
    engine: 'api',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: true,
    config: z
      .object({
        model: ModelName.default('omni-moderation-latest'),
        categories: z
          .array(z.enum(MODERATION_CATEGORIES))
          .min(1)
          .default([...MODERATION_CATEGORIES])
          .describe('The categories that flag the message.'),
      })
      .strict(),
  }),
  guardrail({
    key: 'nsfw_text',
    display_name: 'NSFW text',
    description: 'A model flags sexual, profane or otherwise not-safe-for-work content in the answer.',
    stage: 'output',
    engine: 'llm',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: false,
    config: ModelCheckConfig,
  }),
  guardrail({
    key: 'off_topic_prompts',
    display_name: 'Off-topic prompts',
    description: 'A model flags messages outside the business scope described in `system_prompt_details`.',
    stage: 'input',
    engine: 'llm',
    supports_masking: false,
    uses_conversation_history: true,
    tripwire_on_error: false,
    config: PromptedCheckConfig,
  }),
  piiStage('pre_flight', 'the user’s message'),
  piiStage('output', 'the answer'),
  piiStage('tool_input', 'tool arguments'),
  piiStage('tool_output', 'tool results'),
  injectionStage('prompt_injection', 'input', 'the user’s message'),
  injectionStage('prompt_injection_tool_input', 'tool_input', 'tool arguments'),
  injectionStage('prompt_injection_tool_output', 'tool_output', 'tool results'),
  guardrail({
    key: 'url_filter',
    display_name: 'URL filter',
    description:
      'Checks every URL in the answer: allowed and blocked domains (with subdomains), allowed schemes, IP-literal hosts and embedded credentials.',
    stage: 'output',
    engine: 'regex',
    supports_masking: false,
    uses_conversation_history: false,
    tripwire_on_error: false,
    config: UrlFilterConfig,
    check: checkUrls,
  }),
];

/** One guardrail of a preset: configuration overrides on top of the check's defaults. */
export interface PresetEntry {
  guardrail_key: string;
  enabled: boolean;
  config: Record<string, unknown>;
}

export interface PresetSpec {
  key: GuardrailPresetKey;
  display_name: string;
  description: string;
  guardrails: readonly PresetEntry[];
}

const on = (guardrail_key: string, config: Record<string, unknown> = {}): PresetEntry => ({
  guardrail_key,
  enabled: true,
  config,
});
const off = (guardrail_key: string, config: Record<string, unknown> = {}): PresetEntry => ({
  guardrail_key,
  enabled: false,
  config,
});

const STANDARD: readonly PresetEntry[] = [
  on('length'),
  on('pii_detection'),
  on('moderation'),
  on('jailbreak_detection'),
  on('prompt_injection'),
  on('pii_output'),
  on('url_filter'),
];

const STRICT: readonly PresetEntry[] = [
  on('length', { max_characters: 8000 }),
  on('pii_detection'),
  on('moderation'),
  on('jailbreak_detection', { threshold: 0.35 }),
  on('prompt_injection', { threshold: 0.35 }),
  // Needs the tenant's scope description; enable it with `system_prompt_details`.
  off('off_topic_prompts'),
  on('pii_output', { block: true }),
  on('url_filter', { allowed_schemes: ['https'] }),
  on('nsfw_text'),
  // Needs a knowledge source to check against.
  off('hallucination'),
];

/** The shipped presets; a runtime config version names one (`guardrail_preset`). */
export const PRESETS: readonly PresetSpec[] = [
  {
    key: 'minimal',
    display_name: 'Minimal',
    description: 'A length limit, moderation and jailbreak detection on the user’s message.',
    guardrails: [on('length'), on('moderation'), on('jailbreak_detection')],
  },
  {
    key: 'standard',
    display_name: 'Standard',
    description:
      'Minimal, plus PII masking in messages and answers, prompt-injection detection and the URL filter.',
    guardrails: STANDARD,
  },
  {
    key: 'strict',
    display_name: 'Strict',
    description:
      'Standard with lower detection thresholds, PII blocked in answers, HTTPS-only links and NSFW detection.',
    guardrails: STRICT,
  },
  {
    key: 'tool_standard',
    display_name: 'Tool standard',
    description:
      'Standard, plus PII masking in tool arguments and results and prompt-injection detection in tool results.',
    guardrails: [
      ...STANDARD,
      on('pii_tool_input'),
      on('pii_tool_output'),
      on('prompt_injection_tool_output'),
    ],
  },
  {
    key: 'tool_strict',
    display_name: 'Tool strict',
    description:
      'Strict, plus PII blocked in tool arguments, masked in tool results, and prompt-injection detection on both.',
    guardrails: [
      ...STRICT,
      on('pii_tool_input', { block: true }),
      on('pii_tool_output'),
      on('prompt_injection_tool_input', { threshold: 0.35 }),
      on('prompt_injection_tool_output', { threshold: 0.35 }),
    ],
  },
];

export function findGuardrail(key: string): GuardrailSpec | undefined {
  return GUARDRAILS.find((g) => g.key === key);
}

export function findPreset(key: string): PresetSpec | undefined {
  return PRESETS.find((p) => p.key === key);
}

/** The configuration a check runs with when nothing overrides it. */
export function defaultConfig(spec: GuardrailSpec): Record<string, unknown> {
  return spec.config.parse({});
}

/** The JSON Schema (draft 2020-12) of a check's configuration overrides. */
export function configSchema(spec: GuardrailSpec): Record<string, unknown> {
  return z.toJSONSchema(spec.config, { io: 'input' }) as Record<string, unknown>;
}

import type { GuardrailPresetKey } from '../guardrails/preset-keys.js';
import type { CatalogToolName } from './builtin-tools.js';

/**
 * The platform's built-in agents, defined in code. Every tenant sees them; a tenant overrides one by
 * creating its own agent with the same key (its agent then wins everywhere: catalog, status, chat).
 */

/** A `{{variable}}` of a built-in prompt (the shape of a prompt version's `variables`). */
export interface BuiltinPromptVariable {
  name: string;
  required: boolean;
  default: string | null;
}

export interface BuiltinRuntimeConfig {
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  maxTurns: number;
  guardrailPreset: GuardrailPresetKey;
}

export interface BuiltinAgent {
  key: string;
  displayName: string;
  description: string;
  /** The agent a chat falls back to when none (or an unknown one) is asked for. */
  isDefault: boolean;
  prompt: { template: string; variables: readonly BuiltinPromptVariable[] };
  tools: readonly CatalogToolName[];
  runtimeConfig: BuiltinRuntimeConfig;
  /** Keys of the agents this one may hand the conversation to. */
  handoffs: readonly string[];
  /** JSON Schema of a structured output, when the agent declares one. */
  outputSchema: Record<string, unknown> | null;
}

/** The variables every built-in prompt may use: filled in by the chat runtime. */
const CONTEXT_VARIABLES: readonly BuiltinPromptVariable[] = [
  { name: 'user_name', required: false, default: 'there' },
  { name: 'tenant_name', required: false, default: 'your organisation' },
  { name: 'current_date', required: false, default: null },
];

export const DEFAULT_AGENT_KEY = 'triage';

export const BUILTIN_AGENTS: readonly BuiltinAgent[] = [
  {
    key: 'triage',
    displayName: 'Triage Assistant',
    description: 'The default assistant: answers general questions and hands off to specialists.',
    isDefault: true,
    prompt: {
      template: [
        'You are the first assistant {{user_name}} talks to at {{tenant_name}}. Today is {{current_date}}.',
        'Answer general questions yourself, briefly and accurately.',
        'Hand the conversation to `code_assistant` for programming, debugging or code review, and to',
        '`researcher` for questions that need sources or current information. Say which specialist you',
        'hand off to and why. Never invent facts; when unsure, say so.',
      ].join('\n'),
      variables: CONTEXT_VARIABLES,
    },
    tools: ['current_time', 'knowledge_search'],
    runtimeConfig: {
      model: 'gpt-4.1-mini',
      temperature: 0.3,
      maxOutputTokens: 2048,
      maxTurns: 10,
      guardrailPreset: 'standard',
    },
    handoffs: ['code_assistant', 'researcher'],
    outputSchema: null,
  },
  {
    key: 'code_assistant',
    displayName: 'Code Assistant',
    description: 'Software engineering questions, debugging and code review; runs code when it helps.',
    isDefault: false,
    prompt: {
      template: [
        'You are a senior software engineer helping {{user_name}} at {{tenant_name}}.',
        'Explain your reasoning, show minimal working code, and point out risks (security, data loss,',
        'performance). Run code in the code interpreter to check a claim when you can.',
      ].join('\n'),
      variables: CONTEXT_VARIABLES.filter((v) => v.name !== 'current_date'),
    },
    tools: ['code_interpreter', 'current_time'],
    runtimeConfig: {
      model: 'gpt-4.1',
      temperature: 0.2,
      maxOutputTokens: 4096,
      maxTurns: 12,
      guardrailPreset: 'tool_standard',
    },
    handoffs: [],
    outputSchema: null,
  },
  {
    key: 'researcher',
    displayName: 'Researcher',
    description: "Researches a question on the web and in the tenant's knowledge, and cites its sources.",
    isDefault: false,
    prompt: {
      template: [
        'You research questions for {{user_name}} at {{tenant_name}}. Today is {{current_date}}.',
        "Search the tenant's knowledge first, then the web. Synthesize what you find, cite every source,",
        'and separate established facts from open questions.',
      ].join('\n'),
      variables: CONTEXT_VARIABLES,
    },
    tools: ['knowledge_search', 'web_search', 'current_time'],
    runtimeConfig: {
      model: 'gpt-4.1',
      temperature: 0.3,
      maxOutputTokens: 4096,
      maxTurns: 12,
      guardrailPreset: 'tool_standard',
    },
    handoffs: [],
    outputSchema: null,
  },
  {
    key: 'retriever',
    displayName: 'Knowledge Retriever',
    description: "Answers from the tenant's ingested files only, quoting the passages it relies on.",
    isDefault: false,
    prompt: {
      template: [
        "You answer {{user_name}}'s questions from the documents of {{tenant_name}} only.",
        'Search the knowledge base, quote the passages you rely on with their file names, and say',
        'plainly when the documents do not answer the question.',
      ].join('\n'),
      variables: CONTEXT_VARIABLES.filter((v) => v.name !== 'current_date'),
    },
    tools: ['knowledge_search'],
    runtimeConfig: {
      model: 'gpt-4.1-mini',
      temperature: 0,
      maxOutputTokens: 2048,
      maxTurns: 6,
      guardrailPreset: 'standard',
    },
    handoffs: [],
    outputSchema: null,
  },
];

const BY_KEY = new Map(BUILTIN_AGENTS.map((a) => [a.key, a]));

/** The built-in agent with this key, if any. */
export function builtinAgent(key: string): BuiltinAgent | undefined {
  return BY_KEY.get(key);
}

/** The default built-in agent (`triage`). */
export function defaultBuiltinAgent(): BuiltinAgent {
  return BY_KEY.get(DEFAULT_AGENT_KEY) as BuiltinAgent;
}

export const BUILTIN_AGENT_KEYS: readonly string[] = BUILTIN_AGENTS.map((a) => a.key);

/**
 * The platform's built-in tools: a `builtin` tool version names one of these, and the catalog
 * (`GET /api/v1/tools`) lists them. The chat runtime runs them in-process.
 */
export interface BuiltinTool {
  name: string;
  category: string;
  description: string;
  /** JSON Schema of the tool's arguments. */
  parameters: Record<string, unknown>;
}

export const BUILTIN_TOOLS = [
  {
    name: 'knowledge_search',
    category: 'knowledge',
    description: "Searches the tenant's ingested files (hybrid vector and keyword search).",
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1 },
        top_k: { type: 'integer', minimum: 1, maximum: 50 },
      },
      required: ['query'],
      additionalProperties: false,
    },
  },
  {
    name: 'current_time',
    category: 'utility',
    description: 'The current date and time, optionally in an IANA time zone.',
    parameters: {
      type: 'object',
      properties: { timezone: { type: 'string' } },
      additionalProperties: false,
    },
  },
] as const satisfies readonly BuiltinTool[];

export type BuiltinToolName = (typeof BUILTIN_TOOLS)[number]['name'];

export const BUILTIN_TOOL_NAMES: readonly string[] = BUILTIN_TOOLS.map((t) => t.name);

/**
 * Tools hosted by the model provider (OpenAI's Responses tools): the platform does not run them, it
 * passes them to the model. Built-in agents may list them; the catalog lists them as such
 * (`provider: 'openai'`). They need a configured provider; without one an agent runs without them.
 */
export interface ProviderTool {
  name: string;
  category: string;
  description: string;
  provider: 'openai';
}

export const PROVIDER_TOOLS = [
  {
    name: 'web_search',
    category: 'search',
    description: 'Searches the web and cites sources (hosted by the provider).',
    provider: 'openai',
  },
  {
    name: 'file_search',
    category: 'knowledge',
    description: 'Searches the provider vector stores bound to the agent (hosted by the provider).',
    provider: 'openai',
  },
  {
    name: 'code_interpreter',
    category: 'code',
    description: "Runs Python in the agent's code-interpreter container (hosted by the provider).",
    provider: 'openai',
  },
  {
    name: 'image_generation',
    category: 'media',
    description: 'Generates and edits images (hosted by the provider).',
    provider: 'openai',
  },
] as const satisfies readonly ProviderTool[];

export type ProviderToolName = (typeof PROVIDER_TOOLS)[number]['name'];

/** A tool a built-in agent may name: a platform tool or a provider tool. */
export type CatalogToolName = BuiltinToolName | ProviderToolName;

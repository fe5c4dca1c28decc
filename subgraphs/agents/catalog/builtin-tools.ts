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

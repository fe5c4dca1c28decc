/**
 * The smallest request body the published OpenAPI document (schema/openapi.json) accepts for an
 * operation: required properties only, each the plainest value of its type and format. It passes
 * the bridge's argument checks, so a sweep's request reaches the resolver, where authentication,
 * roles and tenancy are decided (a body the bridge refuses would answer 422 to everyone alike).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minLength?: number;
  minimum?: number;
  minItems?: number;
};

interface Operation {
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

const document = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../schema/openapi.json'), 'utf8'),
) as Document;

function resolve(schema: JsonSchema): JsonSchema {
  const ref = schema.$ref?.replace('#/components/schemas/', '');
  return ref ? (document.components.schemas[ref] ?? {}) : schema;
}

function minimal(input: JsonSchema, depth = 0): unknown {
  const schema = resolve(input);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) {
    const first = choices.find((c) => resolve(c).type !== 'null') ?? choices[0];
    return first ? minimal(first, depth + 1) : null;
  }
  if (schema.enum?.length) {
    return schema.enum[0];
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') {
        return randomUUID();
      }
      if (schema.format === 'email') {
        return `sweep-${randomUUID().slice(0, 8)}@example.com`;
      }
      if (schema.format === 'date-time') {
        return new Date().toISOString();
      }
      if (schema.format === 'uri') {
        return 'https://example.com/sweep';
      }
      return 'sweep-value'.padEnd(schema.minLength ?? 0, 'x');
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return false;
    case 'array':
      return schema.minItems && schema.items ? [minimal(schema.items, depth + 1)] : [];
    default: {
      if (depth > 8) {
        return {};
      }
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) {
        const property = schema.properties?.[name];
        out[name] = property ? minimal(property, depth + 1) : 'sweep-value';
      }
      return out;
    }
  }
}

/** The minimal JSON body of `METHOD path` (`{}` when the operation takes none). */
export function minimalBody(method: string, path: string): Record<string, unknown> {
  const content = document.paths[path]?.[method.toLowerCase()]?.requestBody?.content;
  const schema = content?.['application/json']?.schema ?? content?.['multipart/form-data']?.schema;
  const body = schema ? minimal(schema) : {};
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The required query parameters of `METHOD path`, as `?a=…` (empty when there are none). */
export function minimalQuery(method: string, path: string): string {
  const parameters = document.paths[path]?.[method.toLowerCase()]?.parameters ?? [];
  const query = new URLSearchParams();
  for (const p of parameters) {
    if (p.in === 'query' && p.required) {
      query.set(p.name, String(p.schema ? minimal(p.schema) : 'sweep-value'));
    }
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

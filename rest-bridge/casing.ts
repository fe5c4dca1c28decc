import {
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isObjectType,
} from 'graphql';
import type { FieldAliases } from './routes/types.js';

export const toSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamel = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

type Json = unknown;

/**
 * The one place where REST casing is decided, driven by the schema: GraphQL field names become
 * snake_case (or a REST alias); enum values become their legacy strings, the enum value's internal
 * value in a schema from `legacyEnumSchema` (`ACTIVE` ↔ `"active"`); values of JSON scalars pass
 * through untouched, byte for byte.
 */
export class Casing {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly aliases: FieldAliases,
  ) {}

  private restKey(typeName: string, field: string): string {
    return this.aliases[typeName]?.[field] ?? toSnake(field);
  }

  /** GraphQL result → REST JSON. */
  output(value: Json, type: GraphQLOutputType | GraphQLNamedType): Json {
    if (value === null || value === undefined) {
      return value ?? null;
    }
    if (Array.isArray(value)) {
      return value.map((v) => this.output(v, type));
    }
    let named = getNamedType(type);
    if (isEnumType(named)) {
      return typeof value === 'string' ? (named.getValue(value)?.value ?? value) : value;
    }
    if (isAbstractType(named) && typeof value === 'object') {
      const typename = (value as { __typename?: string }).__typename;
      const concrete = typename ? this.schema.getType(typename) : undefined;
      const candidates = this.schema.getPossibleTypes(named);
      named =
        (concrete && isObjectType(concrete) ? concrete : undefined) ??
        candidates.find((t) => Object.keys(value).every((k) => k === '__typename' || k in t.getFields())) ??
        named;
    }
    if (!isObjectType(named) || typeof value !== 'object') {
      return value;
    }
    const fields = named.getFields();
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(value as Record<string, Json>)) {
      if (key === '__typename') {
        continue;
      }
      const field = fields[key];
      out[this.restKey(named.name, key)] = field ? this.output(v, field.type) : v;
    }
    return out;
  }

  /** REST JSON → GraphQL input value. Unknown keys are kept, so GraphQL rejects them (422). */
  input(value: Json, type: GraphQLInputType): Json {
    if (value === null || value === undefined) {
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((v) => this.input(v, type));
    }
    const named = getNamedType(type);
    if (isEnumType(named)) {
      // A string that is no legacy value goes on unchanged, for GraphQL to reject.
      return named.getValues().find((v) => v.value === value)?.name ?? value;
    }
    if (!isInputObjectType(named) || typeof value !== 'object') {
      return value;
    }
    const fields = named.getFields();
    const byRestKey = new Map(Object.values(fields).map((f) => [toSnake(f.name), f]));
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(value as Record<string, Json>)) {
      const field = byRestKey.get(key);
      out[field ? field.name : key] = field ? this.input(v, field.type) : v;
    }
    return out;
  }
}

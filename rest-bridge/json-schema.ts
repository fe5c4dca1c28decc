import {
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';
import { toSnake } from './casing.js';
import type { FieldAliases } from './routes/types.js';

export type JsonSchema = Record<string, unknown>;

const SCALARS: Record<string, JsonSchema> = {
  String: { type: 'string' },
  ID: { type: 'string' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
  JSON: {},
  Count: { type: 'integer', format: 'int64', minimum: 0 },
};

/**
 * JSON Schemas of the REST face, derived from GraphQL types the same way the bridge converts values
 * (snake_case keys, REST aliases, JSON scalars free-form). Named types go to `components`.
 */
export class RestSchemas {
  readonly components: Record<string, JsonSchema> = {};

  constructor(private readonly aliases: FieldAliases) {}

  private ref(name: string): JsonSchema {
    return { $ref: `#/components/schemas/${name}` };
  }

  private nullable(schema: JsonSchema, nonNull: boolean): JsonSchema {
    return nonNull ? schema : { anyOf: [schema, { type: 'null' }] };
  }

  output(type: GraphQLOutputType): JsonSchema {
    const nonNull = isNonNullType(type);
    const inner = getNullableType(type);
    if (isListType(inner)) {
      return this.nullable({ type: 'array', items: this.output(inner.ofType) }, nonNull);
    }
    return this.nullable(this.named(inner as GraphQLNamedType, 'output'), nonNull);
  }

  input(type: GraphQLInputType): JsonSchema {
    const nonNull = isNonNullType(type);
    const inner = getNullableType(type);
    if (isListType(inner)) {
      return this.nullable({ type: 'array', items: this.input(inner.ofType) }, nonNull);
    }
    return this.nullable(this.named(inner as GraphQLNamedType, 'input'), nonNull);
  }

  private named(type: GraphQLNamedType, direction: 'input' | 'output'): JsonSchema {
    if (isScalarType(type)) {
      return { ...(SCALARS[type.name] ?? {}), ...(type.description && type.name !== 'JSON' ? {} : {}) };
    }
    if (isEnumType(type)) {
      return { type: 'string', enum: type.getValues().map((v) => v.value) };
    }
    const name = type.name;
    if (!this.components[name]) {
      this.components[name] = {}; // placeholder against recursion
      if (isUnionType(type)) {
        this.components[name] = { anyOf: type.getTypes().map((t) => this.named(t, direction)) };
      } else if (isObjectType(type) || isInputObjectType(type)) {
        const properties: Record<string, JsonSchema> = {};
        const required: string[] = [];
        for (const field of Object.values(type.getFields())) {
          const key = this.aliases[name]?.[field.name] ?? toSnake(field.name);
          const schema = isInputObjectType(type)
            ? this.input(field.type as GraphQLInputType)
            : this.output(field.type as GraphQLOutputType);
          properties[key] = field.description ? { ...schema, description: field.description } : schema;
          if (isNonNullType(field.type)) {
            required.push(key);
          }
        }
        this.components[name] = {
          type: 'object',
          ...(type.description ? { description: type.description } : {}),
          properties,
          required,
          ...(isInputObjectType(type) ? { additionalProperties: false } : {}),
        };
      }
    }
    return this.ref(name);
  }
}

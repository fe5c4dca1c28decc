import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import type { Ctx } from './context.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';
import type { Scope } from './scopes.js';
import { hasScope, isPlatformOperator, type TenantRole } from './viewer.js';

export interface AuthScopes {
  /** Anyone, signed in or not. */
  public: boolean;
  /** A verified credential. */
  authenticated: boolean;
  /** A credential bound to a tenant. */
  tenantMember: boolean;
  /** The tenant role is one of these (an exact membership test, as the legacy API had). */
  tenantRole: TenantRole[];
  /** The credential carries this scope: one of the domains' declared scopes (`Scope`). */
  scope: Scope;
  /** A platform operator signed in as a user (scope `platform:operator`, granted at login). */
  platformOperator: boolean;
}

export interface SchemaTypes {
  Context: Ctx;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    Count: { Input: bigint; Output: bigint | number };
  };
}

export type Builder = PothosSchemaTypes.SchemaBuilder<PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>>;

/**
 * The one builder factory: every subgraph gets the same plugins (federation last), the same scalars,
 * the same auth scopes and the same error mapping.
 */
export function createBuilder(): Builder {
  const builder = new SchemaBuilder<SchemaTypes>({
    plugins: [ScopeAuthPlugin, DirectivePlugin, FederationPlugin],
    defaultFieldNullability: false,
    scopeAuth: {
      authorizeOnSubscribe: true,
      authScopes: (ctx) => ({
        public: true,
        authenticated: ctx.viewer !== null,
        tenantMember: ctx.viewer?.tenantId != null,
        tenantRole: (roles) => ctx.viewer?.role != null && roles.includes(ctx.viewer.role),
        scope: (scope) => hasScope(ctx.viewer, scope),
        platformOperator: isPlatformOperator(ctx.viewer),
      }),
      unauthorizedError: (_parent, ctx) => {
        if (!ctx.viewer) {
          return ctx.authError ?? new UnauthenticatedError();
        }
        return new ForbiddenError();
      },
    },
  });
  builder.queryType({ description: 'Read operations.' });
  builder.mutationType({ description: 'Write operations.' });
  builder.addScalarType('DateTime', dateTimeScalar);
  builder.addScalarType('JSON', jsonScalar);
  builder.addScalarType('Count', countScalar);
  return builder;
}

/** The GraphQL name of a legacy enum string: `invite_only` → `INVITE_ONLY`, `conversation.created` → `CONVERSATION_CREATED`. */
export const enumValueName = (legacy: string) => legacy.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/**
 * A closed set as a GraphQL enum: GraphQL names in upper case, each value's internal value the legacy
 * string, so services and the database keep the legacy strings and the REST bridge serialises them
 * (rest-bridge/schema.ts reads the internal values).
 */
export function legacyEnum<const V extends string>(
  builder: Builder,
  name: string,
  values: readonly V[],
  description: string,
) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(
      values.map((value) => [enumValueName(value), { value, description: `\`${value}\` in REST.` }]),
    ) as Record<string, { value: V; description: string }>,
  });
}

const dateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time string in UTC.',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime cannot represent an invalid date');
    }
    return date.toISOString();
  },
  parseValue: (value) => {
    const date = new Date(String(value));
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string');
    }
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string');
    }
    return new Date(ast.value);
  },
});

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.NULL:
      return null;
    default:
      throw new GraphQLError('JSON literals cannot contain variables');
  }
}

/**
 * A whole number of 64-bit counters (tokens, bytes) past GraphQL's 32-bit Int: a JSON integer up
 * to 2^53 − 1 (JavaScript's exact range), refused beyond rather than rounded.
 */
const countScalar = new GraphQLScalarType<bigint, number>({
  name: 'Count',
  description: 'A whole number from 0 to 2^53 − 1 (counters of tokens, bytes, requests); a JSON integer.',
  serialize: (value) => {
    const n = typeof value === 'bigint' ? value : BigInt(Number(value));
    if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GraphQLError('Count cannot represent a value outside 0 … 2^53 − 1');
    }
    return Number(n);
  },
  parseValue: (value) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new GraphQLError('Count must be a whole number from 0 to 2^53 − 1');
    }
    return BigInt(value);
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT) {
      throw new GraphQLError('Count must be a whole number from 0 to 2^53 − 1');
    }
    const n = BigInt(ast.value);
    if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GraphQLError('Count must be a whole number from 0 to 2^53 − 1');
    }
    return n;
  },
});

const jsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Arbitrary JSON, passed through unchanged (keys keep their case).',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});

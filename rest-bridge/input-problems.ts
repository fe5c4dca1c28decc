import {
  coerceInputValue,
  type GraphQLArgument,
  type GraphQLFormattedError,
  type GraphQLInputType,
  type GraphQLNamedType,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';

/**
 * Validation of REST-provided arguments against the field's argument types, before execution, in
 * the legacy API's words: one problem per field, `loc` as the GraphQL argument path (the caller maps
 * it to the REST origin), a plain `msg` and a pydantic `type`. No GraphQL variable, type name or
 * `$input` reaches a REST client.
 */
export interface Problem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

const FIELD_REQUIRED = { msg: 'Field required', type: 'missing' };

/** The input type at a coercion path below an argument's type (list indices, input-object fields). */
function typeAt(type: GraphQLInputType, path: readonly (string | number)[]): GraphQLInputType | undefined {
  let current: GraphQLInputType | undefined = type;
  for (const key of path) {
    const nullable: GraphQLInputType | undefined = current ? getNullableType(current) : undefined;
    if (typeof key === 'number') {
      current = isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
    } else {
      current = isInputObjectType(nullable) ? nullable.getFields()[key]?.type : undefined;
    }
  }
  return current;
}

/** Words for custom scalars, whose own parse errors name GraphQL types. */
const SCALAR_MESSAGES: Record<string, string> = {
  DateTime: 'Input should be a valid ISO 8601 date-time.',
  JSON: 'Input should be valid JSON.',
  Count: 'Input should be a valid integer.',
};

/** The legacy `type` and `msg` for a value that is not of the expected type. */
function wrongType(named: GraphQLNamedType | undefined, value: unknown): Omit<Problem, 'loc'> {
  const text = typeof value === 'string';
  switch (named?.name) {
    case 'Boolean':
      return { msg: 'Input should be a valid boolean', type: text ? 'bool_parsing' : 'bool_type' };
    case 'Int':
      return text
        ? {
            msg: 'Input should be a valid integer, unable to parse string as an integer',
            type: 'int_parsing',
          }
        : { msg: 'Input should be a valid integer', type: 'int_type' };
    case 'Float':
      return { msg: 'Input should be a valid number', type: 'float_parsing' };
    case 'String':
    case 'ID':
      return { msg: 'Input should be a valid string', type: 'string_type' };
  }
  if (isEnumType(named)) {
    // The REST schema's enum values are the legacy strings (rest-bridge/schema.ts).
    const names = named.getValues().map((v) => `'${String(v.value)}'`);
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join('');
    return { msg: `Input should be ${list}`, type: 'enum' };
  }
  if (isInputObjectType(named)) {
    return { msg: 'Input should be a valid dictionary or object', type: 'model_type' };
  }
  return { msg: (named && SCALAR_MESSAGES[named.name]) ?? 'Input is not a valid value', type: 'value_error' };
}

/**
 * One coercion problem in REST words, from graphql-js's message (stable across graphql 16): the
 * path is where the value sits, so a missing or unknown field adds its own name.
 */
export function coercionProblem(
  argument: string,
  argumentType: GraphQLInputType,
  path: readonly (string | number)[],
  value: unknown,
  message: string,
): Problem {
  const missing = /^Field "([^"]+)" of required type "[^"]+" was not provided/.exec(message);
  if (missing) {
    return { loc: [argument, ...path, missing[1] as string], ...FIELD_REQUIRED };
  }
  const unknown = /^Field "([^"]+)" is not defined by type/.exec(message);
  if (unknown) {
    return {
      loc: [argument, ...path, unknown[1] as string],
      msg: 'Extra inputs are not permitted',
      type: 'extra_forbidden',
    };
  }
  if (/^Exactly one key must be specified/.test(message)) {
    return { loc: [argument, ...path], msg: 'Exactly one field must be given', type: 'value_error' };
  }
  const type = typeAt(argumentType, path);
  if (type && isListType(getNullableType(type)) && !Array.isArray(value)) {
    // graphql-js reads a lone value as a list of one; the error is then about that value.
    return { loc: [argument, ...path], msg: 'Input should be a valid list', type: 'list_type' };
  }
  return { loc: [argument, ...path], ...wrongType(type ? getNamedType(type) : undefined, value) };
}

/** The problems of one argument's value (undefined: not given). Empty when it is acceptable. */
export function argumentProblems(arg: GraphQLArgument, value: unknown): Problem[] {
  if (value === undefined) {
    return isNonNullType(arg.type) && arg.defaultValue === undefined
      ? [{ loc: [arg.name], ...FIELD_REQUIRED }]
      : [];
  }
  const problems: Problem[] = [];
  coerceInputValue(value, arg.type, (path, invalid, error) => {
    problems.push(coercionProblem(arg.name, arg.type, path, invalid, error.message));
  });
  return problems;
}

/**
 * Text from a path segment or the query string as the argument's type reads it (`"10"` → 10 for an
 * Int, `"true"` → true), or a problem when it cannot be read. Repeated query keys make a list.
 */
export function fromText(
  arg: GraphQLArgument,
  values: readonly string[],
): { value: unknown } | { problem: Problem } {
  const read = (type: GraphQLInputType, text: string, path: (string | number)[]) => {
    const named = getNamedType(type);
    const bad = () => ({ problem: { loc: [arg.name, ...path], ...wrongType(named, text) } });
    switch (named.name) {
      case 'Boolean':
        return text === 'true' || text === 'false' ? { value: text === 'true' } : bad();
      case 'Int':
        return /^[+-]?\d+$/.test(text) ? { value: Number(text) } : bad();
      case 'Float':
        return text.trim() !== '' && Number.isFinite(Number(text)) ? { value: Number(text) } : bad();
    }
    if (isInputObjectType(named)) {
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        return { problem: { loc: [arg.name, ...path], msg: 'Invalid JSON', type: 'json_invalid' } };
      }
    }
    return { value: text };
  };
  const nullable = getNullableType(arg.type);
  if (!isListType(nullable)) {
    return read(arg.type, values[0] ?? '', []);
  }
  const items: unknown[] = [];
  for (const [i, text] of values.entries()) {
    const one = read(nullable.ofType as GraphQLInputType, text, [i]);
    if ('problem' in one) {
      return one;
    }
    items.push(one.value);
  }
  return { value: items };
}

/**
 * Last resort for a GraphQL coercion error that still reaches the bridge (a subgraph's custom
 * scalar refusing a value): `Variable "$input" got invalid value "x" at "input.since"; …` becomes
 * a problem at `['input', 'since']`. Null when the message is not one of those.
 */
export function problemFromGraphQLError(
  error: GraphQLFormattedError,
  argumentType: (name: string) => GraphQLInputType | undefined,
): Problem | null {
  const m =
    /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)" (got invalid value|of required type|of non-null type)(.*)$/s.exec(
      error.message,
    );
  if (!m) {
    return null;
  }
  const argument = m[1] as string;
  const rest = m[3] ?? '';
  if (m[2] !== 'got invalid value') {
    return { loc: [argument], ...FIELD_REQUIRED };
  }
  const at = /^ .*? at "([^"]+)"; (.*)$/s.exec(rest);
  const path: (string | number)[] = [];
  if (at) {
    // `input.items[2].name` → ['items', 2, 'name'] below the argument
    const printed = (at[1] as string).slice(argument.length);
    for (const part of printed.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) {
      path.push(part[1] ?? Number(part[2]));
    }
  }
  const detail = at ? (at[2] as string) : rest.replace(/^ .*?; /s, '');
  const type = argumentType(argument);
  if (!type) {
    return { loc: [argument, ...path], msg: 'Input is not a valid value', type: 'value_error' };
  }
  return coercionProblem(argument, type, path, undefined, detail);
}

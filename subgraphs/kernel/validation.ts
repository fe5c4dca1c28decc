import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * The one input-validation path: zod issues become `ValidationError` details whose `loc` is the
 * GraphQL argument path (`['input', 'tenantName']`, `['sessionId']`, `['limit']`) and whose `type`
 * is the legacy API's pydantic word. The REST bridge turns argument paths into REST locs
 * (`['body', 'tenant_name']`, `['path', 'session_id']`, `['query', 'limit']`) in one place.
 */

export type Loc = (string | number)[];
export interface ValidationDetail {
  loc: Loc;
  msg: string;
  type: string;
}

/** Where a value sits among the field's arguments: `['input']` for an input object, `[]` for the arguments themselves. */
export type ArgumentPath = readonly (string | number)[];

/** The 422 of every subgraph. */
export function invalid(details: ValidationDetail[]): ValidationError {
  return new ValidationError('Request validation failed.', details);
}

/** One detail at an argument path (for rules zod does not express). */
export function detail(loc: Loc, msg: string, type = 'value_error'): ValidationDetail {
  return { loc, msg, type };
}

function absentAt(value: unknown, path: readonly PropertyKey[]): boolean {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') {
      return true;
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current === undefined;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'string_type',
  int: 'int_type',
  number: 'float_parsing',
  boolean: 'bool_type',
  array: 'list_type',
  object: 'model_type',
};

const FORMAT_WORDS: Record<string, string> = {
  uuid: 'uuid_parsing',
  guid: 'uuid_parsing',
  url: 'url_parsing',
  regex: 'string_pattern_mismatch',
};

/** The pydantic word for a zod issue (`value` is the whole parsed value, to tell missing from wrong). */
function typeWord(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'nonoptional' || absentAt(value, issue.path)) {
        return 'missing';
      }
      return TYPE_WORDS[issue.expected] ?? 'value_error';
    case 'too_small':
      if (issue.origin === 'string') {
        return 'string_too_short';
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return 'too_short';
      }
      return issue.inclusive === false ? 'greater_than' : 'greater_than_equal';
    case 'too_big':
      if (issue.origin === 'string') {
        return 'string_too_long';
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return 'too_long';
      }
      return issue.inclusive === false ? 'less_than' : 'less_than_equal';
    case 'invalid_format':
      return FORMAT_WORDS[issue.format] ?? 'value_error';
    case 'invalid_value':
      return issue.values.length === 1 ? 'literal_error' : 'enum';
    case 'unrecognized_keys':
      return 'extra_forbidden';
    default:
      return 'value_error';
  }
}

const segment = (p: PropertyKey): string | number => (typeof p === 'number' ? p : String(p));

/** Validation details for a zod error of `value`, which sits at `argumentPath`. */
export function zodDetails(
  error: z.ZodError,
  value: unknown,
  argumentPath: ArgumentPath,
): ValidationDetail[] {
  return error.issues.flatMap((issue) => {
    const loc = [...argumentPath, ...issue.path.map(segment)];
    const type = typeWord(issue, value);
    if (issue.code === 'unrecognized_keys') {
      // pydantic names each extra key.
      return issue.keys.map((key) => ({ loc: [...loc, key], msg: 'Extra inputs are not permitted', type }));
    }
    return [{ loc, msg: issue.message, type }];
  });
}

/**
 * Parses `value` (found at `argumentPath` among the field's arguments) with `schema`; on failure,
 * or when `extra` holds details of rules checked outside zod, throws one VALIDATION_FAILED with all.
 */
export function parseArgs<T extends z.ZodType>(
  schema: T,
  value: unknown,
  argumentPath: ArgumentPath,
  extra: ValidationDetail[] = [],
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success || extra.length) {
    throw invalid([...(parsed.success ? [] : zodDetails(parsed.error, value, argumentPath)), ...extra]);
  }
  return parsed.data;
}

/** A UUID of any version (zod's `z.uuid()` accepts only RFC variants). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a UUID (any version). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/**
 * The one id check: an id argument (`tenantId`, `sessionId`, …) must be a UUID before any lookup.
 * Returns it lower-cased; otherwise a validation error at the argument.
 */
export function requireUuid(value: string, argument: string | ArgumentPath): string {
  if (!isUuid(value)) {
    const loc = typeof argument === 'string' ? [argument] : [...argument];
    throw invalid([{ loc, msg: 'Input should be a valid UUID.', type: 'uuid_parsing' }]);
  }
  return value.toLowerCase();
}

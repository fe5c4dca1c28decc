import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { ValidationError } from './errors.js';

/**
 * PostgreSQL cannot store U+0000 in text or jsonb (22021), nor a lone UTF-16 surrogate (JSON's
 * `"\ud800"` is no character: it has no UTF-8 form): every string that reaches a subgraph —
 * inline literals and variables, at any depth, object keys included — is checked before any
 * resolver runs, so no operation answers a 500 for it. One place for every operation, HTTP and
 * websocket alike.
 */
const NUL_MESSAGE = 'Input should not contain NUL characters.';
const SURROGATE_MESSAGE = 'Input should be valid Unicode text (no unpaired surrogate).';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL could not store the string, or null. */
function unstorable(s: string): string | null {
  if (s.includes('\u0000')) {
    return NUL_MESSAGE;
  }
  return LONE_SURROGATE.test(s) ? SURROGATE_MESSAGE : null;
}

type Loc = (string | number)[];
type Issue = { loc: Loc; msg: string; type: string };

/** NULs inside a JSON value (a variable's), with their paths below `loc`. */
function walkValue(value: unknown, loc: Loc, issues: Issue[]) {
  if (typeof value === 'string') {
    const msg = unstorable(value);
    if (msg) {
      issues.push({ loc, msg, type: 'string_type' });
    }
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      walkValue(v, [...loc, i], issues);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const msg = unstorable(key);
      if (msg) {
        issues.push({ loc: [...loc, key], msg, type: 'value_error' });
      }
      walkValue(v, [...loc, key], issues);
    }
  }
}

/** NULs in an argument's AST value; a variable is read from the request's variables. */
function walkNode(node: ValueNode, loc: Loc, variables: Record<string, unknown>, issues: Issue[]) {
  switch (node.kind) {
    case Kind.STRING: {
      const msg = unstorable(node.value);
      if (msg) {
        issues.push({ loc, msg, type: 'string_type' });
      }
      return;
    }
    case Kind.VARIABLE:
      walkValue(variables[node.name.value], loc, issues);
      return;
    case Kind.LIST:
      for (const [i, v] of node.values.entries()) {
        walkNode(v, [...loc, i], variables, issues);
      }
      return;
    case Kind.OBJECT:
      for (const f of node.fields) {
        walkNode(f.value, [...loc, f.name.value], variables, issues);
      }
      return;
    default:
      return;
  }
}

/**
 * The NUL problems of an operation, `loc` as the GraphQL argument path (`['input', 'tenantName']`,
 * `['jti']`). Validation has refused unused variables; undeclared ones never reach a resolver.
 */
export function nulIssues(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> = {},
): Issue[] {
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    return [];
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(d.name.value, d);
    }
  }
  const issues: Issue[] = [];
  const visit = (set: SelectionSetNode, seen: ReadonlySet<string>) => {
    for (const s of set.selections) {
      for (const directive of s.directives ?? []) {
        for (const arg of directive.arguments ?? []) {
          walkNode(arg.value, [arg.name.value], variables, issues);
        }
      }
      if (s.kind === Kind.FIELD) {
        for (const arg of s.arguments ?? []) {
          walkNode(arg.value, [arg.name.value], variables, issues);
        }
        if (s.selectionSet) {
          visit(s.selectionSet, seen);
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, seen);
      } else {
        const fragment = fragments.get(s.name.value);
        if (fragment && !seen.has(s.name.value)) {
          visit(fragment.selectionSet, new Set(seen).add(s.name.value));
        }
      }
    }
  };
  visit(operation.selectionSet, new Set());
  // One issue per place: a variable used twice is reported once.
  const unique = new Map(issues.map((i) => [JSON.stringify(i.loc), i]));
  return [...unique.values()];
}

/** The error an operation with NULs is refused with (HTTP and in process; 422 at the REST bridge). */
export function nulValidationError(issues: Issue[]): ValidationError {
  return new ValidationError('Request validation failed.', issues);
}

/** Refuses, with a ValidationError (422), any operation carrying a NUL in a string argument. */
export const nulGuardPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, operationName, request }) {
        const issues = nulIssues(document, operationName, request.variables ?? {});
        if (issues.length) {
          throw nulValidationError(issues);
        }
      },
    };
  },
};

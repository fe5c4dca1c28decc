import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  getOperationAST,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  validate,
} from 'graphql';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxDirectives: number;
}

/**
 * Operations the server builds itself (the REST bridge's, one per route) are trusted: no client
 * limit applies, so a route that selects a whole nested tree is never refused. The mark is a
 * module-private symbol on the context (Apollo copies the context per operation, symbols
 * included); nothing a client sends can set it.
 */
const TRUSTED = Symbol('trusted operation');

export function trusted<T extends object>(context: T): T {
  return Object.assign(context, { [TRUSTED]: true });
}

const isTrusted = (context: object) => (context as { [TRUSTED]?: boolean })[TRUSTED] === true;

/** Assumed size of a list whose size the operation does not give (no `limit`, no default). */
const DEFAULT_LIST_SIZE = 20;

type Variables = Readonly<Record<string, unknown>> | null | undefined;

/**
 * The list size a field announces: its `limit` argument (a literal, or the variable's value, or the
 * variable's default), else the argument's schema default, else null.
 */
function limitOf(
  node: FieldNode,
  def: GraphQLField<unknown, unknown> | undefined,
  operation: OperationDefinitionNode,
  variables: Variables,
): number | null {
  const value = node.arguments?.find((a) => a.name.value === 'limit')?.value;
  const asSize = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
  if (value?.kind === Kind.INT) {
    return asSize(Number(value.value));
  }
  if (value?.kind === Kind.VARIABLE) {
    const name = value.name.value;
    if (variables && variables[name] != null) {
      return asSize(variables[name]);
    }
    const fallback = operation.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue;
    if (fallback?.kind === Kind.INT) {
      return asSize(Number(fallback.value));
    }
  }
  return asSize(def?.args.find((a) => a.name === 'limit')?.defaultValue);
}

/**
 * The cost estimate of an operation: every field costs 1 plus its selection, and a list field
 * multiplies its selection by its size: its own `limit`, or the `limit` of the page object around
 * it (`conversations(limit: 50) { items { … } }`), or a default. Fields under interfaces, unions and
 * fragments keep their multipliers; fragment spreads count once per use.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Variables,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    return 0;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(d.name.value, d);
    }
  }
  const typeNamed = (name: string) => schema.getType(name);
  const measure = (
    selectionSet: SelectionSetNode,
    type: GraphQLNamedType | null | undefined,
    pageSize: number | null,
    seen: ReadonlySet<string>,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const def =
          type && (isObjectType(type) || isInterfaceType(type))
            ? type.getFields()[selection.name.value]
            : undefined;
        const isList = def ? isListType(getNullableType(def.type)) : false;
        const limit = limitOf(selection, def, operation, variables);
        let childCost = 0;
        if (selection.selectionSet) {
          // A non-list field with a limit is a page: the limit sizes the list inside it.
          childCost = measure(
            selection.selectionSet,
            def ? getNamedType(def.type) : null,
            isList ? null : limit,
            seen,
          );
        }
        cost += 1 + (isList ? (limit ?? pageSize ?? DEFAULT_LIST_SIZE) : 1) * childCost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const cond = selection.typeCondition ? typeNamed(selection.typeCondition.name.value) : type;
        cost += measure(selection.selectionSet, cond, pageSize, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) {
          const cond = typeNamed(fragment.typeCondition.name.value);
          cost += measure(fragment.selectionSet, cond, pageSize, new Set(seen).add(name));
        }
      }
    }
    return cost;
  };
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  return measure(operation.selectionSet, root, null, new Set());
}

/**
 * GraphQL Armor's maintained rules for depth, aliases and directives, reporting through the
 * validation context (Armor's default is to throw, which would escape `validate`).
 */
function armorRules(limits: Limits): ValidationRule[] {
  const report = (wording: (found: string) => string) => ({
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const found = /found (\d+)/.exec(error.message)?.[1] ?? '?';
        context?.reportError(new GraphQLError(wording(found)));
      },
    ],
  });
  return [
    maxDepthRule({
      n: limits.maxDepth,
      flattenFragments: true,
      ...report((found) => `Query depth ${found} exceeds the limit of ${limits.maxDepth}.`),
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      ...report((found) => `Query uses ${found} aliases; the limit is ${limits.maxAliases}.`),
    }),
    maxDirectivesRule({
      n: limits.maxDirectives,
      ...report((found) => `Query uses ${found} directives; the limit is ${limits.maxDirectives}.`),
    }),
  ];
}

const armorFindings = new WeakMap<
  Limits,
  WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>
>();

/**
 * Armor's findings depend on the document alone (not the variables), so each parsed document is
 * checked once: Apollo's document store hands the same DocumentNode out again for the same query
 * text, and the check was the gateway's largest cost of its own per request.
 */
function armorProblems(
  limits: Limits,
  schema: GraphQLSchema,
  document: DocumentNode,
): readonly GraphQLError[] {
  let bySchema = armorFindings.get(limits);
  if (!bySchema) {
    bySchema = new WeakMap();
    armorFindings.set(limits, bySchema);
  }
  let byDocument = bySchema.get(schema);
  if (!byDocument) {
    byDocument = new WeakMap();
    bySchema.set(schema, byDocument);
  }
  let found = byDocument.get(document);
  if (!found) {
    found = validate(schema, document, armorRules(limits));
    byDocument.set(document, found);
  }
  return found;
}

/**
 * Every limit problem of a client operation: depth, aliases, directives (Armor) and the list-aware
 * cost, which needs the variables (`limit: $n`), so it runs where they are known.
 */
export function limitProblems(
  limits: Limits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Variables,
): GraphQLError[] {
  const problems = [...armorProblems(limits, schema, document)];
  const cost = operationCost(schema, document, operationName, variables);
  if (cost > limits.maxCost) {
    problems.push(new GraphQLError(`Query cost ${cost} exceeds the limit of ${limits.maxCost}.`));
  }
  return problems.map(
    (p) => new GraphQLError(p.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
  );
}

/**
 * The client limits for GraphQL over HTTP, after the operation is resolved (variables known) and
 * before it reaches a subgraph. Trusted (server-built) operations skip them.
 */
export function queryLimitsPlugin<T extends object>(limits: Limits): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, schema, operationName, request }) {
          if (isTrusted(contextValue)) {
            return;
          }
          const problems = limitProblems(limits, schema, document, operationName, request.variables);
          if (problems.length) {
            throw new GraphQLError(problems.map((p) => p.message).join(' '), {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

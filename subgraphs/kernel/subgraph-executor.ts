import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLErrorOptions,
  type GraphQLFormattedError,
  getOperationAST,
  Kind,
  type OperationTypeNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { type Ctx, createContext, type RequestCredentials } from './context.js';
import { formatSubgraphError } from './format-error.js';
import type { IdempotencyClaim } from './idempotency.js';
import type { Kernel } from './kernel.js';
import { nulIssues, nulValidationError } from './nul-guard.js';
import type { SubgraphModule } from './serve-subgraph.js';

/** A subgraph operation as the gateway sends it. */
export interface SubgraphRequest {
  query: string;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | null | undefined;
}

/** Runs a subgraph's operations in this process, answering what its `/graphql` answers over HTTP. */
export interface SubgraphExecutor {
  readonly name: string;
  execute(request: SubgraphRequest, credentials: RequestCredentials): Promise<FormattedExecutionResult>;
  /** The operation's type (`query`, `mutation` …), or null when the document does not resolve one. */
  operationType(query: string, operationName?: string | null): OperationTypeNode | null;
}

/** A parsed and validated document, or the errors Apollo Server answers for it. */
type Prepared = { document: DocumentNode; errors: null } | { document: null; errors: GraphQLError[] };

/** Apollo Server's coded error classes (@apollo/server internalErrorClasses), rebuilt: same fields. */
function coded(code: string, message: string, options: GraphQLErrorOptions) {
  return new GraphQLError(message, { ...options, extensions: { ...options.extensions, code } });
}

/** Apollo Server's `isBadUserInputGraphQLError`: a variable that failed coercion. */
function isBadUserInput(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) {
    return false;
  }
  const v = `Variable "$${node.variable.name.value}" `;
  return [
    `${v}has invalid value`,
    `${v}got invalid value `,
    `${v}of required type `,
    `${v}of non-null type `,
  ].some((p) => error.message.startsWith(p));
}

function ensureGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) {
    return error;
  }
  const e = error instanceof Error ? error : new GraphQLError(`Unexpected error value: ${String(error)}`);
  return e instanceof GraphQLError ? e : new GraphQLError(e.message, { originalError: e });
}

/**
 * Executes `subgraph` in process the way serveSubgraph's Apollo Server does: parse, validate
 * (specified rules), the NUL guard, a fresh context from the caller's credentials, `execute`, then
 * Apollo's error normalisation (default `code`, coded parse/validation/variable errors) and the
 * subgraph's `formatError`. The result goes through JSON as over HTTP (dates become strings,
 * `undefined` disappears, nothing is shared with the resolvers). Parsed and validated documents are
 * kept per query string (the query planner sends the same strings again and again).
 */
export function createSubgraphExecutor(
  kernel: Kernel,
  subgraph: SubgraphModule,
  options: {
    /** Documents kept, at most; and their query strings' total length (an AST is ~10-20× its text). */
    cacheSize?: number;
    cacheChars?: number;
    /** The context of one operation; a fresh one (fresh DataLoaders) every call. */
    contextFor?: (credentials: RequestCredentials) => Promise<Ctx>;
  } = {},
): SubgraphExecutor {
  const formatError = formatSubgraphError(kernel.log.child({ subgraph: subgraph.name }));
  const contextFor = options.contextFor ?? ((credentials) => createContext(kernel, credentials));
  const cacheSize = options.cacheSize ?? 1000;
  const cacheChars = options.cacheChars ?? 2_000_000;
  let cachedChars = 0;
  const documents = new Map<string, Prepared>();

  function prepare(query: string): Prepared {
    const hit = documents.get(query);
    if (hit) {
      // Least recently used first: a hit moves to the end.
      documents.delete(query);
      documents.set(query, hit);
      return hit;
    }
    let prepared: Prepared;
    try {
      const document = parse(query);
      const invalid = validate(subgraph.schema, document, specifiedRules);
      prepared = invalid.length
        ? {
            document: null,
            errors: invalid.map((e) =>
              coded('GRAPHQL_VALIDATION_FAILED', e.message, {
                nodes: e.nodes,
                extensions: e.extensions,
                originalError: e.originalError ?? e,
              }),
            ),
          }
        : { document, errors: null };
    } catch (error) {
      const e = ensureGraphQLError(error);
      prepared = {
        document: null,
        errors: [
          coded('GRAPHQL_PARSE_FAILED', e.message, {
            source: e.source,
            positions: e.positions,
            extensions: e.extensions,
            originalError: e,
          }),
        ],
      };
    }
    documents.set(query, prepared);
    cachedChars += query.length;
    while (documents.size > 1 && (documents.size > cacheSize || cachedChars > cacheChars)) {
      const oldest = documents.keys().next().value as string;
      documents.delete(oldest);
      cachedChars -= oldest.length;
    }
    return prepared;
  }

  /** Apollo Server's normalizeAndFormatErrors without stack traces. */
  function format(errors: readonly unknown[]): GraphQLFormattedError[] {
    return errors.map((error) => {
      const e = ensureGraphQLError(error);
      try {
        const extensions: Record<string, unknown> = {
          ...e.extensions,
          code: e.extensions.code ?? 'INTERNAL_SERVER_ERROR',
        };
        delete extensions.http;
        return formatError({ ...e.toJSON(), extensions }, e);
      } catch {
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
  }

  const answer = (result: FormattedExecutionResult) => JSON.parse(JSON.stringify(result)) as typeof result;

  return {
    name: subgraph.name,
    operationType(query, operationName) {
      const { document } = prepare(query);
      return document ? (getOperationAST(document, operationName)?.operation ?? null) : null;
    },
    async execute(request, credentials) {
      const prepared = prepare(request.query);
      if (!prepared.document) {
        return answer({ errors: format(prepared.errors) });
      }
      const { document } = prepared;
      const variables = request.variables ?? {};
      const operation = getOperationAST(document, request.operationName);
      if (operation) {
        const issues = nulIssues(document, request.operationName, variables);
        if (issues.length) {
          return answer({ errors: format([nulValidationError(issues)]) });
        }
      }
      let contextValue: Ctx;
      try {
        contextValue = await contextFor(credentials);
      } catch (error) {
        return answer({ errors: format([error]) });
      }
      // Mutations with an Idempotency-Key: a kept answer instead of executing, or a claim to finish.
      let claim: IdempotencyClaim | null = null;
      if (operation?.operation === 'mutation') {
        try {
          const start = await kernel.idempotency.begin(subgraph.name, contextValue, request);
          if (start.kind === 'replay') {
            return answer(start.result);
          }
          claim = start.kind === 'run' ? start.claim : null;
        } catch (error) {
          return answer({ errors: format([error]) });
        }
      }
      const result = await run(document, operation, request, contextValue);
      await claim?.finish(result);
      return result;
    },
  };

  async function run(
    document: DocumentNode,
    operation: ReturnType<typeof getOperationAST>,
    request: SubgraphRequest,
    contextValue: Ctx,
  ): Promise<FormattedExecutionResult> {
    let result: ExecutionResult;
    try {
      result = await execute({
        schema: subgraph.schema,
        document,
        contextValue,
        variableValues: request.variables ?? {},
        operationName: request.operationName ?? null,
      });
      if (!operation) {
        const first = result.errors?.[0];
        if (!first) {
          throw new Error('Unexpected error: the operation did not resolve but execute returned no errors');
        }
        throw coded('OPERATION_RESOLUTION_FAILURE', first.message, {
          nodes: first.nodes,
          originalError: first.originalError ?? first,
          extensions: first.extensions,
        });
      }
    } catch (error) {
      return answer({ errors: format([error]) });
    }
    const errors = result.errors?.map((e) =>
      isBadUserInput(e) && e.extensions?.code == null
        ? coded('BAD_USER_INPUT', e.message, {
            nodes: e.nodes,
            originalError: e.originalError ?? e,
            extensions: e.extensions,
          })
        : e,
    );
    return answer({ ...result, ...(errors ? { errors: format(errors) } : {}) } as FormattedExecutionResult);
  }
}

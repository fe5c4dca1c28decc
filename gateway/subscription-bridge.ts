import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import {
  buildOperationContext,
  executeQueryPlan,
  type GraphQLDataSource,
  type ServiceMap,
} from '@apollo/gateway';
import { type FetchNode, type PlanNode, QueryPlanner, type SubscriptionNode } from '@apollo/query-planner';
import {
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  print,
} from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayContext } from './context.js';

export interface BridgeSubscribeArgs {
  document: DocumentNode;
  variableValues?: Record<string, unknown> | null | undefined;
  operationName?: string | null | undefined;
  contextValue: GatewayContext;
}

type Result = ExecutionResult<Record<string, unknown>>;

/** graphql-ws serialises errors with `toJSON()`: upstream errors arrive as plain objects, so rebuild them. */
function withGraphQLErrors(result: Result): Result {
  if (!result.errors?.length) {
    return result;
  }
  const errors = result.errors.map((e) =>
    e instanceof GraphQLError
      ? e
      : new GraphQLError((e as { message: string }).message, {
          path: (e as { path?: readonly (string | number)[] }).path,
          extensions: (e as { extensions?: Record<string, unknown> }).extensions ?? {},
        }),
  );
  return { ...result, errors };
}

/**
 * Runs federated subscriptions on top of @apollo/gateway, which does not execute them itself. The
 * query planner splits the operation: the primary fetch is a subscription to the subgraph that owns
 * the root field (over graphql-ws), and every event goes through the rest of the plan with the
 * gateway's own executor, so events can carry fields owned by other subgraphs.
 */
export class SubscriptionBridge {
  private readonly supergraph: Supergraph;
  private readonly planner: QueryPlanner;
  private readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: GraphQLSchema;
  private readonly clients = new Map<string, Client>();
  private active = 0;

  constructor(
    supergraphSdl: string,
    private readonly dataSources: Record<string, GraphQLDataSource>,
    private readonly subgraphUrls: Record<string, string>,
  ) {
    this.supergraph = Supergraph.build(supergraphSdl);
    this.planner = new QueryPlanner(this.supergraph);
    this.supergraphSchema = this.supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = this.supergraph.apiSchema().toGraphQLJSSchema();
  }

  /** Open upstream subscriptions (tests check teardown with it). */
  get activeSubscriptions(): number {
    return this.active;
  }

  private client(serviceName: string): Client {
    let client = this.clients.get(serviceName);
    if (!client) {
      const url = this.subgraphUrls[serviceName];
      if (!url) {
        throw new Error(`no URL for subgraph ${serviceName}`);
      }
      // One multiplexed connection per subgraph; each operation carries its caller's credential.
      client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 5,
        keepAlive: 10_000,
      });
      this.clients.set(serviceName, client);
    }
    return client;
  }

  /** Plans and starts a subscription; yields one execution result per upstream event. */
  subscribe(args: BridgeSubscribeArgs): AsyncIterableIterator<Result> | Result {
    const operationName = args.operationName ?? undefined;
    let subscriptionNode: SubscriptionNode;
    try {
      const operation = operationFromDocument(this.supergraph.apiSchema(), args.document, { operationName });
      const plan = this.planner.buildQueryPlan(operation);
      if (plan.node?.kind !== 'Subscription') {
        return {
          errors: [
            new GraphQLError('Not a subscription operation.', { extensions: { code: 'BAD_USER_INPUT' } }),
          ],
        };
      }
      subscriptionNode = plan.node;
    } catch (error) {
      return {
        errors: [
          new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        ],
      };
    }
    const primary: FetchNode = subscriptionNode.primary;
    const variables = args.variableValues ?? {};
    const upstreamVariables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((n) => n in variables).map((n) => [n, variables[n]]),
    );
    const upstream = this.client(primary.serviceName).iterate<Record<string, unknown>>({
      query: primary.operation,
      variables: upstreamVariables,
      ...(primary.operationName ? { operationName: primary.operationName } : {}),
      extensions: { authorization: args.contextValue.authorization, headers: args.contextValue.forwarded },
    });
    const planNode: PlanNode = subscriptionNode.rest
      ? { kind: 'Sequence', nodes: [primary, subscriptionNode.rest] }
      : primary;
    this.active++;
    let open = true;
    const close = async () => {
      if (open) {
        open = false;
        this.active--;
        await upstream.return?.();
      }
    };
    const iterator: AsyncIterableIterator<Result> = {
      next: async () => {
        if (!open) {
          return { done: true, value: undefined };
        }
        try {
          const r = await upstream.next();
          if (r.done) {
            await close();
            return { done: true, value: undefined };
          }
          const result = r.value.data
            ? await this.executeRest(planNode, primary, r.value, args)
            : (r.value as Result);
          return { done: false, value: withGraphQLErrors(result) };
        } catch (error) {
          await close();
          const errors = Array.isArray(error) ? error : [error];
          return {
            done: false,
            value: {
              errors: errors.map(
                (e) =>
                  new GraphQLError(String((e as Error)?.message ?? e), {
                    extensions: (e as GraphQLError)?.extensions ?? { code: 'SUBGRAPH_ERROR' },
                  }),
              ),
            },
          };
        }
      },
      return: async () => {
        await close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Resolves the rest of the plan for one event; the primary fetch answers with the event itself. */
  private async executeRest(
    planNode: PlanNode,
    primary: FetchNode,
    event: FormattedExecutionResult<Record<string, unknown>, unknown>,
    args: BridgeSubscribeArgs,
  ): Promise<Result> {
    const serviceMap: ServiceMap = { ...this.dataSources };
    const owner = this.dataSources[primary.serviceName];
    serviceMap[primary.serviceName] = {
      process: async (options) =>
        options.request.query === primary.operation
          ? { data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) }
          : (owner as GraphQLDataSource).process(options),
    } as GraphQLDataSource;
    const query = print(args.document);
    const requestContext = {
      request: {
        query,
        variables: args.variableValues ?? {},
        operationName: args.operationName ?? undefined,
      },
      context: args.contextValue,
      document: args.document,
      operationName: args.operationName ?? null,
      logger: console,
      metrics: {},
      cache: undefined,
      schema: this.apiSchema,
    };
    const operationContext = buildOperationContext({
      schema: this.apiSchema,
      operationDocument: args.document,
      operationName: args.operationName ?? undefined,
    });
    const result = await executeQueryPlan(
      { kind: 'QueryPlan', node: planNode },
      serviceMap,
      requestContext as unknown as Parameters<typeof executeQueryPlan>[2],
      operationContext,
      this.supergraphSchema,
      this.supergraph.apiSchema(),
    );
    return result as Result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}

import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import {
  buildOperationContext,
  executeQueryPlan,
  type GraphQLDataSource,
  type ServiceMap,
} from '@apollo/gateway';
import { type FetchNode, type PlanNode, QueryPlanner, type SubscriptionNode } from '@apollo/query-planner';
import {
  type ArgumentNode,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
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

/** The replicas of one subgraph: a comma-separated list of URLs (SUBGRAPH_<NAME>_URL=a,b,c). */
export function replicaUrls(value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? value.split(',') : [...value];
  return list.map((u) => u.trim()).filter(Boolean);
}

/** Round-robin over a list: each call returns the next item. */
export function roundRobin<T>(items: readonly T[]): () => T {
  if (items.length === 0) {
    throw new Error('round robin over an empty list');
  }
  let turn = 0;
  return () => items[turn++ % items.length] as T;
}

/** Names the bridge adds to an upstream operation so that it can resume it. */
const RESUME_VARIABLE = 'bridgeResumeAfter';
const RESUME_ALIAS = 'bridgeResumeCursor';

interface Resumable {
  /** The upstream operation, with `after` bound to a variable and the cursor selected under an alias. */
  query: string;
  variable: string;
  /** The `after` the client asked for (a literal in its document, or its variable's value). */
  initial: unknown;
  field: string;
}

/**
 * Makes an upstream subscription resumable when its root field follows the stream convention (an
 * `after: String` argument, a `cursor` on the event): after a reconnect, the same operation runs
 * again with `after` = the last cursor delivered, so nothing is repeated or skipped.
 */
function resumable(
  primaryOperation: string,
  schema: GraphQLSchema,
  variables: Record<string, unknown>,
): Resumable | null {
  const document = parse(primaryOperation);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const root = operation?.selectionSet.selections[0];
  const subscriptionType = schema.getSubscriptionType();
  if (!operation || root?.kind !== Kind.FIELD || !subscriptionType) {
    return null;
  }
  const definition = subscriptionType.getFields()[root.name.value];
  const eventType = definition ? getNamedType(definition.type) : null;
  const afterArg = definition?.args.find((a) => a.name === 'after');
  if (!afterArg || getNamedType(afterArg.type).name !== 'String' || !isObjectType(eventType)) {
    return null;
  }
  if (!eventType.getFields().cursor) {
    return null;
  }
  const given = root.arguments?.find((a) => a.name.value === 'after');
  let variable = RESUME_VARIABLE;
  let initial: unknown = null;
  let args = root.arguments ?? [];
  let variableDefinitions = operation.variableDefinitions ?? [];
  if (given?.value.kind === Kind.VARIABLE) {
    variable = given.value.name.value;
    initial = variables[variable] ?? null;
  } else {
    initial = given?.value.kind === Kind.STRING ? given.value.value : null;
    const bound: ArgumentNode = {
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: 'after' },
      value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
    };
    args = [...args.filter((a) => a.name.value !== 'after'), bound];
    variableDefinitions = [
      ...variableDefinitions,
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
      },
    ];
  }
  const cursorField: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: RESUME_ALIAS },
    name: { kind: Kind.NAME, value: 'cursor' },
  };
  const rewrittenRoot: FieldNode = {
    ...root,
    arguments: args,
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [...(root.selectionSet?.selections ?? []), cursorField],
    },
  };
  const rewritten: OperationDefinitionNode = {
    ...operation,
    variableDefinitions,
    selectionSet: { ...operation.selectionSet, selections: [rewrittenRoot] },
  };
  return {
    query: print({ ...document, definitions: [rewritten] }),
    variable,
    initial,
    field: root.alias?.value ?? root.name.value,
  };
}

/** graphql-ws close codes of a refused operation (bad request, unauthorized, forbidden …), not of a lost service. */
const REFUSED_CLOSE_CODES = new Set([4400, 4401, 4403, 4406, 4409, 4429]);

/**
 * What ends an upstream subscription, as the client's errors: the subgraph's own errors (a list)
 * and thrown errors pass; a refusal keeps its reason; a socket's error or close event is the
 * connection lost for good (graphql-ws spent its retries): SERVICE_UNAVAILABLE, so SSE clients get a
 * 503 envelope rather than a 500, and may resume from their cursor.
 */
export function upstreamErrors(error: unknown, serviceName: string): GraphQLError[] {
  if (Array.isArray(error) || error instanceof Error) {
    return (Array.isArray(error) ? error : [error]).map(
      (e) =>
        new GraphQLError(String((e as Error)?.message ?? e), {
          extensions: (e as GraphQLError)?.extensions ?? { code: 'SUBGRAPH_ERROR' },
        }),
    );
  }
  const close = error as { code?: unknown; reason?: unknown } | null;
  if (typeof close?.code === 'number' && REFUSED_CLOSE_CODES.has(close.code)) {
    return [
      new GraphQLError(String(close.reason || 'Subscription refused.'), {
        extensions: { code: 'SUBGRAPH_ERROR' },
      }),
    ];
  }
  return [
    new GraphQLError(`The ${serviceName} service is unavailable; subscribe again from the last cursor.`, {
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    }),
  ];
}

/** Stream cursors are sequence numbers: a later one is a larger number. */
function isAfter(cursor: string, last: string | null): boolean {
  if (last === null) {
    return true;
  }
  return /^\d+$/.test(cursor) && /^\d+$/.test(last) ? BigInt(cursor) > BigInt(last) : cursor !== last;
}

/**
 * Runs federated subscriptions on top of @apollo/gateway, which does not execute them itself. The
 * query planner splits the operation: the primary fetch is a subscription to the subgraph that owns
 * the root field (over graphql-ws), and every event goes through the rest of the plan with the
 * gateway's own executor, so events can carry fields owned by other subgraphs.
 *
 * - Planning (query plan, operation context, request context) happens once per subscription.
 * - Upstream subscriptions are spread round-robin over a subgraph's replicas (one multiplexed
 *   connection per replica URL).
 * - When an upstream connection drops, graphql-ws reconnects and subscribes again; the bridge keeps
 *   the operation's `after` at the last cursor delivered and drops anything not after it, so the
 *   client sees neither a repeat nor a gap.
 */
export class SubscriptionBridge {
  private readonly supergraphSdl: string;
  private planning?: { supergraph: Supergraph; planner: QueryPlanner; supergraphSchema: GraphQLSchema };
  readonly apiSchema: GraphQLSchema;
  private readonly clients = new Map<string, Client>();
  /** Open live subscriptions shared by identical subscribers (see SharedSubscription). */
  private readonly shared = new Map<string, SharedSubscription>();
  private readonly pickReplica = new Map<string, () => string>();
  /** Plans by parsed document and operation name: the REST bridge's streams reuse their documents. */
  private readonly planned = new WeakMap<DocumentNode, Map<string, SubscriptionNode | GraphQLError>>();
  private active = 0;

  constructor(
    supergraphSdl: string,
    private readonly dataSources: Record<string, GraphQLDataSource>,
    /** Subgraph name → its URL, or its replicas' URLs (a list, or comma-separated). */
    subgraphUrls: Record<string, string | readonly string[]>,
    /** The API schema when the gateway already built it (the same supergraph): not built twice. */
    apiSchema?: GraphQLSchema,
  ) {
    this.supergraphSdl = supergraphSdl;
    this.apiSchema = apiSchema ?? this.plans().supergraph.apiSchema().toGraphQLJSSchema();
    for (const [name, value] of Object.entries(subgraphUrls)) {
      const urls = replicaUrls(value);
      if (urls.length > 0) {
        this.pickReplica.set(name, roundRobin(urls));
      }
    }
  }

  /**
   * The supergraph and its planner, built with the first subscription: start-up does not pay for a
   * second query planner. Not validated again: the committed supergraph is composed and checked by
   * `npm run schema:check` (CI), and the gateway reads the same file.
   */
  private plans() {
    if (!this.planning) {
      const supergraph = Supergraph.build(this.supergraphSdl, { validateSupergraph: false });
      this.planning = {
        supergraph,
        planner: new QueryPlanner(supergraph),
        supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      };
    }
    return this.planning;
  }

  /** Subscribers served, shared or not (a shared upstream counts each of its subscribers). */
  get subscriberCount(): number {
    let shared = 0;
    let upstreams = 0;
    for (const group of this.shared.values()) {
      shared += group.size;
      upstreams += group.isOpen ? 1 : 0;
    }
    return this.active - upstreams + shared;
  }

  /** Open upstream subscriptions (tests check teardown with it). */
  get activeSubscriptions(): number {
    return this.active;
  }

  /** The replica URL the next upstream subscription to this subgraph goes to. */
  nextReplica(serviceName: string): string {
    const pick = this.pickReplica.get(serviceName);
    if (!pick) {
      throw new Error(`no URL for subgraph ${serviceName}`);
    }
    return pick();
  }

  private client(url: string): Client {
    let client = this.clients.get(url);
    if (!client) {
      // One multiplexed connection per replica; each operation carries its caller's credential.
      client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 5,
        // graphql-ws retries a dropped connection but, by default, not one that fails to open: a
        // subgraph still restarting (ECONNREFUSED) would end every subscription on the first retry.
        shouldRetry: () => true,
        keepAlive: 10_000,
      });
      this.clients.set(url, client);
    }
    return client;
  }

  /**
   * Drops every upstream connection at once, as a network failure would (graphql-ws then reconnects
   * and resubscribes). For tests, and for moving subscriptions off a replica being drained.
   */
  dropUpstreamConnections(): void {
    for (const client of this.clients.values()) {
      client.terminate();
    }
  }

  /** The subscription's plan, or why it has none; planned once per document and operation name. */
  private plan(document: DocumentNode, operationName: string | undefined): SubscriptionNode | GraphQLError {
    let byName = this.planned.get(document);
    if (!byName) {
      byName = new Map();
      this.planned.set(document, byName);
    }
    let found = byName.get(operationName ?? '');
    if (!found) {
      try {
        const { supergraph, planner } = this.plans();
        const operation = operationFromDocument(supergraph.apiSchema(), document, { operationName });
        const plan = planner.buildQueryPlan(operation);
        found =
          plan.node?.kind === 'Subscription'
            ? plan.node
            : new GraphQLError('Not a subscription operation.', { extensions: { code: 'BAD_USER_INPUT' } });
      } catch (error) {
        found = new GraphQLError((error as Error).message, {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        });
      }
      byName.set(operationName ?? '', found);
    }
    return found;
  }

  /** Plans and starts a subscription; yields one execution result per upstream event. */
  subscribe(args: BridgeSubscribeArgs): AsyncIterableIterator<Result> | Result {
    const operationName = args.operationName ?? undefined;
    const subscriptionNode = this.plan(args.document, operationName);
    if (subscriptionNode instanceof GraphQLError) {
      return { errors: [subscriptionNode] };
    }
    const primary: FetchNode = subscriptionNode.primary;
    const variables = args.variableValues ?? {};
    const upstreamVariables: Record<string, unknown> = Object.fromEntries(
      (primary.variableUsages ?? []).filter((n) => n in variables).map((n) => [n, variables[n]]),
    );
    const resume = resumable(primary.operation, this.apiSchema, variables);
    if (resume) {
      upstreamVariables[resume.variable] = resume.initial;
    }
    // graphql-ws sends this same object again when it resubscribes after a reconnect, so updating
    // its `after` as events are delivered makes the retry resume from the last cursor delivered.
    const request: UpstreamRequest = {
      query: resume?.query ?? primary.operation,
      variables: upstreamVariables,
      ...(primary.operationName ? { operationName: primary.operationName } : {}),
      extensions: { authorization: args.contextValue.authorization, headers: args.contextValue.forwarded },
    };
    // A live subscription (no cursor to replay from) identical to one already open, same operation,
    // variables and credential, shares its upstream subscription and its execution per event.
    if (!(typeof resume?.initial === 'string')) {
      const key = JSON.stringify([
        primary.serviceName,
        request.query,
        request.variables,
        request.extensions,
        print(args.document),
        variables,
        operationName ?? null,
      ]);
      let group = this.shared.get(key);
      if (!group) {
        const created = new SharedSubscription(
          () => this.open(primary, subscriptionNode, args, request, resume),
          () => {
            if (this.shared.get(key) === created) {
              this.shared.delete(key);
            }
          },
        );
        group = created;
        this.shared.set(key, group);
      }
      return group.join();
    }
    return this.open(primary, subscriptionNode, args, request, resume);
  }

  /** One upstream subscription of the primary fetch, each event through the rest of the plan. */
  private open(
    primary: FetchNode,
    subscriptionNode: SubscriptionNode,
    args: BridgeSubscribeArgs,
    request: UpstreamRequest,
    resume: ReturnType<typeof resumable>,
  ): AsyncIterableIterator<Result> {
    const upstreamVariables = request.variables;
    let lastCursor: string | null = typeof resume?.initial === 'string' ? resume.initial : null;
    const upstream = this.client(this.nextReplica(primary.serviceName)).iterate<Record<string, unknown>>(
      request,
    );
    const execute = this.planRest(primary, subscriptionNode, args);
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
        try {
          for (;;) {
            if (!open) {
              return { done: true, value: undefined };
            }
            const r = await upstream.next();
            if (r.done) {
              await close();
              return { done: true, value: undefined };
            }
            const event = r.value;
            if (resume && event.data) {
              const root = event.data[resume.field] as Record<string, unknown> | null | undefined;
              const cursor = root?.[RESUME_ALIAS];
              if (root && typeof cursor === 'string') {
                delete root[RESUME_ALIAS];
                if (!isAfter(cursor, lastCursor)) {
                  continue; // already delivered before a reconnect
                }
                lastCursor = cursor;
                upstreamVariables[resume.variable] = cursor;
              }
            }
            const result = event.data ? await execute(event) : (event as Result);
            return { done: false, value: withGraphQLErrors(result) };
          }
        } catch (error) {
          await close();
          return { done: false, value: { errors: upstreamErrors(error, primary.serviceName) } };
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

  /**
   * Prepares, once per subscription, the rest of the plan for its events: the primary fetch answers
   * with the event itself, every other fetch goes to its subgraph.
   */
  private planRest(
    primary: FetchNode,
    subscriptionNode: SubscriptionNode,
    args: BridgeSubscribeArgs,
  ): (event: FormattedExecutionResult<Record<string, unknown>, unknown>) => Promise<Result> {
    const planNode: PlanNode = subscriptionNode.rest
      ? { kind: 'Sequence', nodes: [primary, subscriptionNode.rest] }
      : primary;
    const queryPlan = { kind: 'QueryPlan' as const, node: planNode };
    let current: FormattedExecutionResult<Record<string, unknown>, unknown> = {};
    const owner = this.dataSources[primary.serviceName];
    const serviceMap: ServiceMap = {
      ...this.dataSources,
      [primary.serviceName]: {
        process: async (options) =>
          options.request.query === primary.operation
            ? { data: current.data ?? null, ...(current.errors ? { errors: current.errors } : {}) }
            : (owner as GraphQLDataSource).process(options),
      } as GraphQLDataSource,
    };
    const requestContext = {
      request: {
        query: print(args.document),
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
    } as unknown as Parameters<typeof executeQueryPlan>[2];
    const operationContext = buildOperationContext({
      schema: this.apiSchema,
      operationDocument: args.document,
      operationName: args.operationName ?? undefined,
    });
    const { supergraph, supergraphSchema } = this.plans();
    const apiSchema = supergraph.apiSchema();
    // Events of one subscription are executed one after another (next() is awaited), so the
    // primary fetch can read the event being executed from `current`.
    return async (event) => {
      current = event;
      const result = await executeQueryPlan(
        queryPlan,
        serviceMap,
        requestContext,
        operationContext,
        supergraphSchema,
        apiSchema,
      );
      return result as Result;
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}

interface UpstreamRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  extensions: Record<string, unknown>;
}

/** Results a shared subscriber may hold unread before it is ended (it can resubscribe with its cursor). */
const MAX_UNREAD = 1000;

interface Member {
  queue: Result[];
  wake: (() => void) | null;
  done: boolean;
}

/**
 * One upstream subscription and one execution per event, for any number of identical live
 * subscribers (as the Apollo Router deduplicates subscriptions): a thousand tabs on one stream cost
 * the subgraph one subscription, and the gateway one plan execution per event; each subscriber only
 * serialises what it is sent. Results are shared, read-only. A subscriber more than MAX_UNREAD
 * results behind is ended with an error rather than buffered without bound. The upstream closes
 * with its last subscriber.
 */
class SharedSubscription {
  private readonly members = new Set<Member>();
  private source: AsyncIterableIterator<Result> | null = null;

  constructor(
    private readonly open: () => AsyncIterableIterator<Result>,
    private readonly onClosed: () => void,
  ) {}

  get size(): number {
    return this.members.size;
  }

  get isOpen(): boolean {
    return this.source !== null;
  }

  join(): AsyncIterableIterator<Result> {
    const member: Member = { queue: [], wake: null, done: false };
    this.members.add(member);
    if (!this.source) {
      this.source = this.open();
      void this.pump(this.source);
    }
    const leave = async () => {
      if (!member.done) {
        member.done = true;
        member.wake?.();
      }
      this.members.delete(member);
      if (this.members.size === 0) {
        await this.close();
      }
    };
    const iterator: AsyncIterableIterator<Result> = {
      next: async () => {
        for (;;) {
          const value = member.queue.shift();
          if (value !== undefined) {
            return { done: false, value };
          }
          if (member.done) {
            await leave();
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => {
            member.wake = resolve;
          });
          member.wake = null;
        }
      },
      return: async () => {
        member.queue = [];
        await leave();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private async pump(source: AsyncIterableIterator<Result>): Promise<void> {
    try {
      for (;;) {
        const r = await source.next();
        if (r.done || this.source !== source) {
          break;
        }
        for (const member of this.members) {
          if (member.done) {
            continue;
          }
          if (member.queue.length >= MAX_UNREAD) {
            member.queue.push({
              errors: [
                new GraphQLError(
                  'The subscriber fell too far behind; subscribe again with its last cursor.',
                  {
                    extensions: { code: 'SUBSCRIPTION_BEHIND' },
                  },
                ),
              ],
            });
            member.done = true;
          } else {
            member.queue.push(r.value);
          }
          member.wake?.();
        }
        if ((r.value as { errors?: unknown[] }).errors?.length && !(r.value as { data?: unknown }).data) {
          break; // the upstream failed: its error was the last result
        }
      }
    } catch (error) {
      if (this.source === source) {
        for (const member of this.members) {
          member.queue.push({ errors: [new GraphQLError(String((error as Error)?.message ?? error))] });
        }
      }
    } finally {
      // Unless every subscriber left first (close() ended this source already): the stream is over
      // for those still here; a later subscriber opens a new group.
      if (this.source === source) {
        for (const member of this.members) {
          member.done = true;
          member.wake?.();
        }
        await this.close();
      }
    }
  }

  private async close(): Promise<void> {
    const source = this.source;
    if (source) {
      this.source = null;
      this.onClosed();
      await source.return?.();
    }
  }
}

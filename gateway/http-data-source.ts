import { STATUS_CODES } from 'node:http';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import type { Pool } from 'undici';
import type { GatewayContext } from './context.js';
import { InflightQueries, inflightKey, looksLikeQuery } from './inflight.js';

export interface HttpDataSourceOptions {
  /** The subgraph's name (errors name it; in-flight merging is keyed by it). */
  name: string;
  /** The subgraph's `/graphql` URL, or its replicas' URLs, taken in turn. */
  urls: readonly string[];
  /** Longest wait for a TCP connection (SUBGRAPH_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Longest wait for the answer's headers, between body chunks, and for the whole request (SUBGRAPH_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  inflight?: InflightQueries;
}

/** Request headers carrying the caller: the credential, client details, request id, forwarded headers. */
export function forwardingHeaders(context: Partial<GatewayContext> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!context) {
    return headers;
  }
  if (context.authorization) {
    headers.authorization = context.authorization;
  }
  if (context.clientIp) {
    headers['x-client-ip'] = context.clientIp;
  }
  if (context.userAgent) {
    headers['x-client-user-agent'] = context.userAgent;
  }
  if (context.requestId) {
    headers['x-request-id'] = context.requestId;
  }
  for (const [name, value] of Object.entries(context.forwarded ?? {})) {
    headers[name] = value;
  }
  return headers;
}

// undici loads with the first request sent: the embedded layout runs its subgraphs in process and
// never needs it.
let undici: Promise<typeof import('undici')> | undefined;
const loadUndici = () => {
  undici ??= import('undici');
  return undici;
};

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The separate-process layout's data source: POSTs the operation to the subgraph over undici with a
 * keep-alive pool per origin (undici honours the server's `Keep-Alive: timeout` hint, so an idle
 * socket is not reused just as the subgraph closes it), explicit connect and request timeouts, the
 * caller's credential and client details as headers (each subgraph verifies the credential itself),
 * and identical in-flight queries merged. A non-2xx answer is the error RemoteGraphQLDataSource
 * reports (`502: Bad Gateway`, `extensions.response`).
 */
export class HttpDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly pools = new Map<string, Pool>();
  private readonly targets: readonly { origin: string; path: string; url: string }[];
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly inflight: InflightQueries;
  private turn = 0;

  constructor(options: HttpDataSourceOptions) {
    if (!options.urls.length) {
      throw new Error(`subgraph ${options.name}: no URL`);
    }
    this.targets = options.urls.map((url) => {
      const u = new URL(url);
      return { origin: u.origin, path: `${u.pathname}${u.search}`, url };
    });
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.inflight = options.inflight ?? new InflightQueries();
    this.name = options.name;
  }

  readonly name: string;

  private async pool(origin: string): Promise<Pool> {
    let pool = this.pools.get(origin);
    if (!pool) {
      const { Pool } = await loadUndici();
      pool =
        this.pools.get(origin) ??
        new Pool(origin, {
          connect: { timeout: this.connectTimeoutMs },
          headersTimeout: this.requestTimeoutMs,
          bodyTimeout: this.requestTimeoutMs,
        });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const context = 'context' in options ? (options.context as Partial<GatewayContext>) : undefined;
    if (!request.query) {
      throw new Error('Missing query');
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of request.http?.headers ?? []) {
      headers[name] = value;
    }
    Object.assign(headers, forwardingHeaders(context), { 'content-type': 'application/json' });
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
      extensions: request.extensions,
    });
    const key = looksLikeQuery(request.query) ? inflightKey(this.name, request, context) : null;
    return this.inflight.run(key, () => this.send(body, headers));
  }

  private async send(body: string, headers: Record<string, string>): Promise<GatewayGraphQLResponse> {
    const target = this.targets[this.turn++ % this.targets.length] as (typeof this.targets)[number];
    let status: number;
    let contentType: string;
    let text: string;
    try {
      const response = await (await this.pool(target.origin)).request({
        path: target.path,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      status = response.statusCode;
      const type = response.headers['content-type'];
      contentType = (Array.isArray(type) ? type[0] : type) ?? '';
      text = await response.body.text();
    } catch (error) {
      throw this.transportError(error);
    }
    const json =
      contentType.startsWith('application/json') ||
      contentType.startsWith('application/graphql-response+json');
    let parsed: unknown = text;
    if (json) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new GraphQLError(`The ${this.name} service answered invalid JSON (HTTP ${status}).`, {
          extensions: { code: 'BAD_GATEWAY' },
        });
      }
    }
    if (status < 200 || status > 299) {
      const statusText = STATUS_CODES[status] ?? '';
      const extensions: Record<string, unknown> = {
        response: { url: target.url, status, statusText, body: parsed },
      };
      if (status === 401) {
        extensions.code = 'UNAUTHENTICATED';
      } else if (status === 403) {
        extensions.code = 'FORBIDDEN';
      }
      throw new GraphQLError(`${status}: ${statusText}`, { extensions });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`Expected JSON response body, but received: ${text}`);
    }
    return parsed as GatewayGraphQLResponse;
  }

  /** A connection that failed or an answer that did not come in time, as a coded error naming the subgraph. */
  private transportError(error: unknown): GraphQLError {
    const e = error as { code?: string; name?: string; message?: string };
    const timedOut = TIMEOUTS.has(e.code ?? '') || e.name === 'TimeoutError';
    const message = timedOut
      ? e.code === 'UND_ERR_CONNECT_TIMEOUT'
        ? `The ${this.name} service did not accept a connection within ${this.connectTimeoutMs} ms.`
        : `The ${this.name} service did not answer within ${this.requestTimeoutMs} ms.`
      : `The ${this.name} service is unreachable (${e.code ?? e.message ?? String(error)}).`;
    return new GraphQLError(message, {
      extensions: { code: 'SERVICE_UNAVAILABLE' },
      originalError: error instanceof Error ? error : undefined,
    });
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}

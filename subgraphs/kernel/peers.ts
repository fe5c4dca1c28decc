import { subgraphUrlFromEnv } from './config.js';
import type { Ctx } from './context.js';
import { AppError, type ErrorCode } from './errors.js';
import { IDEMPOTENCY_HEADER } from './idempotency.js';

/**
 * Calls from one domain to another: a GraphQL operation sent to the subgraph that owns the fields,
 * with the caller's own credential and forwarded headers, so the owning subgraph applies its own
 * scopes and tenancy (a domain never reads another's tables). The embedded launcher registers the
 * loopback URL of every subgraph it serves; a separate process reads `SUBGRAPH_<NAME>_URL` (a
 * comma-separated list of replicas, taken in turn), the same setting the gateway reads.
 */
export class Peers {
  private readonly urls = new Map<string, readonly string[]>();
  private turn = 0;

  register(name: string, url: string) {
    this.urls.set(name, [url]);
  }

  private url(name: string): string {
    const urls =
      this.urls.get(name) ??
      subgraphUrlFromEnv(name)
        ?.split(',')
        .map((u) => u.trim())
        .filter(Boolean);
    if (!urls?.length) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        `The ${name} service is not reachable: set SUBGRAPH_${name.toUpperCase()}_URL.`,
      );
    }
    return urls[this.turn++ % urls.length] as string;
  }

  /**
   * Runs `query` on subgraph `name` as the caller of `ctx` and returns its data. An error of the
   * owning subgraph comes back as the same coded error (its code, message and details), so a 404 or
   * 422 there is a 404 or 422 here.
   */
  async query<T>(
    ctx: Pick<Ctx, 'credential' | 'headers' | 'client' | 'requestId'>,
    name: string,
    query: string,
    variables: Record<string, unknown> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    // The client's Idempotency-Key covers the operation it sent, not the calls that operation makes.
    const { [IDEMPOTENCY_HEADER]: _key, ...forwarded } = ctx.headers;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...forwarded };
    if (ctx.credential) {
      headers.authorization = `Bearer ${ctx.credential}`;
    }
    if (ctx.client.ip) {
      headers['x-client-ip'] = ctx.client.ip;
    }
    if (ctx.client.userAgent) {
      headers['x-client-user-agent'] = ctx.client.userAgent;
    }
    headers['x-request-id'] = ctx.requestId;
    let response: Response;
    try {
      response = await fetch(this.url(name), {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof AppError || (error as Error)?.name === 'AbortError') {
        throw error;
      }
      throw new AppError('SERVICE_UNAVAILABLE', `The ${name} service is unreachable; try again later.`);
    }
    const body = (await response.json().catch(() => null)) as {
      data?: T;
      errors?: { message: string; extensions?: { code?: string; details?: unknown } }[];
    } | null;
    const first = body?.errors?.[0];
    if (first) {
      const code = (first.extensions?.code ?? 'BAD_GATEWAY') as ErrorCode;
      throw new AppError(code, first.message, first.extensions?.details);
    }
    if (!body?.data) {
      throw new AppError('BAD_GATEWAY', `The ${name} service answered HTTP ${response.status} without data.`);
    }
    return body.data;
  }
}

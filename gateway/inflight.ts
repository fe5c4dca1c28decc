import { stableJson } from '../subgraphs/kernel/stable-json.js';
import type { GatewayContext } from './context.js';

/**
 * A query operation, judged from the text alone (the planner writes `query …` or `{ … }`): anything
 * else (mutations, subscriptions, a document opening on a fragment) is never merged.
 */
export function looksLikeQuery(query: string): boolean {
  return /^\s*(?:query\b|\{)/.test(query);
}

/**
 * What makes two subgraph fetches the same question: the subgraph, the operation and its variables,
 * and everything of the caller that can change the answer (the credential and the forwarded headers:
 * tenant, role, operator override, API key). The request id and client details are left out.
 */
export function inflightKey(
  subgraph: string,
  request: {
    query?: string | undefined;
    variables?: Record<string, unknown> | undefined;
    operationName?: string | undefined;
  },
  context: Partial<GatewayContext> | undefined,
): string {
  const forwarded = Object.entries(context?.forwarded ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return stableJson([
    subgraph,
    request.operationName ?? null,
    request.query ?? '',
    request.variables ?? {},
    context?.authorization ?? null,
    forwarded,
  ]);
}

/**
 * Identical subgraph queries in flight at the same time run once: the later callers wait for the
 * first and each gets its own deep copy of the answer (the gateway mutates what it merges). The entry
 * goes when the request settles; nothing is cached beyond that.
 */
export class InflightQueries {
  private readonly pending = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void }[]>();

  /** Runs `work`, or joins the identical one in flight; `key` null never merges (mutations). */
  run<T>(key: string | null, work: () => Promise<T>): Promise<T> {
    if (key === null) {
      return work();
    }
    const joined = this.pending.get(key);
    if (joined) {
      return new Promise<T>((resolve, reject) => {
        joined.push({ resolve: resolve as (v: unknown) => void, reject });
      });
    }
    const waiters: { resolve(v: unknown): void; reject(e: unknown): void }[] = [];
    this.pending.set(key, waiters);
    // The copies are taken before the first caller gets the original and starts merging it.
    const settle = (error: unknown, result?: T) => {
      this.pending.delete(key);
      for (const w of waiters) {
        if (error !== undefined) {
          w.reject(error);
          continue;
        }
        try {
          w.resolve(structuredClone(result));
        } catch (e) {
          w.reject(e);
        }
      }
    };
    let started: Promise<T>;
    try {
      started = work();
    } catch (error) {
      settle(error);
      throw error;
    }
    return started.then(
      (result) => {
        settle(undefined, result);
        return result;
      },
      (error: unknown) => {
        settle(error ?? new Error('subgraph request failed'));
        throw error;
      },
    );
  }

  /** Requests in flight (for tests). */
  get size(): number {
    return this.pending.size;
  }
}

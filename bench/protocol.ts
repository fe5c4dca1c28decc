/** Messages between the bench orchestrator (system under test) and the load-generator child process. */

import type { LatencySummary } from './stats.js';

export interface HttpTarget {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** `graphql`: a 200 whose body contains `"errors"` counts as an error. */
  kind: 'graphql' | 'rest';
  /**
   * Per-user traffic: worker i sends `authorization: authorizations[i % n]` (each client its own
   * user), so nothing identical is in flight at once. Absent: every worker sends `headers` as is.
   */
  authorizations?: string[];
}

export interface HttpLoadRequest {
  type: 'http';
  target: HttpTarget;
  concurrency: number;
  durationMs: number;
  /** Hard cap on requests per leg (bounds the leg even on a very fast machine). */
  maxRequests: number;
}

export interface HttpLoadResult {
  /** Successful responses inside the steady-state window. */
  ok: number;
  /** Failed responses over the whole leg (non-200, GraphQL `errors`, network errors). */
  errors: number;
  /** Every response of the leg, ramp and tail included. */
  completed: number;
  firstError?: string;
  /** From the first request to the last response. */
  elapsedMs: number;
  /** Steady-state window: from the moment every worker has had one response to the deadline. */
  windowMs: number;
  /** Successful responses per second in the window. */
  rps: number;
  /** Latency of the successful responses in the window. */
  latencyMs: LatencySummary;
  bytesPerResponse: number;
}

export interface SubscriptionTarget {
  /** Label used in the report. */
  name: string;
  conversationId: string;
  subscribers: number;
}

export interface FanoutRequest {
  type: 'fanout';
  wsUrl: string;
  graphqlUrl: string;
  authorization: string;
  targets: SubscriptionTarget[];
  rounds: number;
  eventsPerRound: number;
  /** Pause between two events once every delivery of the previous one has arrived. */
  gapMs: number;
  /** Give up on an event after this long (counted as lost deliveries). */
  eventTimeoutMs: number;
  /** Stop sending events after this long (measured from the first timed event). */
  budgetMs: number;
}

export interface FanoutLeg {
  /** Every delivery latency of the leg (send of the mutation → message parsed by the client), ms. */
  deliveries: LatencySummary;
  /** Per event, the latency of the slowest subscriber, ms. */
  lastDelivery: LatencySummary;
  lost: number;
  duplicates: number;
}

export interface FanoutResult {
  /** rounds[r][targetName] */
  rounds: Record<string, FanoutLeg>[];
  setupMs: number;
  /** True when the time budget ended the measurement early. */
  truncated: boolean;
  /** Triggering mutations that failed (their events are not counted as sent). */
  mutationErrors: number;
  firstMutationError?: string;
}

/** Opens one graphql-ws client (own socket) per stream and subscribes; replies once subscribed. */
export interface StreamsOpenRequest {
  type: 'streams-open';
  wsUrl: string;
  authorization: string;
  /** One client per entry: an id listed 10 times gets 10 subscribers. */
  conversationIds: string[];
  /** `sse`: each client reads `GET <sseBaseUrl>/api/v1/conversations/{id}/stream` instead. */
  transport?: 'ws' | 'sse';
  sseBaseUrl?: string;
}

/**
 * Waits until every stream has `perStream` timed events (display name `d:<epoch ms>:<i>`, published
 * by the stack process), or `timeoutMs`; then closes the clients and summarises.
 */
export interface StreamsCollectRequest {
  type: 'streams-collect';
  perStream: number;
  timeoutMs: number;
}

export interface StreamsResult {
  /** Publish (timestamp in the event) → event parsed by the client, every delivery, ms. */
  deliveries: LatencySummary;
  /** Epoch ms of the first and last timed delivery. */
  firstAt: number;
  lastAt: number;
  lost: number;
  duplicates: number;
  /** Deliveries that arrived before an earlier event of the same stream. */
  outOfOrder: number;
}

export type LoadgenRequest = (
  | HttpLoadRequest
  | FanoutRequest
  | StreamsOpenRequest
  | StreamsCollectRequest
  | { type: 'exit' }
) & { id: number };

export type LoadgenReply =
  | { id: number; ok: true; result: HttpLoadResult | FanoutResult | StreamsResult | { opened: number } }
  | { id: number; ok: false; error: string };

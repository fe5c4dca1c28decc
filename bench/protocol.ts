/** Messages between the bench orchestrator (system under test) and the load-generator child process. */

import type { LatencySummary } from './stats.js';

export interface HttpTarget {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** `graphql`: a 200 whose body contains `"errors"` counts as an error. */
  kind: 'graphql' | 'rest';
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

export type LoadgenRequest = (HttpLoadRequest | FanoutRequest | { type: 'exit' }) & { id: number };

export type LoadgenReply =
  | { id: number; ok: true; result: HttpLoadResult | FanoutResult }
  | { id: number; ok: false; error: string };

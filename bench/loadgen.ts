/**
 * Load-generator child process of `npm run bench` (started by bench/run.ts over IPC, never alone).
 * It holds every client socket so that client-side work does not share the event loop of the
 * system under test: HTTP legs are N concurrent `fetch` loops (Node's built-in undici, keep-alive)
 * for a fixed time; the fan-out leg holds graphql-ws subscribers and sends the triggering mutations.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type {
  FanoutLeg,
  FanoutRequest,
  FanoutResult,
  HttpLoadRequest,
  HttpLoadResult,
  LoadgenReply,
  LoadgenRequest,
  StreamsCollectRequest,
  StreamsOpenRequest,
  StreamsResult,
} from './protocol.js';
import { summarize } from './stats.js';

/** Epoch milliseconds with sub-millisecond resolution (same clock for send and receive). */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * A closed loop of `concurrency` workers for `durationMs`. Throughput and latency come from the
 * steady-state window only: it opens once every worker has completed one request (all started
 * together, so the first cycle is a ramp) and closes at the deadline (responses still in flight
 * then are awaited but not counted).
 */
async function runHttp(req: HttpLoadRequest): Promise<HttpLoadResult> {
  const { target, concurrency, durationMs, maxRequests } = req;
  const users = target.authorizations ?? [];
  const initOf = (i: number): RequestInit => ({
    method: target.method,
    headers: users.length
      ? { ...target.headers, authorization: users[i % users.length] as string }
      : target.headers,
    ...(target.body !== undefined ? { body: target.body } : {}),
  });
  const latencies: number[] = [];
  let errors = 0;
  let completed = 0;
  let firstError: string | undefined;
  let bytes = 0;
  let issued = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  let warmWorkers = 0;
  // Never later than half the leg, even if one worker is stuck.
  let windowStart = start + durationMs / 2;
  const worker = async (_: unknown, index: number) => {
    const init = initOf(index);
    let warm = false;
    while (performance.now() < deadline && issued < maxRequests) {
      issued++;
      const t0 = performance.now();
      let ok = false;
      let size = 0;
      try {
        const res = await fetch(target.url, init);
        const text = await res.text();
        ok = res.status === 200 && !(target.kind === 'graphql' && text.includes('"errors"'));
        size = text.length;
        if (!ok) {
          firstError ??= `${res.status} ${text.slice(0, 300)}`;
        }
      } catch (error) {
        firstError ??= String((error as Error)?.message ?? error);
      }
      const t1 = performance.now();
      completed++;
      if (!ok) {
        errors++;
      } else if (t1 >= windowStart && t1 <= deadline) {
        latencies.push(t1 - t0);
        bytes += size;
      }
      if (!warm) {
        warm = true;
        warmWorkers++;
        if (warmWorkers === concurrency) {
          windowStart = Math.min(windowStart, t1);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const windowMs = deadline - windowStart;
  return {
    ok: latencies.length,
    errors,
    completed,
    ...(firstError ? { firstError } : {}),
    elapsedMs: performance.now() - start,
    windowMs,
    rps: latencies.length / (windowMs / 1000),
    latencyMs: summarize(latencies),
    bytesPerResponse: latencies.length ? bytes / latencies.length : 0,
  };
}

const SUBSCRIPTION = `subscription Bench($id: ID!) {
  conversationEvents(conversationId: $id) { cursor kind displayName }
}`;
const RENAME = `mutation BenchRename($id: ID!, $name: String!) {
  renameConversation(conversationId: $id, displayName: $name) { id }
}`;

interface Subscriber {
  client: Client;
  /** displayName → receive time, for this subscriber. */
  received: Map<string, number>;
}

interface Group {
  name: string;
  conversationId: string;
  subscribers: Subscriber[];
  duplicates: number;
  /** Resolved when every subscriber has seen `name`. */
  waiters: Map<string, () => void>;
}

async function runFanout(req: FanoutRequest): Promise<FanoutResult> {
  const setupStart = performance.now();
  const groups: Group[] = req.targets.map((t) => ({
    name: t.name,
    conversationId: t.conversationId,
    subscribers: [],
    duplicates: 0,
    waiters: new Map(),
  }));
  const allClients: Client[] = [];
  const checkWaiter = (group: Group, displayName: string) => {
    const waiter = group.waiters.get(displayName);
    if (waiter && group.subscribers.every((s) => s.received.has(displayName))) {
      group.waiters.delete(displayName);
      waiter();
    }
  };
  for (const [gi, target] of req.targets.entries()) {
    const group = groups[gi] as Group;
    for (let i = 0; i < target.subscribers; i++) {
      const client = createClient({
        url: req.wsUrl,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: { authorization: req.authorization },
      });
      allClients.push(client);
      const sub: Subscriber = { client, received: new Map() };
      group.subscribers.push(sub);
      client.subscribe<{ conversationEvents: { displayName: string | null } }>(
        { query: SUBSCRIPTION, variables: { id: target.conversationId } },
        {
          next: (msg) => {
            const at = nowMs();
            const name = msg.data?.conversationEvents.displayName;
            if (!name) {
              return;
            }
            if (sub.received.has(name)) {
              group.duplicates++;
              return;
            }
            sub.received.set(name, at);
            checkWaiter(group, name);
          },
          error: (error) => {
            console.error(`[loadgen] subscription error (${group.name}):`, error);
          },
          complete: () => {},
        },
      );
    }
  }

  const rename = async (conversationId: string, name: string) => {
    const res = await fetch(req.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: req.authorization },
      body: JSON.stringify({ query: RENAME, variables: { id: conversationId, name } }),
    });
    const body = (await res.json()) as { errors?: unknown };
    if (res.status !== 200 || body.errors) {
      throw new Error(`rename failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  /** Sends one event and resolves once every subscriber has it, or after the timeout. */
  const fire = async (group: Group, name: string, timeoutMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const delivered = new Promise<boolean>((resolve) => {
      group.waiters.set(name, () => resolve(true));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      await rename(group.conversationId, name);
      return await delivered;
    } finally {
      clearTimeout(timer);
      group.waiters.delete(name);
    }
  };

  let mutationErrors = 0;
  let firstMutationError: string | undefined;
  /** Like `fire`, but a failed mutation is counted and reported as `null` instead of thrown. */
  const tryFire = async (group: Group, name: string, timeoutMs: number): Promise<boolean | null> => {
    try {
      return await fire(group, name, timeoutMs);
    } catch (error) {
      mutationErrors++;
      firstMutationError ??= String((error as Error)?.message ?? error);
      return null;
    }
  };

  // Readiness: subscriptions are lazy and asynchronous end to end (client → gateway bridge →
  // subgraph bus); warm-up events are sent until every subscriber of a group has received one.
  let seq = 0;
  for (const group of groups) {
    let ready = false;
    for (let attempt = 0; attempt < 20 && !ready; attempt++) {
      ready = (await tryFire(group, `warmup:${group.name}:${seq++}`, 1000)) === true;
    }
    if (!ready) {
      const have = group.subscribers.filter((s) => s.received.size > 0).length;
      throw new Error(`fan-out group ${group.name}: only ${have}/${group.subscribers.length} subscribed`);
    }
  }
  const setupMs = performance.now() - setupStart;

  const rounds: Record<string, FanoutLeg>[] = [];
  const budgetEnd = performance.now() + req.budgetMs;
  let truncated = false;
  for (let r = 0; r < req.rounds && !truncated; r++) {
    const sent = new Map<Group, { name: string; at: number }[]>(groups.map((g) => [g, []]));
    const dupBefore = new Map(groups.map((g) => [g, g.duplicates]));
    // Events alternate between the groups (A B A B …); the first group alternates per round.
    const order = r % 2 === 0 ? groups : [...groups].reverse();
    for (let i = 0; i < req.eventsPerRound && !truncated; i++) {
      truncated = performance.now() > budgetEnd;
      for (const group of truncated ? [] : order) {
        const at = nowMs();
        const name = `t:${at.toFixed(3)}:${seq++}`;
        if ((await tryFire(group, name, req.eventTimeoutMs)) !== null) {
          sent.get(group)?.push({ name, at });
        }
        await new Promise((resolve) => setTimeout(resolve, req.gapMs));
      }
    }
    if (groups.some((g) => (sent.get(g)?.length ?? 0) === 0)) {
      break; // the budget ran out before this round measured every group
    }
    const legs: Record<string, FanoutLeg> = {};
    for (const group of groups) {
      const deliveries: number[] = [];
      const last: number[] = [];
      let lost = 0;
      for (const event of sent.get(group) ?? []) {
        let worst = 0;
        for (const s of group.subscribers) {
          const got = s.received.get(event.name);
          if (got === undefined) {
            lost++;
          } else {
            deliveries.push(got - event.at);
            worst = Math.max(worst, got - event.at);
          }
        }
        last.push(worst);
      }
      legs[group.name] = {
        deliveries: summarize(deliveries),
        lastDelivery: summarize(last),
        lost,
        duplicates: group.duplicates - (dupBefore.get(group) ?? 0),
      };
    }
    rounds.push(legs);
  }
  await Promise.all(allClients.map((c) => c.dispose()));
  return {
    rounds,
    setupMs,
    truncated,
    mutationErrors,
    ...(firstMutationError ? { firstMutationError } : {}),
  };
}

const STREAM_SUBSCRIPTION = `subscription BenchStream($id: ID!) {
  conversationEvents(conversationId: $id) { cursor displayName }
}`;

/** The streams of the current stream leg: per stream, the timed events received in arrival order. */
let streamLeg: {
  clients: { dispose(): unknown }[];
  received: { index: number; latency: number; at: number }[][];
  duplicates: number;
} | null = null;

/** One timed event (`d:<epoch ms>:<i>` display name) seen by one client; duplicates counted. */
function onTimedEvent(
  leg: NonNullable<typeof streamLeg>,
  seen: Set<number>,
  received: { index: number; latency: number; at: number }[],
  displayName: string | null | undefined,
) {
  const at = nowMs();
  const match = /^d:([\d.]+):(\d+)$/.exec(displayName ?? '');
  if (!match) {
    return;
  }
  const index = Number(match[2]);
  if (seen.has(index)) {
    leg.duplicates++;
    return;
  }
  seen.add(index);
  received.push({ index, latency: at - Number(match[1]), at });
}

/** An SSE client of the REST bridge's conversation stream: `data:` frames parsed as they arrive. */
function openSse(url: string, authorization: string, onEvent: (displayName: string | null) => void) {
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(url, {
      headers: { authorization, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (!res.ok || !res.body) {
      console.error(`[loadgen] SSE ${url}: ${res.status}`);
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data) {
          try {
            const event = JSON.parse(data) as { display_name?: string | null; displayName?: string | null };
            onEvent(event.display_name ?? event.displayName ?? null);
          } catch {
            // not an event frame
          }
        }
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) {
      console.error('[loadgen] SSE error:', error);
    }
  });
  return { dispose: () => abort.abort() };
}

async function openStreams(req: StreamsOpenRequest): Promise<{ opened: number }> {
  const leg: NonNullable<typeof streamLeg> = {
    clients: [],
    received: req.conversationIds.map(() => []),
    duplicates: 0,
  };
  streamLeg = leg;
  if (req.transport === 'sse') {
    for (const [i, id] of req.conversationIds.entries()) {
      const seen = new Set<number>();
      const received = leg.received[i] as { index: number; latency: number; at: number }[];
      leg.clients.push(
        openSse(`${req.sseBaseUrl}/api/v1/conversations/${id}/stream`, req.authorization, (name) =>
          onTimedEvent(leg, seen, received, name),
        ),
      );
    }
    return { opened: req.conversationIds.length };
  }
  for (const [i, id] of req.conversationIds.entries()) {
    const client = createClient({
      url: req.wsUrl,
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: { authorization: req.authorization },
    });
    leg.clients.push(client);
    const seen = new Set<number>();
    const received = leg.received[i] as { index: number; latency: number; at: number }[];
    client.subscribe<{ conversationEvents: { displayName: string | null } }>(
      { query: STREAM_SUBSCRIPTION, variables: { id } },
      {
        next: (msg) => onTimedEvent(leg, seen, received, msg.data?.conversationEvents.displayName),
        error: (error) => console.error('[loadgen] stream subscription error:', error),
        complete: () => {},
      },
    );
  }
  return { opened: req.conversationIds.length };
}

async function collectStreams(req: StreamsCollectRequest): Promise<StreamsResult> {
  const leg = streamLeg;
  if (!leg) {
    throw new Error('no open streams');
  }
  const deadline = performance.now() + req.timeoutMs;
  while (leg.received.some((r) => r.length < req.perStream) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await Promise.all(leg.clients.map((c) => c.dispose()));
  streamLeg = null;
  const all = leg.received.flat();
  let outOfOrder = 0;
  for (const r of leg.received) {
    r.forEach((e, i) => {
      if (i > 0 && e.index < (r[i - 1] as { index: number }).index) {
        outOfOrder++;
      }
    });
  }
  return {
    deliveries: summarize(all.map((e) => e.latency)),
    firstAt: Math.min(...all.map((e) => e.at)),
    lastAt: Math.max(...all.map((e) => e.at)),
    lost: leg.received.reduce((n, r) => n + Math.max(0, req.perStream - r.length), 0),
    duplicates: leg.duplicates,
    outOfOrder,
  };
}

function reply(message: LoadgenReply) {
  process.send?.(message);
}

process.on('message', (raw) => {
  const msg = raw as LoadgenRequest;
  if (msg.type === 'exit') {
    reply({ id: msg.id, ok: true, result: { rounds: [], setupMs: 0, truncated: false, mutationErrors: 0 } });
    setTimeout(() => process.exit(0), 10);
    return;
  }
  const run =
    msg.type === 'http'
      ? runHttp(msg)
      : msg.type === 'streams-open'
        ? openStreams(msg)
        : msg.type === 'streams-collect'
          ? collectStreams(msg)
          : runFanout(msg);
  run.then(
    (result) => reply({ id: msg.id, ok: true, result }),
    (error: unknown) => reply({ id: msg.id, ok: false, error: String((error as Error)?.stack ?? error) }),
  );
});

// The orchestrator going away must not leave this process behind.
process.on('disconnect', () => process.exit(0));

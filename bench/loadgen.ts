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
} from './protocol.js';
import { summarize } from './stats.js';

/** Epoch milliseconds with sub-millisecond resolution (same clock for send and receive). */
const nowMs = () => performance.timeOrigin + performance.now();

async function runHttp(req: HttpLoadRequest): Promise<HttpLoadResult> {
  const { target, concurrency, durationMs, maxRequests } = req;
  const init: RequestInit = {
    method: target.method,
    headers: target.headers,
    ...(target.body !== undefined ? { body: target.body } : {}),
  };
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let bytes = 0;
  let issued = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async () => {
    while (performance.now() < deadline && issued < maxRequests) {
      issued++;
      const t0 = performance.now();
      try {
        const res = await fetch(target.url, init);
        const text = await res.text();
        const t1 = performance.now();
        if (res.status !== 200 || (target.kind === 'graphql' && text.includes('"errors"'))) {
          errors++;
          firstError ??= `${res.status} ${text.slice(0, 300)}`;
        } else {
          latencies.push(t1 - t0);
          bytes += text.length;
        }
      } catch (error) {
        errors++;
        firstError ??= String((error as Error)?.message ?? error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  return {
    ok: latencies.length,
    errors,
    ...(firstError ? { firstError } : {}),
    elapsedMs,
    rps: latencies.length / (elapsedMs / 1000),
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
    await rename(group.conversationId, name);
    const ok = await delivered;
    clearTimeout(timer);
    group.waiters.delete(name);
    return ok;
  };

  // Readiness: subscriptions are lazy and asynchronous end to end (client → gateway bridge →
  // subgraph bus); warm-up events are sent until every subscriber of a group has received one.
  let seq = 0;
  for (const group of groups) {
    let ready = false;
    for (let attempt = 0; attempt < 20 && !ready; attempt++) {
      ready = await fire(group, `warmup:${group.name}:${seq++}`, 1000);
    }
    if (!ready) {
      const have = group.subscribers.filter((s) => s.received.size > 0).length;
      throw new Error(`fan-out group ${group.name}: only ${have}/${group.subscribers.length} subscribed`);
    }
  }
  const setupMs = performance.now() - setupStart;

  const rounds: Record<string, FanoutLeg>[] = [];
  for (let r = 0; r < req.rounds; r++) {
    const sent = new Map<Group, { name: string; at: number }[]>(groups.map((g) => [g, []]));
    const dupBefore = new Map(groups.map((g) => [g, g.duplicates]));
    // Events alternate between the groups (A B A B …); the first group alternates per round.
    const order = r % 2 === 0 ? groups : [...groups].reverse();
    for (let i = 0; i < req.eventsPerRound; i++) {
      for (const group of order) {
        const at = nowMs();
        const name = `t:${at.toFixed(3)}:${seq++}`;
        sent.get(group)?.push({ name, at });
        await fire(group, name, req.eventTimeoutMs);
        await new Promise((resolve) => setTimeout(resolve, req.gapMs));
      }
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
  return { rounds, setupMs };
}

function reply(message: LoadgenReply) {
  process.send?.(message);
}

process.on('message', (raw) => {
  const msg = raw as LoadgenRequest;
  if (msg.type === 'exit') {
    reply({ id: msg.id, ok: true, result: { rounds: [], setupMs: 0 } });
    setTimeout(() => process.exit(0), 10);
    return;
  }
  const run = msg.type === 'http' ? runHttp(msg) : runFanout(msg);
  run.then(
    (result) => reply({ id: msg.id, ok: true, result }),
    (error: unknown) => reply({ id: msg.id, ok: false, error: String((error as Error)?.stack ?? error) }),
  );
});

// The orchestrator going away must not leave this process behind.
process.on('disconnect', () => process.exit(0));

/**
 * Voice rows of the bench, P6 (`npm run bench:voice`, writes bench/results/voice.{md,json}), against
 * the LiveKit Twirp double on loopback:
 * - V1 webhook ingest: signed LiveKit webhooks through `POST /api/webhooks/livekit` (verify, record
 *   the id, apply, publish), one at a time and 8 at once; a redelivery (same id) beside a fresh one.
 * - V2 participant tokens: `POST /api/tenants/{id}/tokens` beside a plain REST read of the same
 *   tenant (`GET …/calls?limit=1`), interleaved, 8 at once: what signing a LiveKit JWT costs.
 * - V3 event fan-out: SSE subscribers of one call's event stream while webhooks arrive: webhook
 *   sent → frame received, p50/p99, lost and duplicated frames counted.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callRoom } from '../subgraphs/voice/rooms.js';
import { signWebhook, startLiveKitDouble } from '../test/fakes/livekit.js';
import { bootStack } from '../test/kit/stack.js';
import { summarize } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const WEBHOOKS = Number(process.env.BENCH_VOICE_WEBHOOKS ?? 400);
const TOKENS = Number(process.env.BENCH_VOICE_TOKENS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SUBSCRIBERS = Number(process.env.BENCH_VOICE_SUBSCRIBERS ?? 50);
const FANOUT_EVENTS = Number(process.env.BENCH_VOICE_FANOUT_EVENTS ?? 100);

const now = () => performance.now();
const f1 = (v: number) => v.toFixed(1);

const lk = await startLiveKitDouble();
const t = await bootStack({
  ...lk.env,
  LOG_LEVEL: 'silent',
  RATE_LIMITS: 'false',
  NODE_ENV: 'production',
  MAIL_OUTBOX_ONLY: 'true',
});
const owner = await t.register();
const db = t.stack.kernel.database.prisma;
const hook = `${t.url}/api/webhooks/livekit`;

async function insertCalls(n: number) {
  const rows = Array.from({ length: n }, () => {
    const id = randomUUID();
    return {
      id,
      tenantId: owner.tenantId,
      agentId: randomUUID(),
      agentKey: 'bench',
      toNumber: '+15550100200',
      roomName: callRoom(owner.tenantId, id),
      conversationId: randomUUID(),
      status: 'dialing',
      dialStartedAt: new Date(),
    };
  });
  await db.voiceCall.createMany({ data: rows });
  return rows;
}

/** A signed `participant_joined` of a standard participant (publishes one event, changes no state). */
async function signedJoin(room: string, id = `EV_${randomUUID()}`) {
  const body = JSON.stringify({
    event: 'participant_joined',
    id,
    createdAt: String(Math.floor(Date.now() / 1000)),
    room: { name: room },
    participant: { identity: `listener-${id.slice(3, 11)}`, kind: 'STANDARD' },
  });
  return { body, token: await signWebhook(body, lk.apiKey, lk.apiSecret) };
}

async function post(signed: { body: string; token: string }): Promise<number> {
  const start = now();
  const res = await fetch(hook, {
    method: 'POST',
    headers: { 'content-type': 'application/webhook+json', authorization: signed.token },
    body: signed.body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) {
    throw new Error(`webhook answered ${res.status}`);
  }
  return now() - start;
}

async function inParallel<T>(items: readonly T[], width: number, run: (item: T) => Promise<number>) {
  const latencies: number[] = [];
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        latencies.push(await run(item));
      }
    }),
  );
  return { seconds: (now() - start) / 1000, latencies };
}

// V1: webhook ingest.
const calls = await insertCalls(WEBHOOKS * 2);
const warm = await Promise.all(calls.slice(0, 20).map((c) => signedJoin(c.roomName)));
await inParallel(warm, 4, post);
const sequential = await inParallel(
  await Promise.all(calls.slice(20, 20 + WEBHOOKS / 2).map((c) => signedJoin(c.roomName))),
  1,
  post,
);
const concurrent = await inParallel(
  await Promise.all(calls.slice(WEBHOOKS, WEBHOOKS * 2).map((c) => signedJoin(c.roomName))),
  8,
  post,
);
// Fresh and redelivered events interleaved: the redelivery stops at the id's unique key.
const fresh: number[] = [];
const redelivered: number[] = [];
for (const call of calls.slice(20 + WEBHOOKS / 2, 20 + WEBHOOKS / 2 + 100)) {
  const signed = await signedJoin(call.roomName);
  fresh.push(await post(signed));
  redelivered.push(await post(signed));
}

// V2: tokens beside a plain read, interleaved rounds of 8 concurrent requests.
const tokenRates: number[] = [];
const readRates: number[] = [];
const tokenLatency: number[] = [];
const readLatency: number[] = [];
const rest = async (method: string, path: string, body?: unknown) => {
  const start = now();
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await res.arrayBuffer();
  if (res.status >= 300) {
    throw new Error(`${method} ${path} answered ${res.status}`);
  }
  return now() - start;
};
const perRound = Math.max(40, Math.floor(TOKENS / ROUNDS));
const indexes = Array.from({ length: perRound }, (_, i) => i);
for (let round = 0; round < ROUNDS + 1; round++) {
  const tokens = await inParallel(indexes, 8, (i) =>
    rest('POST', `/api/tenants/${owner.tenantId}/tokens`, { room: `bench-${i % 10}`, identity: `user-${i}` }),
  );
  const reads = await inParallel(indexes, 8, () =>
    rest('GET', `/api/tenants/${owner.tenantId}/calls?limit=1`),
  );
  if (round === 0) {
    continue; // warm-up
  }
  tokenRates.push(perRound / tokens.seconds);
  readRates.push(perRound / reads.seconds);
  tokenLatency.push(...tokens.latencies);
  readLatency.push(...reads.latencies);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;

// V3: SSE fan-out of one call's events.
const [fanCall] = await insertCalls(1);
if (!fanCall) {
  throw new Error('no call to fan out');
}
const sentAt = new Map<string, number>();
const received: number[] = [];
let lost = 0;
let duplicated = 0;
const subscribers = await Promise.all(
  Array.from({ length: SUBSCRIBERS }, async () => {
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/tenants/${owner.tenantId}/calls/${fanCall.id}/events`, {
      headers: { authorization: `Bearer ${owner.accessToken}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) {
      throw new Error(`SSE answered ${res.status}`);
    }
    const seen = new Set<string>();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const done = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) {
            return;
          }
          buffer += decoder.decode(value, { stream: true });
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            cut = buffer.indexOf('\n\n');
            const data = block
              .split('\n')
              .find((l) => l.startsWith('data: '))
              ?.slice(6);
            if (!data) {
              continue;
            }
            const identity =
              (JSON.parse(data) as { participant_identity?: string }).participant_identity ?? '';
            if (seen.has(identity)) {
              duplicated++;
            }
            seen.add(identity);
            const sent = sentAt.get(identity);
            if (sent !== undefined) {
              received.push(now() - sent);
            }
          }
        }
      } catch {
        // aborted at the end
      }
    })();
    return { controller, seen, done };
  }),
);
await new Promise((r) => setTimeout(r, 300));
for (let i = 0; i < FANOUT_EVENTS; i++) {
  const signed = await signedJoin(fanCall.roomName);
  const identity = (JSON.parse(signed.body) as { participant: { identity: string } }).participant.identity;
  sentAt.set(identity, now());
  await post(signed);
  await new Promise((r) => setTimeout(r, 10));
}
await new Promise((r) => setTimeout(r, 1500));
for (const s of subscribers) {
  lost += [...sentAt.keys()].filter((k) => !s.seen.has(k)).length;
  s.controller.abort();
}
await Promise.all(subscribers.map((s) => s.done));

const seq = summarize(sequential.latencies);
const par = summarize(concurrent.latencies);
const fr = summarize(fresh);
const re = summarize(redelivered);
const tok = summarize(tokenLatency);
const rd = summarize(readLatency);
const fan = summarize(received);
const result = {
  v1: {
    sequential: { perSecond: sequential.latencies.length / sequential.seconds, ...seq },
    concurrent8: { perSecond: concurrent.latencies.length / concurrent.seconds, ...par },
    fresh: fr,
    redelivered: re,
  },
  v2: {
    tokensPerSecond: median(tokenRates),
    readsPerSecond: median(readRates),
    ratio: median(tokenRates) / median(readRates),
    tokens: tok,
    reads: rd,
  },
  v3: { subscribers: SUBSCRIBERS, events: FANOUT_EVENTS, ...fan, lost, duplicated },
};
const md = `# Voice (P6): webhooks, tokens, event fan-out

PGlite in memory, one process (stack + client), the LiveKit double on loopback. Noisy 2-core machine: read ratios.

| row | measure | value |
|---|---|---|
| V1 | signed webhooks applied/s, one at a time | ${f1(result.v1.sequential.perSecond)} (p50 ${f1(seq.p50)} ms, p95 ${f1(seq.p95)} ms) |
| V1 | signed webhooks applied/s, 8 at once | ${f1(result.v1.concurrent8.perSecond)} (p50 ${f1(par.p50)} ms, p95 ${f1(par.p95)} ms) |
| V1 | redelivery ÷ fresh event (p50 latency) | ${f1(re.p50)} ms ÷ ${f1(fr.p50)} ms = ${(re.p50 / fr.p50).toFixed(2)} |
| V2 | \`POST /tokens\` ÷ \`GET /calls?limit=1\` (req/s, median of ${ROUNDS} rounds, 8 at once) | ${f1(result.v2.tokensPerSecond)} ÷ ${f1(result.v2.readsPerSecond)} = ${result.v2.ratio.toFixed(2)} |
| V2 | p50 / p95 latency, tokens vs reads | ${f1(tok.p50)} / ${f1(tok.p95)} ms vs ${f1(rd.p50)} / ${f1(rd.p95)} ms |
| V3 | webhook → SSE frame, ${SUBSCRIBERS} subscribers × ${FANOUT_EVENTS} events | p50 ${f1(fan.p50)} ms, p99 ${f1(fan.p99)} ms, lost ${lost}, duplicated ${duplicated} |
`;
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'voice.md'), md);
writeFileSync(join(here, 'results', 'voice.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(md);
await t.close();
await lk.close();
process.exit(lost || duplicated ? 1 : 0);

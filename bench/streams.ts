/**
 * Event-stream rows of the bench: can the bus carry a chat turn's token deltas at provider speed?
 * The stack process publishes through the kernel's bus (`bus.publish`, one statement per event, as a
 * streaming handler would); the load generator holds one graphql-ws client per stream,
 * subscribed through the gateway. Latency = publish (timestamp in the event) → event parsed by the
 * client, one clock. Part of `npm run bench`; `npm run bench:streams` runs these rows alone and
 * writes bench/results/streams.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conversationStream } from '../subgraphs/conversations/conversation.events.js';
import type { Account, TestStack } from '../test/kit/stack.js';
import type { Loadgen } from './loadgen-client.js';
import type { StreamsResult } from './protocol.js';
import { fmt, type Row, ratioRow } from './report.js';
import { median } from './stats.js';

export interface StreamLegSpec {
  key: string;
  label: string;
  streams: number;
  perStream: number;
  /** Events per second per stream; null publishes as fast as the bus takes them. */
  rate: number | null;
  /** Clients per stream (1 unless a fan-out leg). */
  subscribersPerStream?: number;
  /** `sse`: the clients read the REST bridge's SSE stream instead of graphql-ws. */
  transport?: 'ws' | 'sse';
}

export interface StreamLegRound extends StreamsResult {
  published: number;
  /** Delivered events per second, from the first publish to the last delivery. */
  throughput: number;
  /** Stack CPU per delivered event (publish, bus, subgraph, gateway). */
  sutCpuMsPerEvent: number;
}

export interface StreamBenchResult {
  rounds: number;
  legs: (StreamLegSpec & { rounds: StreamLegRound[] })[];
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function intEnv(name: string, fallback: number): number {
  const n = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * Subscriptions at scale (issue 12): BENCH_FANOUT_SUBSCRIBERS (1000) clients on one stream, and the
 * same number spread over BENCH_FANOUT_STREAMS (100) streams, at 10 events/s per stream for 3 s,
 * over graphql-ws and over SSE, beside one subscriber on one stream at the same rate.
 */
export function scaleLegs(): StreamLegSpec[] {
  const subscribers = intEnv('BENCH_FANOUT_SUBSCRIBERS', 1000);
  const streams = intEnv('BENCH_FANOUT_STREAMS', 100);
  const rate = 10;
  const perStream = rate * 3;
  const each = Math.max(1, Math.round(subscribers / streams));
  const legs: StreamLegSpec[] = [
    { key: 'fan.1x1.ws', label: `1 subscriber, 1 stream at ${rate} events/s`, streams: 1, perStream, rate },
  ];
  for (const transport of ['ws', 'sse'] as const) {
    const via = transport === 'ws' ? 'graphql-ws' : 'SSE';
    legs.push(
      {
        key: `fan.1x${subscribers}.${transport}`,
        label: `${subscribers} ${via} subscribers on 1 stream at ${rate} events/s`,
        streams: 1,
        perStream,
        rate,
        subscribersPerStream: subscribers,
        transport,
      },
      {
        key: `fan.${streams}x${each}.${transport}`,
        label: `${streams * each} ${via} subscribers on ${streams} streams (${each} each) at ${rate} events/s`,
        streams,
        perStream,
        rate,
        subscribersPerStream: each,
        transport,
      },
    );
  }
  return legs;
}

export function streamLegs(): StreamLegSpec[] {
  const many = intEnv('BENCH_STREAMS', 50);
  const rate = intEnv('BENCH_STREAM_RATE', 20);
  return [
    { key: 'stream.1.flood', label: '1 stream, as fast as possible', streams: 1, perStream: 200, rate: null },
    {
      key: 'stream.N.flood',
      label: `${many} streams at once, as fast as possible`,
      streams: many,
      perStream: Math.max(1, Math.round(200 / many)),
      rate: null,
    },
    {
      key: 'stream.1.paced',
      label: `1 stream at ${rate} events/s`,
      streams: 1,
      perStream: rate,
      rate,
    },
    {
      key: 'stream.N.paced',
      label: `${many} streams at ${rate} events/s each`,
      streams: many,
      perStream: rate,
      rate,
    },
  ];
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(20);
  }
}

async function runLeg(
  t: TestStack,
  loadgen: Loadgen,
  account: Account,
  leg: StreamLegSpec,
  ids: string[],
): Promise<StreamLegRound> {
  const bus = t.stack.kernel.bus;
  // The previous leg's subscriptions end asynchronously; count this leg's alone.
  await waitFor(() => bus.subscriberCount === 0, 30_000, 'the previous leg to close');
  const clients = ids.flatMap((id) => Array.from({ length: leg.subscribersPerStream ?? 1 }, () => id));
  await loadgen.openStreams({
    wsUrl: `${t.url.replace(/^http/, 'ws')}/graphql`,
    authorization: `Bearer ${account.accessToken}`,
    conversationIds: clients,
    transport: leg.transport ?? 'ws',
    sseBaseUrl: t.url,
  });
  // Identical subscribers share one upstream (one bus subscriber per stream): count them at the gateway.
  const gateway = t.stack.gateway.subscriptions;
  await waitFor(
    () => gateway.subscriberCount >= clients.length && bus.subscriberCount >= ids.length,
    90_000,
    'stream subscribers',
  );
  await sleep(300); // each stream's hub reads its head before anything is published
  const cpu = process.cpuUsage();
  const started = nowMs();
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < leg.perStream; i++) {
        if (leg.rate) {
          const due = started + (i * 1000) / leg.rate;
          if (due > nowMs()) {
            await sleep(due - nowMs());
          }
        }
        const at = nowMs();
        await bus.publish({
          stream: conversationStream(id),
          type: 'conversation.title.updated',
          tenantId: account.tenantId,
          payload: {
            kind: 'conversation.title.updated',
            conversationId: id,
            displayName: `d:${at.toFixed(3)}:${i}`,
            timestamp: new Date().toISOString(),
          },
        });
      }
    }),
  );
  const result = await loadgen.collectStreams({ perStream: leg.perStream, timeoutMs: 30_000 });
  const used = process.cpuUsage(cpu);
  const delivered = result.deliveries.count;
  return {
    ...result,
    published: ids.length * leg.perStream,
    throughput: delivered / ((result.lastAt - started) / 1000),
    sutCpuMsPerEvent: (used.user + used.system) / 1000 / Math.max(1, delivered),
  };
}

async function createConversations(t: TestStack, account: Account, count: number, label: string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await t.gql<{ createConversation: { id: string } }>(
      'mutation ($n: String!) { createConversation(input: { displayName: $n }) { id } }',
      { n: `${label} ${i + 1}` },
      account.accessToken,
    );
    ids.push(res.data?.createConversation.id ?? '');
  }
  if (ids.some((id) => !id)) {
    throw new Error('could not create the stream conversations');
  }
  return ids;
}

/** Runs the stream legs in interleaved rounds (A B C D, then D C B A …) and returns rows and figures. */
export async function runStreamBench(
  t: TestStack,
  loadgen: Loadgen,
  account: Account,
  rounds = intEnv('BENCH_STREAM_ROUNDS', 2),
  log: (message: string) => void = () => {},
): Promise<{ result: StreamBenchResult; rows: Row[] }> {
  const legs = [...streamLegs(), ...scaleLegs()].map((l) => ({ ...l, rounds: [] as StreamLegRound[] }));
  const ids = new Map<string, string[]>();
  for (const leg of legs) {
    ids.set(leg.key, await createConversations(t, account, leg.streams, leg.key));
  }
  for (let r = 0; r < rounds; r++) {
    for (const leg of r % 2 === 0 ? legs : [...legs].reverse()) {
      const m = await runLeg(t, loadgen, account, leg, ids.get(leg.key) ?? []);
      leg.rounds.push(m);
      log(
        `stream round ${r + 1}/${rounds}, ${leg.label}: ${Math.round(m.throughput)} events/s, p50 ${fmt(m.deliveries.p50)} ms, p95 ${fmt(m.deliveries.p95)} ms${m.lost ? `, ${m.lost} lost` : ''}`,
      );
    }
  }
  const of = (key: string, pick: (m: StreamLegRound) => number) =>
    (legs.find((l) => l.key === key)?.rounds ?? []).map(pick);
  const many = legs[1]?.streams ?? 0;
  const rate = legs[2]?.rate ?? 0;
  const row = (
    id: string,
    scenario: string,
    a: string,
    b: string,
    unit: string,
    pick: (m: StreamLegRound) => number,
  ) => ratioRow({ id, scenario, a, b, unit }, of(a, pick), of(b, pick));
  const rows = [
    row(
      'E1',
      `Event throughput, publish → graphql-ws client through the gateway, ${many} streams at once ÷ 1 stream (aggregate, as fast as possible)`,
      'stream.N.flood',
      'stream.1.flood',
      'events/s',
      (m) => m.throughput,
    ),
    row(
      'E1-p50',
      `Event latency publish → client, ${many} streams ÷ 1 stream, as fast as possible, p50`,
      'stream.N.flood',
      'stream.1.flood',
      'ms (p50)',
      (m) => m.deliveries.p50,
    ),
    row(
      'E1-p95',
      `Event latency publish → client, ${many} streams ÷ 1 stream, as fast as possible, p95`,
      'stream.N.flood',
      'stream.1.flood',
      'ms (p95)',
      (m) => m.deliveries.p95,
    ),
    row(
      'E2-p50',
      `Event latency at provider speed (${rate} events/s per stream), ${many} streams ÷ 1 stream, p50`,
      'stream.N.paced',
      'stream.1.paced',
      'ms (p50)',
      (m) => m.deliveries.p50,
    ),
    row(
      'E2-p95',
      `Event latency at provider speed (${rate} events/s per stream), ${many} streams ÷ 1 stream, p95`,
      'stream.N.paced',
      'stream.1.paced',
      'ms (p95)',
      (m) => m.deliveries.p95,
    ),
    row(
      'E2-rate',
      `Delivered events/s at provider speed, ${many} streams ÷ 1 stream (${many} when the bus keeps up)`,
      'stream.N.paced',
      'stream.1.paced',
      'events/s',
      (m) => m.throughput,
    ),
  ];
  for (const [n, leg] of legs.filter((l) => l.key.startsWith('fan.') && l.key !== 'fan.1x1.ws').entries()) {
    const id = `F${n + 1}`;
    for (const [suffix, pick] of [
      ['p50', (m: StreamLegRound) => m.deliveries.p50],
      ['p99', (m: StreamLegRound) => m.deliveries.p99],
    ] as const) {
      rows.push(
        row(
          `${id}-${suffix}`,
          `${leg.label} ÷ 1 subscriber on 1 stream, publish → client, ${suffix}${suffix === 'p99' ? ' (goal ≤ 100 ms, 0 lost, 0 duplicated)' : ''}`,
          leg.key,
          'fan.1x1.ws',
          `ms (${suffix})`,
          pick,
        ),
      );
    }
  }
  const all = legs.flatMap((l) => l.rounds);
  return {
    result: {
      rounds,
      legs,
      lost: all.reduce((n, m) => n + m.lost, 0),
      duplicates: all.reduce((n, m) => n + m.duplicates, 0),
      outOfOrder: all.reduce((n, m) => n + m.outOfOrder, 0),
    },
    rows,
  };
}

/** The legs table of the stream rows (medians over rounds). */
export function streamTable(result: StreamBenchResult): string {
  const head = [
    'leg',
    'events',
    'delivered events/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'stack CPU ms/event',
    'lost',
    'dup',
    'out of order',
  ];
  const lines = result.legs.map((l) => {
    const m = (pick: (x: StreamLegRound) => number) => fmt(median(l.rounds.map(pick)));
    return [
      l.label,
      `${l.streams} × ${l.perStream}${l.subscribersPerStream ? ` → ${l.subscribersPerStream} each` : ''}`,
      m((x) => x.throughput),
      m((x) => x.deliveries.p50),
      m((x) => x.deliveries.p95),
      m((x) => x.deliveries.p99),
      m((x) => x.deliveries.max),
      m((x) => x.sutCpuMsPerEvent),
      String(l.rounds.reduce((n, x) => n + x.lost, 0)),
      String(l.rounds.reduce((n, x) => n + x.duplicates, 0)),
      String(l.rounds.reduce((n, x) => n + x.outOfOrder, 0)),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...lines.map(line)].join('\n');
}

export function streamRowsTable(rows: Row[]): string {
  const head = ['id', 'scenario (A ÷ B)', 'A', 'B', 'ratio A÷B', 'rounds min–max', 'unit'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(head),
    line(head.map(() => '---')),
    ...rows.map((r) =>
      line([
        r.id,
        r.scenario,
        fmt(r.aMedian),
        fmt(r.bMedian),
        `**${fmt(r.ratio)}**`,
        `${fmt(r.ratioMin)}–${fmt(r.ratioMax)}`,
        r.unit,
      ]),
    ),
  ].join('\n');
}

// ---------------------------------------------------------------- alone: npm run bench:streams

async function main(): Promise<number> {
  const { bootStack } = await import('../test/kit/stack.js');
  const { startLoadgen } = await import('./loadgen-client.js');
  const log = (message: string) => process.stderr.write(`[bench:streams] ${message}\n`);
  const startedAt = Date.now();
  const loadBefore = loadavg();
  const cpuCount = availableParallelism();
  const loadgen = startLoadgen();
  const pin = (pid: number, cpu: number) => {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const pinned = cpuCount >= 2 && process.env.BENCH_PIN !== '0' && pin(process.pid, 0) && pin(loadgen.pid, 1);
  const t = await bootStack({
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    DATA_DIR: 'memory://',
    RATE_LIMITS: 'false',
    MAIL_OUTBOX_ONLY: 'true',
    // The deployed default: the test kit's 200 ms would add 5,000 pings/s over 1,000 SSE streams.
    SSE_HEARTBEAT_MS: '15000',
  });
  try {
    const account = await t.register();
    const { result, rows } = await runStreamBench(t, loadgen, account, undefined, log);
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      // not a git checkout
    }
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      cpuCount,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgBefore: loadBefore.map((n) => Math.round(n * 100) / 100),
      loadavgAfter: loadavg().map((n) => Math.round(n * 100) / 100),
      commit,
      pinned,
      durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
    const here = dirname(fileURLToPath(import.meta.url));
    mkdirSync(join(here, 'results'), { recursive: true });
    writeFileSync(
      join(here, 'results', 'streams.json'),
      `${JSON.stringify({ meta, result, rows }, null, 2)}\n`,
    );
    const md = [
      '# Event-stream bench (`npm run bench:streams`)',
      '',
      `${meta.date} · Node ${meta.node} · ${meta.cpuCount} CPUs (${meta.cpuModel}) · load average ${meta.loadavgBefore.join(' / ')} before, ${meta.loadavgAfter.join(' / ')} after · commit ${meta.commit} · ${pinned ? 'stack on CPU 0, load generator on CPU 1' : 'not pinned'} · ${result.rounds} interleaved rounds · ${meta.durationSeconds} s`,
      '',
      streamRowsTable(rows),
      '',
      streamTable(result),
      '',
    ].join('\n');
    writeFileSync(join(here, 'results', 'streams.md'), md);
    process.stdout.write(`\n${md}\n`);
    const failed = result.lost + result.duplicates + result.outOfOrder;
    if (failed) {
      log(`FAILED: ${result.lost} lost, ${result.duplicates} duplicated, ${result.outOfOrder} out of order`);
    }
    return failed ? 1 : 0;
  } finally {
    await loadgen.close();
    await t.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

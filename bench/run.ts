/**
 * `npm run bench`: side-by-side ratios measured in one run with interleaved rounds (never in CI).
 *
 * The whole platform (PGlite, the three subgraphs, our gateway with the REST bridge) and two Hive
 * Gateway instances run in this process; every client socket lives in a child process
 * (bench/loadgen.ts). With two or more cores, this process is pinned to CPU 0 and the load
 * generator to CPU 1, as in the anchor runs of the performance research. Absolute numbers drift
 * on a noisy machine: read the ratios, each the median of per-round ratios. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSupergraph } from '../gateway/create-gateway.js';
import { type Account, bootStack, type TestStack } from '../test/kit/stack.js';
import { type RunningHive, startHive } from './hive.js';
import { type Loadgen, startLoadgen } from './loadgen-client.js';
import type { FanoutLeg, FanoutResult, HttpLoadResult, HttpTarget } from './protocol.js';
import { median, round } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw ? Number.parseInt(raw, 10) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

const settings = {
  rounds: intEnv('BENCH_ROUNDS', 5),
  legMs: intEnv('BENCH_LEG_MS', 2000),
  warmupMs: intEnv('BENCH_WARMUP_MS', 1000),
  concurrency: intEnv('BENCH_CONCURRENCY', 16),
  maxRequestsPerLeg: 50_000,
  conversations: 20,
  fanout: {
    subscribers: intEnv('BENCH_SUBSCRIBERS', 100),
    rounds: 3,
    eventsPerRound: 10,
    gapMs: 25,
    eventTimeoutMs: 5000,
  },
  /** The whole bench is killed past this (it normally takes about 2 minutes). */
  watchdogMs: 240_000,
};

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------- operations

const Q_SIMPLE = 'query BenchList { conversations(limit: 20) { items { id displayName } } }';
const Q_FEDERATED = 'query BenchFederated { conversations(limit: 20) { items { id user { email } } } }';
/** The operation the REST bridge builds for `GET /api/v1/conversations` (every scalar, no `user`). */
const Q_REST_EQUIVALENT = `query BenchRestEquivalent($limit: Int) {
  conversations(limit: $limit) {
    items { id displayName agentEntrypoint activeAgent topicHint status messageCount lastMessagePreview createdAt updatedAt }
    nextCursor
  }
}`;

interface Leg {
  key: string;
  label: string;
  target: HttpTarget;
}

function gqlTarget(
  url: string,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
): HttpTarget {
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(variables ? { query, variables } : { query }),
    kind: 'graphql',
  };
}

// ---------------------------------------------------------------- helpers

/** Pins a process (all its threads) to one CPU with taskset; false when not possible. */
function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function call(target: HttpTarget): Promise<{ status: number; body: unknown }> {
  const res = await fetch(target.url, {
    method: target.method,
    headers: target.headers,
    ...(target.body !== undefined ? { body: target.body } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body };
}

/** JSON with sorted keys, to compare responses from different servers. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

function fail(message: string): never {
  throw new Error(`verification failed: ${message}`);
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** REST (snake_case, `conversation_id`) back to the GraphQL shape. */
function restToGraphQL(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(restToGraphQL);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k === 'conversation_id' ? 'id' : camel(k),
        restToGraphQL(v),
      ]),
    );
  }
  return value;
}

async function createConversations(t: TestStack, account: Account, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const displayName of names) {
    const res = await t.gql<{ createConversation: { id: string } }>(
      'mutation BenchCreate($input: CreateConversationInput!) { createConversation(input: $input) { id } }',
      { input: { displayName } },
      account.accessToken,
    );
    if (res.errors || !res.data) {
      fail(`createConversation: ${JSON.stringify(res.errors)}`);
    }
    ids.push(res.data.createConversation.id);
  }
  return ids;
}

// ---------------------------------------------------------------- verification

async function verify(legs: Record<string, Leg>, owner: Account): Promise<Record<string, string>> {
  const data: Record<string, unknown> = {};
  for (const [key, leg] of Object.entries(legs)) {
    const res = await call(leg.target);
    const body = res.body as { data?: unknown; errors?: unknown };
    if (res.status !== 200 || (leg.target.kind === 'graphql' && (body.errors || !body.data))) {
      fail(`${leg.label}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    }
    data[key] = leg.target.kind === 'graphql' ? body.data : res.body;
  }
  const same = (a: string, b: string) => {
    if (canonical(data[a]) !== canonical(data[b])) {
      fail(`${legs[a]?.label} and ${legs[b]?.label} returned different data`);
    }
  };
  const items = (key: string) =>
    (data[key] as { conversations: { items: Record<string, unknown>[] } }).conversations.items;
  if (items('sub.simple').length !== settings.conversations) {
    fail(`expected ${settings.conversations} conversations, got ${items('sub.simple').length}`);
  }
  same('sub.simple', 'apollo.simple');
  same('apollo.simple', 'hive.simple');
  same('apollo.simple', 'hiveNoDedup.simple');
  same('apollo.fed', 'hive.fed');
  same('apollo.fed', 'hiveNoDedup.fed');
  if (!items('apollo.fed').every((i) => (i.user as { email?: string })?.email === owner.email)) {
    fail('federated query: user.email is not the owner’s email on every item');
  }
  const rest = restToGraphQL(data['rest.list']);
  const gql = (data['apollo.restEquivalent'] as { conversations: unknown }).conversations;
  if (canonical(rest) !== canonical(gql)) {
    fail('REST GET /api/v1/conversations and the equivalent GraphQL query returned different data');
  }
  return {
    'subgraph direct = our gateway = Hive (both variants), single-subgraph query': 'identical data',
    'our gateway = Hive (both variants), federated query': `identical data, ${settings.conversations} items with user.email`,
    'REST list = equivalent GraphQL query (after snake_case → camelCase)': 'identical data',
  };
}

// ---------------------------------------------------------------- measurement

interface LegRound extends HttpLoadResult {
  /** CPU time of this process (the whole system under test) during the leg. */
  sutCpuMs: number;
  sutCpuMsPerRequest: number;
  /** Cores used by the system under test on average (1.0 = one full core). */
  sutCores: number;
}

async function measure(loadgen: Loadgen, leg: Leg, durationMs: number): Promise<LegRound> {
  const cpu0 = process.cpuUsage();
  const r = await loadgen.http({
    target: leg.target,
    concurrency: settings.concurrency,
    durationMs,
    maxRequests: settings.maxRequestsPerLeg,
  });
  const cpu = process.cpuUsage(cpu0);
  const sutCpuMs = (cpu.user + cpu.system) / 1000;
  return {
    ...r,
    sutCpuMs,
    sutCpuMsPerRequest: sutCpuMs / Math.max(1, r.ok + r.errors),
    sutCores: sutCpuMs / r.elapsedMs,
  };
}

interface Row {
  id: string;
  scenario: string;
  a: string;
  b: string;
  aMedian: number;
  bMedian: number;
  /** Median of the per-round ratios a/b. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  perRoundRatios: number[];
  unit: string;
  anchor?: string;
}

function row(
  spec: Pick<Row, 'id' | 'scenario' | 'a' | 'b' | 'unit'> & { anchor?: string },
  aValues: number[],
  bValues: number[],
): Row {
  const ratios = aValues.map((a, i) => a / (bValues[i] as number));
  return {
    ...spec,
    aMedian: median(aValues),
    bMedian: median(bValues),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    perRoundRatios: ratios.map(round),
  };
}

// ---------------------------------------------------------------- report

function fmt(n: number): string {
  return Number.isFinite(n) ? String(round(n)) : 'n/a';
}

function markdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const started = Date.now();
  process.env.NODE_ENV = process.env.NODE_ENV || 'production';
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${settings.watchdogMs / 1000}s, giving up`);
    process.exit(2);
  }, settings.watchdogMs);
  watchdog.unref();

  const loadBefore = loadavg();
  const loadgen = startLoadgen();
  const canPin = availableParallelism() >= 2 && process.env.BENCH_PIN !== '0';
  const pinned = canPin && pin(process.pid, 0) && pin(loadgen.pid, 1);
  log(
    `system under test pid ${process.pid}${pinned ? ' on CPU 0' : ''}, load generator pid ${loadgen.pid}${pinned ? ' on CPU 1' : ''}`,
  );

  const t = await bootStack({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DATA_DIR: 'memory://' });
  const hives: RunningHive[] = [];
  try {
    const subgraphUrls = Object.fromEntries(t.stack.subgraphs.map((s) => [s.name, s.url]));
    const conversationsUrl = subgraphUrls.conversations;
    if (!conversationsUrl) {
      fail('no conversations subgraph');
    }
    const owner = await t.register();
    await createConversations(
      t,
      owner,
      Array.from(
        { length: settings.conversations },
        (_, i) => `Conversation ${String(i + 1).padStart(2, '0')}`,
      ),
    );
    // The fan-out runs in another tenant, so renames never touch the listed conversations.
    const publisher = await t.register();
    const [singleId, fanoutId] = await createConversations(t, publisher, ['Fan-out 1', 'Fan-out N']);

    const supergraphSdl = readSupergraph();
    const hive = await startHive({ supergraphSdl, subgraphUrls, deduplicateInflightRequests: true });
    hives.push(hive);
    const hiveNoDedup = await startHive({ supergraphSdl, subgraphUrls, deduplicateInflightRequests: false });
    hives.push(hiveNoDedup);

    const token = owner.accessToken;
    const gw = `${t.url}/graphql`;
    const legs: Record<string, Leg> = {
      'sub.simple': {
        key: 'sub.simple',
        label: 'conversations subgraph direct, single-subgraph query',
        target: gqlTarget(conversationsUrl, token, Q_SIMPLE),
      },
      'apollo.simple': {
        key: 'apollo.simple',
        label: 'our gateway, single-subgraph query',
        target: gqlTarget(gw, token, Q_SIMPLE),
      },
      'apollo.fed': {
        key: 'apollo.fed',
        label: 'our gateway, federated query',
        target: gqlTarget(gw, token, Q_FEDERATED),
      },
      'hive.simple': {
        key: 'hive.simple',
        label: 'Hive Gateway (defaults), single-subgraph query',
        target: gqlTarget(`${hive.url}/graphql`, token, Q_SIMPLE),
      },
      'hive.fed': {
        key: 'hive.fed',
        label: 'Hive Gateway (defaults), federated query',
        target: gqlTarget(`${hive.url}/graphql`, token, Q_FEDERATED),
      },
      'hiveNoDedup.simple': {
        key: 'hiveNoDedup.simple',
        label: 'Hive Gateway (in-flight dedup off), single-subgraph query',
        target: gqlTarget(`${hiveNoDedup.url}/graphql`, token, Q_SIMPLE),
      },
      'hiveNoDedup.fed': {
        key: 'hiveNoDedup.fed',
        label: 'Hive Gateway (in-flight dedup off), federated query',
        target: gqlTarget(`${hiveNoDedup.url}/graphql`, token, Q_FEDERATED),
      },
      'rest.list': {
        key: 'rest.list',
        label: 'REST GET /api/v1/conversations?limit=20 (gateway)',
        target: {
          url: `${t.url}/api/v1/conversations?limit=20`,
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
          kind: 'rest',
        },
      },
      'apollo.restEquivalent': {
        key: 'apollo.restEquivalent',
        label: 'our gateway, GraphQL POST of the REST list operation',
        target: gqlTarget(gw, token, Q_REST_EQUIVALENT, { limit: 20 }),
      },
    };

    const checks = await verify(legs, owner);
    log('responses verified identical across targets');

    const order = Object.values(legs);
    for (const leg of order) {
      const w = await measure(loadgen, leg, settings.warmupMs);
      if (w.errors) {
        fail(`warm-up of ${leg.label}: ${w.errors} errors, first: ${w.firstError}`);
      }
    }
    log(
      `warmed up ${order.length} targets; ${settings.rounds} rounds × ${order.length} legs × ${settings.legMs} ms`,
    );

    const results: Record<string, LegRound[]> = Object.fromEntries(order.map((l) => [l.key, []]));
    const roundOrders: string[][] = [];
    for (let r = 0; r < settings.rounds; r++) {
      // A B C … then … C B A: alternating direction cancels linear drift between legs.
      const legsOfRound = r % 2 === 0 ? order : [...order].reverse();
      roundOrders.push(legsOfRound.map((l) => l.key));
      for (const leg of legsOfRound) {
        results[leg.key]?.push(await measure(loadgen, leg, settings.legMs));
      }
      const line = order.map((l) => `${l.key} ${Math.round(results[l.key]?.[r]?.rps ?? 0)}`).join(', ');
      log(`round ${r + 1}/${settings.rounds} req/s: ${line}`);
    }

    log(
      `fan-out: ${settings.fanout.subscribers} vs 1 graphql-ws subscribers, ${settings.fanout.rounds} rounds × ${settings.fanout.eventsPerRound} events each`,
    );
    const fanoutNames = { one: '1 subscriber', many: `${settings.fanout.subscribers} subscribers` };
    const fanout: FanoutResult = await loadgen.fanout({
      wsUrl: `${t.url.replace(/^http/, 'ws')}/graphql`,
      graphqlUrl: gw,
      authorization: `Bearer ${publisher.accessToken}`,
      targets: [
        { name: fanoutNames.one, conversationId: singleId as string, subscribers: 1 },
        {
          name: fanoutNames.many,
          conversationId: fanoutId as string,
          subscribers: settings.fanout.subscribers,
        },
      ],
      rounds: settings.fanout.rounds,
      eventsPerRound: settings.fanout.eventsPerRound,
      gapMs: settings.fanout.gapMs,
      eventTimeoutMs: settings.fanout.eventTimeoutMs,
    });

    // ------------------------------------------------------------ rows
    const rps = (key: string) => (results[key] ?? []).map((x) => x.rps);
    const p95 = (key: string) => (results[key] ?? []).map((x) => x.latencyMs.p95);
    const cpuPerReq = (key: string) => (results[key] ?? []).map((x) => x.sutCpuMsPerRequest);
    const fan = (name: string, pick: (leg: FanoutLeg) => number) =>
      fanout.rounds.map((r) => pick(r[name] as FanoutLeg));
    const rows: Row[] = [
      row(
        {
          id: 'G1',
          scenario: 'Gateway ÷ subgraph direct (`conversations(limit: 20) { items { id displayName } }`)',
          a: 'apollo.simple',
          b: 'sub.simple',
          unit: 'req/s',
          anchor: '0.10 (@apollo/gateway defaults ÷ subgraph, 1 fetch)',
        },
        rps('apollo.simple'),
        rps('sub.simple'),
      ),
      row(
        {
          id: 'G1-cpu',
          scenario: 'Gateway ÷ subgraph direct, CPU ms per request of the whole stack process',
          a: 'apollo.simple',
          b: 'sub.simple',
          unit: 'CPU ms/req',
        },
        cpuPerReq('apollo.simple'),
        cpuPerReq('sub.simple'),
      ),
      row(
        {
          id: 'G2',
          scenario: 'Gateway federated (`items { id user { email } }`, 2 fetches) ÷ gateway single-subgraph',
          a: 'apollo.fed',
          b: 'apollo.simple',
          unit: 'req/s',
          anchor: '0.5–0.6 (§1.6 2-fetch ÷ 1-fetch)',
        },
        rps('apollo.fed'),
        rps('apollo.simple'),
      ),
      row(
        {
          id: 'H1',
          scenario: 'Hive Gateway (defaults) ÷ our gateway, single-subgraph query',
          a: 'hive.simple',
          b: 'apollo.simple',
          unit: 'req/s',
          anchor: '2.06 (Hive ÷ @apollo/gateway, defaults, Q1)',
        },
        rps('hive.simple'),
        rps('apollo.simple'),
      ),
      row(
        {
          id: 'H2',
          scenario: 'Hive Gateway (defaults) ÷ our gateway, federated query',
          a: 'hive.fed',
          b: 'apollo.fed',
          unit: 'req/s',
          anchor: '1.81 (Q2)',
        },
        rps('hive.fed'),
        rps('apollo.fed'),
      ),
      row(
        {
          id: 'H3',
          scenario: 'Hive Gateway (in-flight dedup off) ÷ our gateway, single-subgraph query',
          a: 'hiveNoDedup.simple',
          b: 'apollo.simple',
          unit: 'req/s',
          anchor: '0.81 (Q1, merging off)',
        },
        rps('hiveNoDedup.simple'),
        rps('apollo.simple'),
      ),
      row(
        {
          id: 'H4',
          scenario: 'Hive Gateway (in-flight dedup off) ÷ our gateway, federated query',
          a: 'hiveNoDedup.fed',
          b: 'apollo.fed',
          unit: 'req/s',
          anchor: '0.71 (Q2, merging off)',
        },
        rps('hiveNoDedup.fed'),
        rps('apollo.fed'),
      ),
      row(
        {
          id: 'H5',
          scenario: 'Hive Gateway (defaults) ÷ subgraph direct, single-subgraph query',
          a: 'hive.simple',
          b: 'sub.simple',
          unit: 'req/s',
          anchor: '0.22',
        },
        rps('hive.simple'),
        rps('sub.simple'),
      ),
      row(
        {
          id: 'R1',
          scenario:
            'REST `GET /api/v1/conversations?limit=20` ÷ the same operation as GraphQL POST (gateway)',
          a: 'rest.list',
          b: 'apollo.restEquivalent',
          unit: 'req/s',
          anchor: 'target ≥ 0.8 (§7.2 R1)',
        },
        rps('rest.list'),
        rps('apollo.restEquivalent'),
      ),
      row(
        {
          id: 'R1-p95',
          scenario: 'REST ÷ GraphQL, p95 latency',
          a: 'rest.list',
          b: 'apollo.restEquivalent',
          unit: 'ms (p95)',
          anchor: 'target ≤ 1.25',
        },
        p95('rest.list'),
        p95('apollo.restEquivalent'),
      ),
      row(
        {
          id: 'S1-p50',
          scenario: `Subscription event latency, mutation → client: ${fanoutNames.many} ÷ 1 subscriber, p50 over all deliveries`,
          a: fanoutNames.many,
          b: fanoutNames.one,
          unit: 'ms (p50)',
        },
        fan(fanoutNames.many, (l) => l.deliveries.p50),
        fan(fanoutNames.one, (l) => l.deliveries.p50),
      ),
      row(
        {
          id: 'S1-p95',
          scenario: 'Subscription event latency, p95 over all deliveries',
          a: fanoutNames.many,
          b: fanoutNames.one,
          unit: 'ms (p95)',
        },
        fan(fanoutNames.many, (l) => l.deliveries.p95),
        fan(fanoutNames.one, (l) => l.deliveries.p95),
      ),
      row(
        {
          id: 'S1-max',
          scenario: 'Subscription event latency, max (slowest delivery)',
          a: fanoutNames.many,
          b: fanoutNames.one,
          unit: 'ms (max)',
        },
        fan(fanoutNames.many, (l) => l.deliveries.max),
        fan(fanoutNames.one, (l) => l.deliveries.max),
      ),
    ];

    const httpErrors = Object.values(results)
      .flat()
      .reduce((n, r) => n + r.errors, 0);
    const lost = fanout.rounds.flatMap((r) => Object.values(r)).reduce((n, l) => n + l.lost, 0);
    const duplicates = fanout.rounds.flatMap((r) => Object.values(r)).reduce((n, l) => n + l.duplicates, 0);

    // ------------------------------------------------------------ output
    const label = (key: string) => legs[key]?.label ?? key;
    const mainTable = markdownTable(
      [
        'id',
        'scenario',
        'A',
        'B',
        'A (median)',
        'B (median)',
        'ratio A÷B (median of rounds)',
        'min–max',
        'unit',
      ],
      rows.map((r) => [
        r.id,
        r.scenario,
        label(r.a),
        label(r.b),
        fmt(r.aMedian),
        fmt(r.bMedian),
        `**${fmt(r.ratio)}**`,
        `${fmt(r.ratioMin)}–${fmt(r.ratioMax)}`,
        r.unit,
      ]),
    );
    const legTable = markdownTable(
      [
        'leg',
        'req/s median (min–max)',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'stack CPU ms/req',
        'stack cores',
        'bytes/resp',
        'errors',
      ],
      order.map((l) => {
        const rs = results[l.key] ?? [];
        const m = (pick: (x: LegRound) => number) => fmt(median(rs.map(pick)));
        return [
          l.label,
          `${m((x) => x.rps)} (${fmt(Math.min(...rs.map((x) => x.rps)))}–${fmt(Math.max(...rs.map((x) => x.rps)))})`,
          m((x) => x.latencyMs.p50),
          m((x) => x.latencyMs.p95),
          m((x) => x.latencyMs.p99),
          m((x) => x.sutCpuMsPerRequest),
          m((x) => x.sutCores),
          m((x) => x.bytesPerResponse),
          String(rs.reduce((n, x) => n + x.errors, 0)),
        ];
      }),
    );
    const fanTable = markdownTable(
      [
        'subscribers',
        'round',
        'deliveries',
        'p50 ms',
        'p95 ms',
        'max ms',
        'slowest-per-event p50 ms',
        'lost',
        'dup',
      ],
      fanout.rounds.flatMap((r, i) =>
        Object.entries(r).map(([name, l]) => [
          name,
          String(i + 1),
          String(l.deliveries.count),
          fmt(l.deliveries.p50),
          fmt(l.deliveries.p95),
          fmt(l.deliveries.max),
          fmt(l.lastDelivery.p50),
          String(l.lost),
          String(l.duplicates),
        ]),
      ),
    );

    const loadAfter = loadavg();
    const commit = (() => {
      try {
        return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      } catch {
        return 'unknown';
      }
    })();
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpuCount: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgBefore: loadBefore.map(round),
      loadavgAfter: loadAfter.map(round),
      commit,
      pinned,
      durationSeconds: round((Date.now() - started) / 1000),
    };
    const md = [
      '# Bench results (`npm run bench`)',
      '',
      `${meta.date} · Node ${meta.node} · ${meta.cpuCount} CPUs (${meta.cpuModel}) · load average ${meta.loadavgBefore.join(' / ')} before, ${meta.loadavgAfter.join(' / ')} after · commit ${commit}`,
      '',
      `${settings.rounds} interleaved rounds (order alternates A→Z, Z→A) × ${settings.legMs} ms per leg after ${settings.warmupMs} ms warm-up, concurrency ${settings.concurrency} (keep-alive fetch), loopback. ` +
        `Stack process ${pinned ? 'pinned to CPU 0, load generator to CPU 1' : 'not pinned'}. Whole bench: ${meta.durationSeconds} s.`,
      '',
      'Ratios are medians of per-round ratios A÷B; for req/s higher is better for A, for ms and CPU ms/req lower is better for A.',
      '',
      mainTable,
      '',
      '## Legs',
      '',
      '"stack CPU" is the CPU time of the one process holding PGlite, the three subgraphs and all gateways during the leg (1.0 cores = saturated when pinned).',
      '',
      legTable,
      '',
      '## Subscription fan-out',
      '',
      `graphql-ws clients (one socket each) subscribed through the gateway to \`conversationEvents\` of two conversations (1 and ${settings.fanout.subscribers} subscribers); ` +
        `events alternate between them, the next one sent once every subscriber has the previous one (plus ${settings.fanout.gapMs} ms). ` +
        'Latency = `renameConversation` sent → event parsed by the client, same clock. ' +
        `Set-up (connect + subscribe + warm-up events): ${fmt(fanout.setupMs)} ms.`,
      '',
      fanTable,
      '',
      '## Checks',
      '',
      ...Object.entries(checks).map(([k, v]) => `* ${k}: ${v}`),
      `* HTTP errors during measured legs: ${httpErrors}; subscription deliveries lost: ${lost}, duplicated: ${duplicates}`,
      '',
    ].join('\n');
    const json = {
      ...meta,
      settings,
      checks,
      rows: rows.map((r) => ({
        ...r,
        aLabel: label(r.a),
        bLabel: label(r.b),
        aMedian: round(r.aMedian),
        bMedian: round(r.bMedian),
        ratio: round(r.ratio),
        ratioMin: round(r.ratioMin),
        ratioMax: round(r.ratioMax),
      })),
      roundOrders,
      legs: Object.fromEntries(
        order.map((l) => [
          l.key,
          {
            label: l.label,
            rounds: (results[l.key] ?? []).map((x) => ({
              rps: round(x.rps),
              ok: x.ok,
              errors: x.errors,
              ...(x.firstError ? { firstError: x.firstError } : {}),
              elapsedMs: round(x.elapsedMs),
              latencyMs: Object.fromEntries(Object.entries(x.latencyMs).map(([k, v]) => [k, round(v)])),
              bytesPerResponse: round(x.bytesPerResponse),
              sutCpuMsPerRequest: round(x.sutCpuMsPerRequest),
              sutCores: round(x.sutCores),
            })),
          },
        ]),
      ),
      fanout,
      errors: { http: httpErrors, lostDeliveries: lost, duplicateDeliveries: duplicates },
    };
    const outDir = join(here, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(outDir, 'latest.md'), md);

    process.stdout.write(`\n${mainTable}\n\n`);
    log(`wrote bench/results/latest.md and latest.json (${meta.durationSeconds} s)`);
    if (httpErrors || lost || duplicates) {
      log(`FAILED: ${httpErrors} HTTP errors, ${lost} lost and ${duplicates} duplicated deliveries`);
      return 1;
    }
    return 0;
  } finally {
    await loadgen.close();
    await Promise.all(hives.map((h) => h.close().catch(() => undefined)));
    await t.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

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
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningGateway, readSupergraph, startGateway } from '../gateway/create-gateway.js';
import { enumValueName } from '../subgraphs/kernel/builder.js';
import { type Account, bootStack, type TestStack } from '../test/kit/stack.js';
import { type RunningHive, startHive } from './hive.js';
import { type Loadgen, startLoadgen } from './loadgen-client.js';
import type { FanoutLeg, FanoutResult, HttpTarget } from './protocol.js';
import {
  type LegReport,
  type LegRound,
  type Report,
  type RowSpec,
  ratioRow,
  ratioTable,
  renderJson,
  renderMarkdown,
} from './report.js';
import { round } from './stats.js';
import { runStreamBench } from './streams.js';

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
  /** Entries in the benched tenant's activity feed (all unread: the unread count reads them all). */
  activityEntries: intEnv('BENCH_ACTIVITY_ENTRIES', 5000),
  fanout: {
    subscribers: intEnv('BENCH_SUBSCRIBERS', 100),
    rounds: 3,
    eventsPerRound: 20,
    gapMs: 25,
    eventTimeoutMs: 5000,
    budgetMs: 45_000,
  },
  /** The whole bench is killed past this (it normally takes about 3 minutes). */
  watchdogMs: 600_000,
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

/** REST (snake_case, `conversation_id`, legacy enum strings) back to the GraphQL shape. */
function restToGraphQL(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(restToGraphQL);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k === 'conversation_id' ? 'id' : camel(k),
        // A closed set: REST carries the legacy string (`active`), GraphQL the enum name (`ACTIVE`).
        k === 'status' && typeof v === 'string' ? enumValueName(v) : restToGraphQL(v),
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

/** Fills the tenant's activity feed with `count` entries (as `recordActivity` writes them, in bulk). */
async function seedActivity(t: TestStack, tenantId: string, count: number) {
  const start = Date.now() - count * 1000;
  await t.stack.kernel.database.prisma.activityEvent.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      tenantId,
      action: 'conversation.run.completed',
      actorType: 'system',
      objectType: 'conversation',
      objectId: randomUUID(),
      status: 'success',
      source: 'system',
      metadata: { n: i },
      createdAt: new Date(start + i * 1000),
    })),
  });
}

// ---------------------------------------------------------------- verification

async function verify(legs: Record<string, Leg>, owner: Account): Promise<string[]> {
  const data: Record<string, unknown> = {};
  for (const [key, leg] of Object.entries(legs)) {
    if (key.endsWith('.users')) {
      continue;
    }
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
  same('apollo.simple', 'apolloHttp.simple');
  same('apollo.fed', 'apolloHttp.fed');
  // Per-user legs: every target answers each user with that user's own conversations.
  const perUserKeys = Object.keys(legs).filter((k) => k.endsWith('.users'));
  for (const key of perUserKeys) {
    const leg = legs[key] as Leg;
    const seen = new Set<string>();
    for (const authorization of (leg.target.authorizations ?? []).slice(0, 2)) {
      const res = await call({ ...leg.target, headers: { ...leg.target.headers, authorization } });
      const body = res.body as { data?: { conversations: { items: unknown[] } }; errors?: unknown };
      if (
        res.status !== 200 ||
        body.errors ||
        body.data?.conversations.items.length !== settings.conversations
      ) {
        fail(`${leg.label}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
      }
      seen.add(canonical(body.data));
    }
    if (seen.size !== 2) {
      fail(`${leg.label}: two users got the same data`);
    }
  }
  if (!items('apollo.fed').every((i) => (i.user as { email?: string })?.email === owner.email)) {
    fail('federated query: user.email is not the owner’s email on every item');
  }
  const rest = restToGraphQL(data['rest.list']);
  const gql = (data['apollo.restEquivalent'] as { conversations: unknown }).conversations;
  if (canonical(rest) !== canonical(gql)) {
    fail('REST GET /api/v1/conversations and the equivalent GraphQL query returned different data');
  }
  return [
    'subgraph direct, our gateway and both Hive Gateways return identical data for the single-subgraph query',
    `our gateway and both Hive Gateways return identical data for the federated query (${settings.conversations} items, user.email of the owner on each)`,
    'REST list and the equivalent GraphQL query return identical data (after snake_case → camelCase, conversation_id → id)',
    'our gateway in-process and over HTTP return identical data for both queries',
    `per-user legs: every target answers each of two users with that user's own ${settings.conversations} conversations`,
  ];
}

// ---------------------------------------------------------------- measurement

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
    sutCpuMsPerRequest: sutCpuMs / Math.max(1, r.completed),
    sutCores: sutCpuMs / r.elapsedMs,
  };
}

type Metric = (x: LegRound) => number;
const rps: Metric = (x) => x.rps;
const p95: Metric = (x) => x.latencyMs.p95;
const cpuPerRequest: Metric = (x) => x.sutCpuMsPerRequest;

/** The HTTP ratios: A and B are leg keys. */
const httpRows: (RowSpec & { metric: Metric })[] = [
  {
    id: 'G1',
    scenario: 'Gateway ÷ subgraph direct, `conversations(limit: 20) { items { id displayName } }`',
    a: 'apollo.simple',
    b: 'sub.simple',
    unit: 'req/s',
    metric: rps,
    anchor: '0.10 (@apollo/gateway defaults ÷ trivial subgraph, 1 fetch)',
  },
  {
    id: 'G2',
    scenario: 'Gateway, federated `items { id user { email } }` (2 fetches) ÷ single-subgraph query',
    a: 'apollo.fed',
    b: 'apollo.simple',
    unit: 'req/s',
    metric: rps,
    anchor: '0.5–0.6 (2-fetch ÷ 1-fetch, §1.6)',
  },
  {
    id: 'U1',
    scenario:
      'Our gateway in-process (embedded layout) ÷ Hive Gateway (defaults), per-user traffic, single-subgraph query',
    a: 'apollo.simple.users',
    b: 'hive.simple.users',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal ≥ 1.5 (issue 12)',
  },
  {
    id: 'U2',
    scenario:
      'Our gateway in-process (embedded layout) ÷ Hive Gateway (defaults), per-user traffic, federated query',
    a: 'apollo.fed.users',
    b: 'hive.fed.users',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal ≥ 1.5 (issue 12)',
  },
  {
    id: 'U3',
    scenario:
      'Our gateway in-process (embedded layout) ÷ Hive Gateway (merging off), per-user traffic, single-subgraph query',
    a: 'apollo.simple.users',
    b: 'hiveNoDedup.simple.users',
    unit: 'req/s',
    metric: rps,
    anchor: '',
  },
  {
    id: 'U4',
    scenario:
      'Our gateway in-process (embedded layout) ÷ Hive Gateway (merging off), per-user traffic, federated query',
    a: 'apollo.fed.users',
    b: 'hiveNoDedup.fed.users',
    unit: 'req/s',
    metric: rps,
    anchor: '',
  },
  {
    id: 'I1',
    scenario:
      'Our gateway in-process (embedded layout) ÷ Hive Gateway (defaults), identical traffic, single-subgraph query',
    a: 'apollo.simple',
    b: 'hive.simple',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal > 1 (issue 12)',
  },
  {
    id: 'I2',
    scenario:
      'Our gateway in-process (embedded layout) ÷ Hive Gateway (defaults), identical traffic, federated query',
    a: 'apollo.fed',
    b: 'hive.fed',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal > 1 (issue 12)',
  },
  {
    id: 'UH1',
    scenario:
      'Our gateway over HTTP (separate-process layout) ÷ Hive Gateway (defaults), per-user traffic, single-subgraph query',
    a: 'apolloHttp.simple.users',
    b: 'hive.simple.users',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal ≥ 1.5 (issue 12)',
  },
  {
    id: 'UH2',
    scenario:
      'Our gateway over HTTP (separate-process layout) ÷ Hive Gateway (defaults), per-user traffic, federated query',
    a: 'apolloHttp.fed.users',
    b: 'hive.fed.users',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal ≥ 1.5 (issue 12)',
  },
  {
    id: 'UH3',
    scenario:
      'Our gateway over HTTP (separate-process layout) ÷ Hive Gateway (merging off), per-user traffic, single-subgraph query',
    a: 'apolloHttp.simple.users',
    b: 'hiveNoDedup.simple.users',
    unit: 'req/s',
    metric: rps,
    anchor: '',
  },
  {
    id: 'UH4',
    scenario:
      'Our gateway over HTTP (separate-process layout) ÷ Hive Gateway (merging off), per-user traffic, federated query',
    a: 'apolloHttp.fed.users',
    b: 'hiveNoDedup.fed.users',
    unit: 'req/s',
    metric: rps,
    anchor: '',
  },
  {
    id: 'IH1',
    scenario:
      'Our gateway over HTTP (separate-process layout) ÷ Hive Gateway (defaults), identical traffic, single-subgraph query',
    a: 'apolloHttp.simple',
    b: 'hive.simple',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal > 1 (issue 12)',
  },
  {
    id: 'IH2',
    scenario:
      'Our gateway over HTTP (separate-process layout) ÷ Hive Gateway (defaults), identical traffic, federated query',
    a: 'apolloHttp.fed',
    b: 'hive.fed',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal > 1 (issue 12)',
  },
  {
    id: 'G1u',
    scenario: 'Gateway in-process ÷ subgraph direct, per-user traffic, single-subgraph query',
    a: 'apollo.simple.users',
    b: 'sub.simple.users',
    unit: 'req/s',
    metric: rps,
    anchor: '',
  },
  {
    id: 'L1',
    scenario: 'Our gateway in-process ÷ over HTTP, per-user traffic, single-subgraph query',
    a: 'apollo.simple.users',
    b: 'apolloHttp.simple.users',
    unit: 'req/s',
    metric: rps,
    anchor: '≈ 1.8 expected (issue 12)',
  },
  {
    id: 'L2',
    scenario: 'Our gateway in-process ÷ over HTTP, per-user traffic, federated query',
    a: 'apollo.fed.users',
    b: 'apolloHttp.fed.users',
    unit: 'req/s',
    metric: rps,
    anchor: '',
  },
  {
    id: 'H1',
    scenario: 'Hive Gateway (defaults) ÷ our gateway, single-subgraph query',
    a: 'hive.simple',
    b: 'apollo.simple',
    unit: 'req/s',
    metric: rps,
    anchor: '2.06 (Q1)',
  },
  {
    id: 'H2',
    scenario: 'Hive Gateway (defaults) ÷ our gateway, federated query',
    a: 'hive.fed',
    b: 'apollo.fed',
    unit: 'req/s',
    metric: rps,
    anchor: '1.81 (Q2)',
  },
  {
    id: 'H3',
    scenario: 'Hive Gateway (in-flight dedup off) ÷ our gateway, single-subgraph query',
    a: 'hiveNoDedup.simple',
    b: 'apollo.simple',
    unit: 'req/s',
    metric: rps,
    anchor: '0.81 (Q1, merging off)',
  },
  {
    id: 'H4',
    scenario: 'Hive Gateway (in-flight dedup off) ÷ our gateway, federated query',
    a: 'hiveNoDedup.fed',
    b: 'apollo.fed',
    unit: 'req/s',
    metric: rps,
    anchor: '0.71 (Q2, merging off)',
  },
  {
    id: 'H5',
    scenario: 'Hive Gateway (defaults) ÷ subgraph direct, single-subgraph query',
    a: 'hive.simple',
    b: 'sub.simple',
    unit: 'req/s',
    metric: rps,
    anchor: '0.22',
  },
  {
    id: 'R1',
    scenario:
      'REST `GET /api/v1/conversations?limit=20` ÷ the same operation as GraphQL POST, both via the gateway',
    a: 'rest.list',
    b: 'apollo.restEquivalent',
    unit: 'req/s',
    metric: rps,
    anchor: 'goal ≥ 0.95 (issue 12)',
  },
  {
    id: 'R1-p95',
    scenario: 'REST ÷ GraphQL (same operation, via the gateway), p95 latency',
    a: 'rest.list',
    b: 'apollo.restEquivalent',
    unit: 'ms (p95)',
    metric: p95,
    anchor: 'target ≤ 1.25',
  },
  {
    id: 'A1',
    scenario:
      'REST `GET /api/v1/activity?limit=20` (a page, its read state and the unread count of a feed of BENCH_ACTIVITY_ENTRIES) ÷ REST `GET /api/v1/conversations?limit=20`',
    a: 'rest.activity',
    b: 'rest.list',
    unit: 'req/s',
    metric: rps,
    anchor: 'new (activity feed)',
  },
];

/** The fan-out ratios: A is the many-subscriber group, B the single subscriber. */
function fanoutRows(many: string, one: string): (RowSpec & { pick: (l: FanoutLeg) => number })[] {
  return [
    {
      id: 'S1-p50',
      scenario: `Subscription event latency (mutation sent → client), ${many} ÷ 1 subscriber, p50 of deliveries`,
      a: many,
      b: one,
      unit: 'ms (p50)',
      pick: (l) => l.deliveries.p50,
    },
    {
      id: 'S1-p95',
      scenario: `Subscription event latency, ${many} ÷ 1 subscriber, p95 of deliveries`,
      a: many,
      b: one,
      unit: 'ms (p95)',
      pick: (l) => l.deliveries.p95,
    },
    {
      id: 'S1-last',
      scenario: `Subscription event latency until the last subscriber has it, ${many} ÷ 1 subscriber, p95 of events`,
      a: many,
      b: one,
      unit: 'ms (p95)',
      pick: (l) => l.lastDelivery.p95,
    },
    {
      id: 'S1-max',
      scenario: `Subscription event latency, ${many} ÷ 1 subscriber, slowest delivery`,
      a: many,
      b: one,
      unit: 'ms (max)',
      pick: (l) => l.deliveries.max,
    },
  ];
}

/** HEAD, with `+modified` when the working tree has changes the results also reflect. */
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const changes = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return changes.trim() ? `${head}+modified` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * BENCH_DEBUG=1: print the GraphQL errors behind REST-bridge and subscription executions (the REST
 * bridge answers a bare 500 and the stack logs nothing at LOG_LEVEL=silent).
 */
function logOperationErrors(t: TestStack) {
  const apollo = t.stack.gateway.apollo;
  const original = apollo.executeOperation.bind(apollo);
  (apollo as { executeOperation: unknown }).executeOperation = async (
    ...args: Parameters<typeof original>
  ) => {
    const response = await original(...args);
    if (response.body.kind === 'single' && response.body.singleResult.errors) {
      log(
        `operation errors at ${new Date().toISOString()}: ${JSON.stringify(response.body.singleResult.errors)}`,
      );
    }
    return response;
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const started = Date.now();
  process.env.NODE_ENV = process.env.NODE_ENV || 'production';
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${settings.watchdogMs / 1000} s, giving up`);
    process.exit(2);
  }, settings.watchdogMs);
  watchdog.unref();

  const loadavgBefore = loadavg();
  // Before pinning: availableParallelism() follows the CPU affinity of the process.
  const cpuCount = availableParallelism();
  const loadgen = startLoadgen();
  const pinned = cpuCount >= 2 && process.env.BENCH_PIN !== '0' && pin(process.pid, 0) && pin(loadgen.pid, 1);
  log(
    `stack pid ${process.pid}${pinned ? ' on CPU 0' : ''}, load generator pid ${loadgen.pid}${pinned ? ' on CPU 1' : ''}`,
  );

  const hives: RunningHive[] = [];
  let t: TestStack | undefined;
  let httpGateway: RunningGateway | undefined;
  try {
    // Rate limits off: they would turn a throughput bench into a test of 429s.
    t = await bootStack({
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
      DATA_DIR: 'memory://',
      RATE_LIMITS: 'false',
      MAIL_OUTBOX_ONLY: 'true',
      // The deployed default: the test kit's 200 ms would add 5,000 pings/s over 1,000 SSE streams.
      SSE_HEARTBEAT_MS: '15000',
    });
    if (process.env.BENCH_DEBUG) {
      logOperationErrors(t);
    }
    const subgraphUrls = Object.fromEntries(t.stack.subgraphs.map((s) => [s.name, s.url]));
    const conversationsUrl = subgraphUrls.conversations ?? fail('no conversations subgraph');
    const owner = await t.register();
    await createConversations(
      t,
      owner,
      Array.from(
        { length: settings.conversations },
        (_, i) => `Conversation ${String(i + 1).padStart(2, '0')}`,
      ),
    );
    await seedActivity(t, owner.tenantId, settings.activityEntries);
    // The fan-out runs in another tenant, so its renames never touch the listed conversations.
    const publisher = await t.register();
    const [singleId, fanoutId] = await createConversations(t, publisher, ['Fan-out 1', 'Fan-out N']);

    // Per-user traffic: one user (own tenant, own conversations) per load-generator worker.
    const booted = t;
    const users = await Promise.all(Array.from({ length: settings.concurrency }, () => booted.register()));
    await Promise.all(
      users.map((u, i) =>
        createConversations(
          booted,
          u,
          Array.from({ length: settings.conversations }, (_, j) => `User ${i + 1} conversation ${j + 1}`),
        ),
      ),
    );
    const authorizations = users.map((u) => `Bearer ${u.accessToken}`);

    const supergraphSdl = readSupergraph();
    // The separate-process layout's gateway: the same code, over HTTP to the same subgraphs.
    httpGateway = await startGateway(
      {
        config: {
          ...t.stack.kernel.config,
          GATEWAY_SUBGRAPH_TRANSPORT: 'http',
        } as typeof t.stack.kernel.config,
        log: t.stack.kernel.log,
        supergraphSdl,
        subgraphUrls,
      },
      { host: '127.0.0.1', port: 0 },
    );
    const hive = await startHive({ supergraphSdl, subgraphUrls, deduplicateInflightRequests: true });
    hives.push(hive);
    const hiveNoDedup = await startHive({ supergraphSdl, subgraphUrls, deduplicateInflightRequests: false });
    hives.push(hiveNoDedup);

    const token = owner.accessToken;
    const gw = `${t.url}/graphql`;
    const gwHttp = `${httpGateway.url}/graphql`;
    const identical: Leg[] = [
      {
        key: 'sub.simple',
        label: 'conversations subgraph direct, single-subgraph query',
        target: gqlTarget(conversationsUrl, token, Q_SIMPLE),
      },
      {
        key: 'apollo.simple',
        label: 'our gateway, single-subgraph query',
        target: gqlTarget(gw, token, Q_SIMPLE),
      },
      { key: 'apollo.fed', label: 'our gateway, federated query', target: gqlTarget(gw, token, Q_FEDERATED) },
      {
        key: 'apolloHttp.simple',
        label: 'our gateway over HTTP (separate-process layout), single-subgraph query',
        target: gqlTarget(gwHttp, token, Q_SIMPLE),
      },
      {
        key: 'apolloHttp.fed',
        label: 'our gateway over HTTP (separate-process layout), federated query',
        target: gqlTarget(gwHttp, token, Q_FEDERATED),
      },
      {
        key: 'hive.simple',
        label: 'Hive Gateway (defaults), single-subgraph query',
        target: gqlTarget(`${hive.url}/graphql`, token, Q_SIMPLE),
      },
      {
        key: 'hive.fed',
        label: 'Hive Gateway (defaults), federated query',
        target: gqlTarget(`${hive.url}/graphql`, token, Q_FEDERATED),
      },
      {
        key: 'hiveNoDedup.simple',
        label: 'Hive Gateway (in-flight dedup off), single-subgraph query',
        target: gqlTarget(`${hiveNoDedup.url}/graphql`, token, Q_SIMPLE),
      },
      {
        key: 'hiveNoDedup.fed',
        label: 'Hive Gateway (in-flight dedup off), federated query',
        target: gqlTarget(`${hiveNoDedup.url}/graphql`, token, Q_FEDERATED),
      },
      {
        key: 'rest.list',
        label: 'REST GET /api/v1/conversations?limit=20 (gateway)',
        target: {
          url: `${t.url}/api/v1/conversations?limit=20`,
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
          kind: 'rest',
        },
      },
      {
        key: 'apollo.restEquivalent',
        label: 'our gateway, GraphQL POST of the REST list operation',
        target: gqlTarget(gw, token, Q_REST_EQUIVALENT, { limit: 20 }),
      },
      {
        key: 'rest.activity',
        label: `REST GET /api/v1/activity?limit=20 (gateway), ${settings.activityEntries} unread entries`,
        target: {
          url: `${t.url}/api/v1/activity?limit=20`,
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
          kind: 'rest',
        },
      },
    ];
    // The same targets with each worker its own user: what many users' traffic looks like.
    const perUser = [
      'sub.simple',
      'apollo.simple',
      'apollo.fed',
      'apolloHttp.simple',
      'apolloHttp.fed',
      'hive.simple',
      'hive.fed',
      'hiveNoDedup.simple',
      'hiveNoDedup.fed',
    ].map((key): Leg => {
      const leg = identical.find((l) => l.key === key) ?? fail(`no leg ${key}`);
      return {
        key: `${key}.users`,
        label: `${leg.label}, per-user traffic (${settings.concurrency} users)`,
        target: { ...leg.target, authorizations },
      };
    });
    const legList = [...identical, ...perUser];
    const legs = Object.fromEntries(legList.map((l) => [l.key, l]));

    const checks = await verify(legs, owner);
    log('responses verified identical across targets');

    // Warm-up errors do not stop the run (they are product errors worth a report, not harness
    // failures); they are reported and fail the exit code like errors in measured legs.
    const warmupErrors: Report['warmupErrors'] = [];
    for (const leg of legList) {
      const w = await measure(loadgen, leg, settings.warmupMs);
      if (w.errors) {
        warmupErrors.push({ leg: leg.key, errors: w.errors, firstError: w.firstError ?? '' });
        log(`warm-up of ${leg.label}: ${w.errors} errors, first: ${w.firstError}`);
      }
    }
    log(`warmed up; ${settings.rounds} rounds × ${legList.length} legs × ${settings.legMs} ms`);

    const results = new Map<string, LegRound[]>(legList.map((l) => [l.key, []]));
    const roundOrders: string[][] = [];
    for (let r = 0; r < settings.rounds; r++) {
      // A B C … then … C B A: alternating the direction cancels linear drift between legs.
      const legsOfRound = r % 2 === 0 ? legList : [...legList].reverse();
      roundOrders.push(legsOfRound.map((l) => l.key));
      for (const leg of legsOfRound) {
        const m = await measure(loadgen, leg, settings.legMs);
        results.get(leg.key)?.push(m);
        if (m.errors) {
          log(`round ${r + 1}, ${leg.label}: ${m.errors} errors, first: ${m.firstError}`);
        }
      }
      const line = legList.map((l) => `${l.key} ${Math.round(results.get(l.key)?.[r]?.rps ?? 0)}`).join(', ');
      log(`round ${r + 1}/${settings.rounds} req/s: ${line}`);
    }

    const many = `${settings.fanout.subscribers} subscribers`;
    const one = '1 subscriber';
    log(
      `fan-out: ${many} vs ${one}, ${settings.fanout.rounds} rounds × ${settings.fanout.eventsPerRound} events each`,
    );
    let fanout: FanoutResult | null = null;
    let fanoutError: string | undefined;
    try {
      fanout = await loadgen.fanout({
        wsUrl: `${t.url.replace(/^http/, 'ws')}/graphql`,
        graphqlUrl: gw,
        authorization: `Bearer ${publisher.accessToken}`,
        targets: [
          { name: one, conversationId: singleId as string, subscribers: 1 },
          { name: many, conversationId: fanoutId as string, subscribers: settings.fanout.subscribers },
        ],
        rounds: settings.fanout.rounds,
        eventsPerRound: settings.fanout.eventsPerRound,
        gapMs: settings.fanout.gapMs,
        eventTimeoutMs: settings.fanout.eventTimeoutMs,
        budgetMs: settings.fanout.budgetMs,
      });
      if (fanout.truncated) {
        log(`fan-out stopped early by its ${settings.fanout.budgetMs / 1000} s budget`);
      }
    } catch (error) {
      fanoutError = String((error as Error)?.message ?? error);
      log(`fan-out failed: ${fanoutError}`);
    }

    log('event streams: 1 stream vs many, as fast as possible and at provider speed');
    let streams: Report['streams'] = null;
    let streamsError: string | undefined;
    try {
      const run = await runStreamBench(t, loadgen, publisher, undefined, log);
      streams = { ...run.result, rows: run.rows };
    } catch (error) {
      streamsError = String((error as Error)?.message ?? error);
      log(`event streams failed: ${streamsError}`);
    }

    const legReports: LegReport[] = legList.map((l) => ({
      key: l.key,
      label: l.label,
      rounds: results.get(l.key) ?? [],
    }));
    const values = (key: string, metric: Metric) => (results.get(key) ?? []).map(metric);
    const rows = httpRows.map(({ metric, ...spec }) =>
      ratioRow(
        spec,
        values(spec.a, metric),
        values(spec.b, metric),
        metric === rps ? { a: values(spec.a, cpuPerRequest), b: values(spec.b, cpuPerRequest) } : undefined,
      ),
    );
    if (fanout) {
      const f = fanout;
      for (const { pick, ...spec } of fanoutRows(many, one)) {
        const of = (name: string) => f.rounds.map((r) => pick(r[name] as FanoutLeg));
        rows.push(ratioRow(spec, of(spec.a), of(spec.b)));
      }
    }
    rows.push(...(streams?.rows ?? []));
    const fanLegs = fanout?.rounds.flatMap((r) => Object.values(r)) ?? [];
    const report: Report = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpuCount,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadavgBefore: loadavgBefore.map(round),
        loadavgAfter: loadavg().map(round),
        commit: gitCommit(),
        pinned,
        durationSeconds: round((Date.now() - started) / 1000),
      },
      settings,
      checks,
      rows,
      legs: legReports,
      roundOrders,
      fanout,
      ...(fanoutError ? { fanoutError } : {}),
      streams,
      ...(streamsError ? { streamsError } : {}),
      warmupErrors,
      errors: {
        warmup: warmupErrors.reduce((n, w) => n + w.errors, 0),
        http: legReports.flatMap((l) => l.rounds).reduce((n, r) => n + r.errors, 0),
        mutations: fanout?.mutationErrors ?? 0,
        lostDeliveries: fanLegs.reduce((n, l) => n + l.lost, 0) + (streams?.lost ?? 0),
        duplicateDeliveries:
          fanLegs.reduce((n, l) => n + l.duplicates, 0) +
          (streams?.duplicates ?? 0) +
          (streams?.outOfOrder ?? 0),
      },
    };

    const outDir = join(here, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'latest.json'), renderJson(report));
    writeFileSync(join(outDir, 'latest.md'), renderMarkdown(report));
    process.stdout.write(`\n${ratioTable(report)}\n\n`);
    log(`wrote bench/results/latest.md and latest.json (${report.meta.durationSeconds} s)`);

    const { warmup, http, mutations, lostDeliveries, duplicateDeliveries } = report.errors;
    if (fanoutError || streamsError || warmup || http || mutations || lostDeliveries || duplicateDeliveries) {
      log(
        `FAILED: ${warmup} warm-up and ${http} measured HTTP errors, ${mutations} failed mutations, ${lostDeliveries} lost and ${duplicateDeliveries} duplicated or reordered deliveries${fanoutError ? ', fan-out failed' : ''}${streamsError ? ', event streams failed' : ''} (see latest.md)`,
      );
      return 1;
    }
    return 0;
  } finally {
    await loadgen.close();
    await Promise.all(hives.map((h) => h.close().catch(() => undefined)));
    await httpGateway?.close().catch(() => undefined);
    await t?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

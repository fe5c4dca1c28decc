/** Ratio rows and the Markdown / JSON renderings of one `npm run bench` run. */
import type { FanoutResult, HttpLoadResult } from './protocol.js';
import { median, round } from './stats.js';
import { type StreamBenchResult, streamTable } from './streams.js';

export interface LegRound extends HttpLoadResult {
  /** CPU time of the stack process (the whole system under test) during the leg. */
  sutCpuMs: number;
  sutCpuMsPerRequest: number;
  /** Cores used by the stack process on average (1.0 = one full core). */
  sutCores: number;
}

export interface LegReport {
  key: string;
  label: string;
  rounds: LegRound[];
}

export interface RowSpec {
  id: string;
  scenario: string;
  /** Leg key or fan-out group name of A and B. */
  a: string;
  b: string;
  unit: string;
  /** The matching figure of performance.md, when there is one. */
  anchor?: string;
}

export interface Row extends RowSpec {
  aMedian: number;
  bMedian: number;
  /** Median of the per-round ratios A÷B. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  perRoundRatios: number[];
  /**
   * Throughput rows only: median of per-round (stack CPU ms per request of B ÷ of A), the req/s
   * ratio if both legs were bound by the stack's CPU. Time stolen by other processes is not
   * charged to the stack, so this is steadier than the req/s ratio on a busy machine.
   */
  cpuRatio?: number;
  cpuRatioMin?: number;
  cpuRatioMax?: number;
}

/** One row from per-round values of A and B (same length, same rounds). */
export function ratioRow(
  spec: RowSpec,
  aValues: number[],
  bValues: number[],
  cpuPerRequest?: { a: number[]; b: number[] },
): Row {
  const ratios = aValues.map((a, i) => a / (bValues[i] as number));
  const cpuRatios = cpuPerRequest?.a.map((a, i) => (cpuPerRequest.b[i] as number) / a);
  return {
    ...spec,
    aMedian: median(aValues),
    bMedian: median(bValues),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    perRoundRatios: ratios.map(round),
    ...(cpuRatios
      ? {
          cpuRatio: median(cpuRatios),
          cpuRatioMin: Math.min(...cpuRatios),
          cpuRatioMax: Math.max(...cpuRatios),
        }
      : {}),
  };
}

export interface Report {
  meta: {
    date: string;
    node: string;
    platform: string;
    cpuCount: number;
    cpuModel: string;
    loadavgBefore: number[];
    loadavgAfter: number[];
    commit: string;
    pinned: boolean;
    durationSeconds: number;
  };
  settings: {
    rounds: number;
    legMs: number;
    warmupMs: number;
    concurrency: number;
    fanout: { subscribers: number; rounds: number; eventsPerRound: number; gapMs: number };
  } & Record<string, unknown>;
  checks: string[];
  rows: Row[];
  legs: LegReport[];
  roundOrders: string[][];
  fanout: FanoutResult | null;
  fanoutError?: string;
  /** The event-stream legs (bench/streams.ts); their rows are in `rows` too. */
  streams?: (StreamBenchResult & { rows: Row[] }) | null;
  streamsError?: string;
  warmupErrors: { leg: string; errors: number; firstError: string }[];
  errors: {
    warmup: number;
    http: number;
    mutations: number;
    lostDeliveries: number;
    duplicateDeliveries: number;
  };
}

export function fmt(n: number): string {
  return Number.isFinite(n) ? String(round(n)) : 'n/a';
}

function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function labelOf(report: Report, key: string): string {
  return report.legs.find((l) => l.key === key)?.label ?? key;
}

/** The summary table printed at the end of a run: A and B are medians over rounds. */
export function ratioTable(report: Report): string {
  return table(
    [
      'id',
      'scenario (A ÷ B)',
      'A',
      'B',
      'ratio A÷B',
      'rounds min–max',
      'unit',
      'CPU-normalised ratio (min–max)',
      'anchor (performance.md)',
    ],
    report.rows.map((r) => [
      r.id,
      r.scenario,
      fmt(r.aMedian),
      fmt(r.bMedian),
      `**${fmt(r.ratio)}**`,
      `${fmt(r.ratioMin)}–${fmt(r.ratioMax)}`,
      r.unit,
      r.cpuRatio === undefined
        ? ''
        : `${fmt(r.cpuRatio)} (${fmt(r.cpuRatioMin ?? Number.NaN)}–${fmt(r.cpuRatioMax ?? Number.NaN)})`,
      r.anchor ?? '',
    ]),
  );
}

function legTable(report: Report): string {
  return table(
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
    report.legs.map((l) => {
      const rs = l.rounds;
      const m = (pick: (x: LegRound) => number) => fmt(median(rs.map(pick)));
      const rps = rs.map((x) => x.rps);
      return [
        l.label,
        `${m((x) => x.rps)} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))})`,
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
}

function fanoutTable(fanout: FanoutResult): string {
  return table(
    [
      'subscribers',
      'round',
      'deliveries',
      'p50 ms',
      'p95 ms',
      'max ms',
      'last subscriber p50 / p95 ms',
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
        `${fmt(l.lastDelivery.p50)} / ${fmt(l.lastDelivery.p95)}`,
        String(l.lost),
        String(l.duplicates),
      ]),
    ),
  );
}

export function renderMarkdown(report: Report): string {
  const { meta, settings } = report;
  const errorLines = report.legs.flatMap((l) =>
    l.rounds
      .filter((r) => r.errors)
      .slice(0, 1)
      .map((r) => `* errors in "${l.label}": first: \`${(r.firstError ?? '').slice(0, 200)}\``),
  );
  return [
    '# Bench results (`npm run bench`)',
    '',
    `${meta.date} · Node ${meta.node} · ${meta.cpuCount} CPUs (${meta.cpuModel}) · load average ${meta.loadavgBefore.join(' / ')} before, ${meta.loadavgAfter.join(' / ')} after · commit ${meta.commit}`,
    '',
    `${settings.rounds} interleaved rounds (leg order alternates first→last, last→first) × ${settings.legMs} ms per leg after a ${settings.warmupMs} ms warm-up per target, ` +
      `concurrency ${settings.concurrency} (keep-alive fetch from a child process), loopback. ` +
      `Stack process ${meta.pinned ? 'pinned to CPU 0, load generator to CPU 1' : 'not pinned'}. Whole bench: ${meta.durationSeconds} s.`,
    '',
    'Each ratio is the median of the per-round ratios A÷B (min–max over rounds beside it). For req/s, above 1 means A is faster; for ms, below 1 means A is faster. ' +
      'The CPU-normalised ratio (throughput rows) is the median of per-round CPU ms/request of B ÷ of A for the stack process: the req/s ratio if both were CPU-bound, insensitive to CPU time taken by other processes.',
    '',
    ratioTable(report),
    '',
    '## Legs',
    '',
    '"stack CPU" is the CPU time of the one process holding PGlite, the three subgraphs and all gateways during the leg (1.0 cores = saturated when pinned).',
    '',
    legTable(report),
    '',
    '## Subscription fan-out',
    '',
    report.fanout
      ? `graphql-ws clients (one socket each) subscribed through the gateway to \`conversationEvents\` of two conversations (1 and ${settings.fanout.subscribers} subscribers); ` +
        `events alternate between them, each sent once every subscriber has the previous one (plus ${settings.fanout.gapMs} ms). ` +
        'Latency = `renameConversation` sent → event parsed by the client, one clock. ' +
        `Set-up (connect + subscribe + warm-up events): ${fmt(report.fanout.setupMs)} ms.` +
        `${report.fanout.truncated ? ' **Stopped early by the time budget.**' : ''}\n\n${fanoutTable(report.fanout)}`
      : `Fan-out failed: ${report.fanoutError ?? 'unknown error'}`,
    '',
    '## Event streams',
    '',
    report.streams
      ? 'The stack publishes with `bus.publish` (one statement per event); one graphql-ws client per stream, subscribed through the gateway. ' +
        'Latency = publish → event parsed by the client, one clock; events/s from the first publish to the last delivery.\n\n' +
        streamTable(report.streams)
      : `Event streams ${report.streamsError ? `failed: ${report.streamsError}` : 'not run'}`,
    '',
    '## Checks',
    '',
    ...report.checks.map((c) => `* ${c}`),
    `* HTTP errors during warm-up: ${report.errors.warmup}, during measured legs: ${report.errors.http}; failed triggering mutations: ${report.errors.mutations}; ` +
      `subscription deliveries lost: ${report.errors.lostDeliveries}, duplicated: ${report.errors.duplicateDeliveries}`,
    ...report.warmupErrors.map(
      (w) =>
        `* warm-up errors in "${labelOf(report, w.leg)}": ${w.errors}, first: \`${w.firstError.slice(0, 200)}\``,
    ),
    ...errorLines,
    ...(report.fanout?.firstMutationError
      ? [`* first failed mutation: \`${report.fanout.firstMutationError.slice(0, 200)}\``]
      : []),
    '',
  ].join('\n');
}

export function renderJson(report: Report): string {
  const rounded = (value: unknown): unknown =>
    typeof value === 'number'
      ? round(value)
      : Array.isArray(value)
        ? value.map(rounded)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]))
          : value;
  const json = {
    ...report,
    rows: report.rows.map((r) => ({ ...r, aLabel: labelOf(report, r.a), bLabel: labelOf(report, r.b) })),
  };
  return `${JSON.stringify(rounded(json), null, 2)}\n`;
}

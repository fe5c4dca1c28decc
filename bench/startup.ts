/**
 * `npm run bench:startup` (also the end of `npm run bench`): spawn → the first 200 from `/health`, of
 * `npm start` (compiled JavaScript from dist/, scripts/start.mjs) beside the same server run from
 * the TypeScript sources with tsx (what `npm start` ran before dist/), on an existing data
 * directory and on a fresh one, rounds interleaved. `npm start` pays npm's own start-up; the tsx
 * leg does not (it is `node --import tsx gateway/main.ts`), so the ratio flatters tsx a little.
 * Goals (issue 12): existing ≤ 3 s, fresh ≤ 8 s. Writes bench/results/startup.{md,json}.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Row, ratioRow } from './report.js';
import { median, round } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const log = (message: string) => process.stderr.write(`[bench:startup] ${message}\n`);

const ROUNDS = Number.parseInt(process.env.BENCH_STARTUP_ROUNDS ?? '', 10) || 3;
const TIMEOUT_MS = 60_000;
const GOALS = { existing: 3, fresh: 8 };

interface Variant {
  key: 'npm' | 'tsx';
  label: string;
  command: string;
  args: string[];
}

const VARIANTS: Variant[] = [
  { key: 'npm', label: '`npm start` (compiled, dist/)', command: 'npm', args: ['start', '--silent'] },
  {
    key: 'tsx',
    label: '`node --import tsx gateway/main.ts` (sources)',
    command: process.execPath,
    args: ['--import', 'tsx', 'gateway/main.ts'],
  },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-(child.pid as number), 'SIGTERM'); // npm and the server it started
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** Seconds from spawn to the first 200 from /health. */
async function startOnce(variant: Variant, dataDir: string): Promise<number> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.NODE_ENV;
  const startedAt = performance.now();
  const child = spawn(variant.command, variant.args, {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${variant.label} exited with ${child.exitCode}: ${stderr}`);
      }
      if (performance.now() - startedAt > TIMEOUT_MS) {
        throw new Error(`${variant.label} did not answer /health within ${TIMEOUT_MS / 1000} s: ${stderr}`);
      }
      const ok = await fetch(`http://127.0.0.1:${port}/health`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) {
        return (performance.now() - startedAt) / 1000;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await stop(child);
  }
}

export interface StartupResult {
  rounds: number;
  seconds: Record<'existing' | 'fresh', Record<Variant['key'], number[]>>;
  rows: Row[];
  goals: typeof GOALS;
  met: boolean;
}

export async function runStartupBench(): Promise<StartupResult> {
  const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const seconds: StartupResult['seconds'] = {
    existing: { npm: [], tsx: [] },
    fresh: { npm: [], tsx: [] },
  };
  try {
    const existing = join(work, 'existing');
    log('preparing the existing data directory (one start, migrations applied)');
    await startOnce(VARIANTS[0] as Variant, existing);
    for (let round = 0; round < ROUNDS; round++) {
      // A B, then B A: neither variant always runs right after the other's exit.
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        const s = await startOnce(variant, existing);
        seconds.existing[variant.key].push(s);
        log(`round ${round + 1}: existing, ${variant.key} ${s.toFixed(2)} s`);
      }
      for (const variant of order) {
        const fresh = join(work, `fresh-${round}-${variant.key}`);
        const s = await startOnce(variant, fresh);
        rmSync(fresh, { recursive: true, force: true });
        seconds.fresh[variant.key].push(s);
        log(`round ${round + 1}: fresh, ${variant.key} ${s.toFixed(2)} s`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const rows = [
    ratioRow(
      {
        id: 'ST1',
        scenario: `start on an existing data directory, spawn → /health (goal ≤ ${GOALS.existing} s)`,
        a: 'npm',
        b: 'tsx',
        unit: 's',
      },
      seconds.existing.npm,
      seconds.existing.tsx,
    ),
    ratioRow(
      {
        id: 'ST2',
        scenario: `start on a fresh data directory (migrations), spawn → /health (goal ≤ ${GOALS.fresh} s)`,
        a: 'npm',
        b: 'tsx',
        unit: 's',
      },
      seconds.fresh.npm,
      seconds.fresh.tsx,
    ),
  ];
  const met = median(seconds.existing.npm) <= GOALS.existing && median(seconds.fresh.npm) <= GOALS.fresh;
  return { rounds: ROUNDS, seconds, rows, goals: GOALS, met };
}

function renderMarkdown(result: StartupResult): string {
  const lines = [
    '# Start-up (`npm run bench:startup`)',
    '',
    `${new Date().toISOString()} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'} · load ${loadavg().map(round).join(' ')} · ${result.rounds} interleaved rounds`,
    '',
    'A = `npm start` (compiled JavaScript from dist/, npm included), B = `node --import tsx gateway/main.ts` (the TypeScript sources, what `npm start` ran before). Seconds from spawn to the first 200 from `/health`; lower is better, so A÷B below 1 means the compiled start is faster.',
    '',
    '| row | scenario | A median (s) | B median (s) | A÷B | per round A | per round B |',
    '|---|---|---|---|---|---|---|',
  ];
  const per = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' · ');
  const sets = [result.seconds.existing, result.seconds.fresh];
  result.rows.forEach((row, i) => {
    const set = sets[i] as Record<Variant['key'], number[]>;
    lines.push(
      `| ${row.id} | ${row.scenario} | ${row.aMedian.toFixed(2)} | ${row.bMedian.toFixed(2)} | ${row.ratio.toFixed(2)} | ${per(set.npm)} | ${per(set.tsx)} |`,
    );
  });
  lines.push(
    '',
    `Goals met: ${result.met ? 'yes' : 'no'} (existing ≤ ${GOALS.existing} s, fresh ≤ ${GOALS.fresh} s).`,
    '',
  );
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runStartupBench();
  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'startup.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'startup.md'), renderMarkdown(result));
  process.stdout.write(`\n${renderMarkdown(result)}\n`);
  log('wrote bench/results/startup.md and startup.json');
  process.exitCode = result.met ? 0 : 1;
}

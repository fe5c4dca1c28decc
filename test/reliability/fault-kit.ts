/**
 * What the fault suite (faults.test.ts) injects faults with: a throwaway PostgreSQL cluster of its
 * own (never the shared test server, which other files use at the same time), server processes it
 * can kill, stop and continue, free loopback ports, and a write load that records what was
 * acknowledged.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { deployMigrations } from '../../prisma/migrate.js';
import { openDatabase } from '../../subgraphs/kernel/db.js';
import type { Kernel } from '../../subgraphs/kernel/kernel.js';
import {
  type ServedSubgraph,
  type SubgraphModule,
  serveSubgraph,
} from '../../subgraphs/kernel/serve-subgraph.js';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A free loopback port (the kernel's pick for port 0, released for the caller to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface PrivatePostgres {
  /** The migrated database, `postgresql://postgres@127.0.0.1:<port>/faults`. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL 15 cluster of the test's own in a temporary directory, on a free port, with one
 * database migrated by the project's migrator. As root, initdb and pg_ctl run as `postgres`.
 */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'faults-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  const asPg = (cmd: string, args: string[]) =>
    root
      ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args])
      : run(join(PG_BIN, cmd), args);
  if (root) {
    chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), 0);
  }
  await asPg('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = async () => {
    await asPg('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', options, 'start']);
  };
  const stop = async () => {
    await asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  await start();
  const server = `postgresql://postgres@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE faults');
  await admin.end();
  const url = `${server}/faults`;
  const db = await openDatabase({ url });
  try {
    await db.prisma.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS vector');
    await deployMigrations(db);
  } finally {
    await db.close();
  }
  return {
    url,
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServerProcess {
  child: ChildProcess;
  /** What the ready line named: the subgraph's `/graphql` URL, or the gateway's base URL. */
  url: string;
  /** Ends the process at once (SIGKILL) and waits for it to be gone. */
  kill(): Promise<void>;
}

/**
 * Starts `node scripts/start.mjs <args>` (compiled, as `npm run start:subgraph` / `npm start` run
 * it) and resolves with the URL its ready line names.
 */
export function startServer(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['scripts/start.mjs', ...args], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (m?.[1]) {
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining the pipes so the child never blocks on a full one.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({
          child,
          url: m[1],
          async kill() {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGKILL');
            }
            await exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request of a load: its outcome and how long it took. */
export interface Outcome {
  via?: 'rest' | 'graphql';
  status: number;
  ms: number;
  body: unknown;
  /** The id of what it created, when it answered success. */
  id?: string;
  /** When it was sent (set by `load`). */
  at?: number;
}

/** The outcomes of requests sent at or after `from` and answered before `to`. */
export function within(outcomes: readonly Outcome[], from: number, to: number): Outcome[] {
  return outcomes.filter((o) => (o.at ?? 0) >= from && (o.at ?? 0) + o.ms <= to);
}

/** Runs `request` by `workers` loops until `stop()` is called; every outcome is kept. */
export function load(workers: number, request: (n: number) => Promise<Outcome>) {
  let running = true;
  let n = 0;
  const outcomes: Outcome[] = [];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const started = Date.now();
      // A request the server never answered (its process died, nothing listens) is status 0.
      const outcome = await request(n++).catch(
        (error): Outcome => ({ status: 0, ms: Date.now() - started, body: String(error) }),
      );
      outcomes.push({ ...outcome, at: started });
      if (outcome.status !== 200 && outcome.status !== 201) {
        await sleep(20); // no busy loop against a dependency that is down
      }
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** Polls `check` until it returns a value that is not undefined (or the timeout passes). */
export async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await sleep(100);
  }
}

/** One frame of an SSE stream (`id:` and parsed `data:`), or the `event: error` that ended it. */
export interface Frame {
  id: string | null;
  event: string | null;
  data: Record<string, unknown>;
}

/**
 * An SSE client reading in the background: `frames` grows as frames arrive; `drop()` closes the
 * connection as a client that goes away would.
 */
export async function openSse(url: string, token: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const frames: Frame[] = [];
  const ended = (async () => {
    if (!res.ok || !res.body) {
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
          if (data.length) {
            frames.push({
              id: lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null,
              event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null,
              data: JSON.parse(data.join('\n')),
            });
          }
        }
      }
    } catch {
      // dropped
    }
  })();
  return {
    status: res.status,
    frames,
    ended,
    async drop() {
      controller.abort();
      await ended;
    },
  };
}

/** A graphql-ws subscription read in the background: `events` grows, `errors` collects error results. */
export function collect<T>(
  iterator: AsyncIterableIterator<{ data?: T | null; errors?: readonly unknown[] }>,
) {
  const events: T[] = [];
  const errors: unknown[] = [];
  let done = false;
  const reading = (async () => {
    try {
      for (;;) {
        const r = await iterator.next();
        if (r.done) {
          break;
        }
        if (r.value.errors?.length) {
          errors.push(...r.value.errors);
        }
        if (r.value.data) {
          events.push(r.value.data);
        }
      }
    } catch (error) {
      errors.push(error);
    } finally {
      done = true;
    }
  })();
  return {
    events,
    errors,
    get done() {
      return done;
    },
    async close() {
      await iterator.return?.();
      await reading;
    },
  };
}

/** A subgraph the test takes down and brings back, always on the same port (its URL never changes). */
export interface Victim {
  url: string;
  /** Gone at once: connections refused, open sockets (websockets too) cut. */
  kill(): Promise<void>;
  /** Serving again on the same port. */
  restart(): Promise<void>;
  /** Accepts connections, answers nothing. */
  hang(): Promise<void>;
  /** Answers again. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The subgraph as a process of its own (`npm run start:subgraph` over PostgreSQL): kill is
 * SIGKILL, hang SIGSTOP (the kernel still accepts connections; nothing reads them), resume SIGCONT.
 */
export async function processVictim(name: string, env: Record<string, string>): Promise<Victim> {
  const port = String(await freePort());
  const start = () =>
    startServer(['subgraphs/main', name], { ...env, SUBGRAPH_PORT: port }, /listening on (\S+)/);
  let server = await start();
  return {
    url: server.url,
    kill: () => server.kill(),
    async restart() {
      server = await start();
    },
    async hang() {
      server.child.kill('SIGSTOP');
    },
    async resume() {
      server.child.kill('SIGCONT');
    },
    async close() {
      server.child.kill('SIGCONT');
      await server.kill();
    },
  };
}

/**
 * The subgraph served in this process beside the stack (the embedded PGlite cannot be shared with
 * another process): kill closes its server and every connection, hang puts a listener on its port
 * that accepts and never answers (a process that stopped), resume serves it again.
 */
export async function inProcessVictim(kernel: Kernel, subgraph: SubgraphModule): Promise<Victim> {
  const port = await freePort();
  const serve = () => serveSubgraph(kernel, subgraph, { host: '127.0.0.1', port });
  let served: ServedSubgraph | null = await serve();
  let hole: Server | null = null;
  const held = new Set<Socket>();
  const kill = async () => {
    await served?.close();
    served = null;
  };
  const restart = async () => {
    served = await serve();
  };
  const unhang = async () => {
    for (const socket of held) {
      socket.destroy();
    }
    held.clear();
    await new Promise((r) => (hole ? hole.close(r) : r(undefined)));
    hole = null;
  };
  return {
    url: served.url,
    kill,
    restart,
    async hang() {
      await kill();
      hole = createServer((socket) => {
        held.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise((r) => hole?.listen(port, '127.0.0.1', () => r(undefined)));
    },
    async resume() {
      await unhang();
      await restart();
    },
    async close() {
      await unhang();
      await kill();
    },
  };
}

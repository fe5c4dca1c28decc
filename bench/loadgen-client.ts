/** Starts bench/loadgen.ts as a child process and talks to it over IPC, one request at a time. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
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

export interface Loadgen {
  pid: number;
  http(request: Omit<HttpLoadRequest, 'type' | 'id'>): Promise<HttpLoadResult>;
  fanout(request: Omit<FanoutRequest, 'type' | 'id'>): Promise<FanoutResult>;
  openStreams(request: Omit<StreamsOpenRequest, 'type' | 'id'>): Promise<{ opened: number }>;
  collectStreams(request: Omit<StreamsCollectRequest, 'type' | 'id'>): Promise<StreamsResult>;
  close(): Promise<void>;
}

type Distributive<T> = T extends unknown ? Omit<T, 'id'> : never;

export function startLoadgen(): Loadgen {
  const child: ChildProcess = fork(fileURLToPath(new URL('./loadgen.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (raw) => {
    const msg = raw as LoadgenReply;
    const p = pending.get(msg.id);
    if (!p) {
      return;
    }
    pending.delete(msg.id);
    if (msg.ok) {
      p.resolve(msg.result);
    } else {
      p.reject(new Error(`loadgen: ${msg.error}`));
    }
  });
  child.on('exit', (code, signal) => {
    for (const p of pending.values()) {
      p.reject(new Error(`loadgen exited (${code ?? signal})`));
    }
    pending.clear();
  });
  const call = <T>(message: Distributive<LoadgenRequest>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...message, id } as LoadgenRequest);
    });
  return {
    pid: child.pid as number,
    http: (request) => call<HttpLoadResult>({ type: 'http', ...request }),
    fanout: (request) => call<FanoutResult>({ type: 'fanout', ...request }),
    openStreams: (request) => call<{ opened: number }>({ type: 'streams-open', ...request }),
    collectStreams: (request) => call<StreamsResult>({ type: 'streams-collect', ...request }),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ type: 'exit' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

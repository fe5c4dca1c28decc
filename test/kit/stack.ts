import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { readSupergraph } from '../../gateway/create-gateway.js';
import { type EmbeddedStack, startEmbedded } from '../../gateway/embedded.js';
import { loadConfig } from '../../subgraphs/kernel/config.js';
import { SNAPSHOT_ENV } from './global-setup.js';
import { copyTemplate, TEMPLATE_ENV } from './postgres.js';

export interface GqlResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; details?: unknown } }[];
}

export interface RestResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Account {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  userId: string;
  tenantId: string;
  sessionId: string;
}

export interface TestStack {
  stack: EmbeddedStack;
  url: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResult<T>>;
  rest<T = unknown>(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<RestResult<T>>;
  ws(token?: string): Client;
  register(overrides?: Partial<{ email: string; password: string; tenantName: string }>): Promise<Account>;
  close(): Promise<void>;
}

let snapshot: { file: string; data: Blob } | undefined;

/** The migrated PGlite data directory test/kit/global-setup.ts dumped, read once per worker. */
function migratedSnapshot(): Blob | undefined {
  const file = process.env[SNAPSHOT_ENV];
  if (!file) {
    return undefined;
  }
  if (snapshot?.file !== file) {
    snapshot = { file, data: new Blob([readFileSync(file)]) };
  }
  return snapshot.data;
}

/**
 * Boots the whole platform on port 0: PGlite in memory by default; where DATABASE_URL is set, a
 * PostgreSQL database of the stack's own, copied from the migrated template (a DATABASE_URL passed
 * in `env` is used as it is).
 */
export async function bootStack(env: Record<string, string> = {}): Promise<TestStack> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: 'memory://',
    SSE_HEARTBEAT_MS: '200',
    ...env,
  };
  // `DATABASE_URL: ''` asks for a database of the stack's own (PGlite) even where tests share PostgreSQL.
  if (merged.DATABASE_URL === '') {
    delete merged.DATABASE_URL;
  }
  const template = process.env[TEMPLATE_ENV];
  const own =
    merged.DATABASE_URL && template && env.DATABASE_URL === undefined
      ? await copyTemplate(merged.DATABASE_URL, template)
      : undefined;
  if (own) {
    merged.DATABASE_URL = own.url;
  }
  const config = loadConfig(merged);
  // test/kit/global-setup.ts migrates once: the PostgreSQL template each stack's database copies, or
  // a PGlite snapshot each in-memory stack starts from. Without either (outside vitest, e.g. bench/), the stack's own PGlite is migrated.
  const from =
    !config.DATABASE_URL && config.DATA_DIR.startsWith('memory://') ? migratedSnapshot() : undefined;
  let stack: EmbeddedStack;
  try {
    stack = await startEmbedded(
      config,
      readSupergraph(),
      from ? { migrate: false, snapshot: from } : { migrate: !config.DATABASE_URL },
    );
  } catch (error) {
    await own?.drop();
    throw error;
  }
  const client = apiAt(stack.gateway.url);
  return {
    ...client,
    stack,
    async close() {
      await client.close();
      await stack.close();
      await own?.drop();
    },
  };
}

/** The test kit's calls to a gateway at `url` (bootStack's, or one running in another process). */
export type GatewayApi = Omit<TestStack, 'stack'>;

/** GraphQL, REST, graphql-ws and sign-up against the gateway at `url`; `close()` ends its websocket clients. */
export function apiAt(url: string): GatewayApi {
  const clients: Client[] = [];
  const api: GatewayApi = {
    url,
    async gql(query, variables, token) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as never;
    },
    async rest(method, path, options = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined
          ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
          : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON; keep the text
      }
      return { status: res.status, headers: res.headers, body: body as never };
    },
    ws(token) {
      const client = createClient({
        url: `${url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      });
      clients.push(client);
      return client;
    },
    async register(overrides = {}) {
      const email = overrides.email ?? `user-${randomUUID()}@example.com`;
      const password = overrides.password ?? 'Correct-Horse-Battery-9';
      const res = await api.rest<Record<string, string>>('POST', '/api/v1/auth/register', {
        body: {
          email,
          password,
          tenant_name: overrides.tenantName ?? `Tenant ${randomUUID().slice(0, 8)}`,
          accept_terms: true,
        },
      });
      if (res.status !== 201) {
        throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      const b = res.body;
      return {
        email,
        password,
        accessToken: b.access_token as string,
        refreshToken: b.refresh_token as string,
        userId: b.user_id as string,
        tenantId: b.tenant_id as string,
        sessionId: b.session_id as string,
      };
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
    },
  };
  return api;
}

/** Takes the next `count` values of a graphql-ws subscription, then ends it. */
export async function take<T>(
  iterator: AsyncIterableIterator<T>,
  count: number,
  timeoutMs = 10_000,
): Promise<T[]> {
  const out: T[] = [];
  const timer = setTimeout(() => void iterator.return?.(), timeoutMs);
  try {
    for (;;) {
      if (out.length >= count) {
        break;
      }
      const r = await iterator.next();
      if (r.done) {
        break;
      }
      out.push(r.value);
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
  return out;
}

/** Waits until `check` passes (polling), for asynchronous teardown. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

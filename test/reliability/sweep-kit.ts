/**
 * What the reliability suites share: a stack with the OpenAI and LiveKit doubles, a victim tenant
 * holding one of every resource (fixtures.ts), another tenant with an owner and an all-scope API key,
 * and the operations to drive, all derived from the route table and the schema's auth scopes.
 */
import { randomUUID } from 'node:crypto';
import { type GraphQLField, isObjectType } from 'graphql';
import { afterAll, beforeAll, expect } from 'vitest';
import { type RestRoute, type RestStream, restStreams, routes } from '../../rest-bridge/routes/index.js';
import { scopesOf } from '../../subgraphs/kernel/scopes.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { type LiveKitDouble, startLiveKitDouble } from '../fakes/livekit.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { expiredCopy } from '../kit/tokens.js';
import { runNumbers } from '../kit/voice.js';
import { login } from '../subgraphs/tenancy-kit.js';
import { minimalBody, minimalQuery } from './bodies.js';
import { changedTables, type DigestScope, tableDigests } from './db-digest.js';
import { makeVictim, PARAMETERS, SHARED_PARAMETERS, type Victim } from './fixtures.js';

export type AuthScopes = {
  public?: boolean;
  authenticated?: boolean;
  tenantMember?: boolean;
  scope?: string;
} & Record<string, unknown>;

/** `Query.x` / `Mutation.y` → the field's declared auth scopes, from the subgraph schemas. */
export const scopesByField = new Map<string, AuthScopes | undefined>();
/** Every query and mutation root field, for the GraphQL half of the sweep. */
export const rootFields: { root: 'Query' | 'Mutation'; field: GraphQLField<unknown, unknown> }[] = [];
/** Every subscription root field, for the graphql-ws half of the sweep. */
export const subscriptionFields: GraphQLField<unknown, unknown>[] = [];
for (const s of subgraphs) {
  for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
    const type = s.schema.getType(root);
    if (!isObjectType(type)) {
      continue;
    }
    for (const field of Object.values(type.getFields())) {
      if (field.name.startsWith('_')) {
        continue; // federation's _entities and _service, answered for the gateway
      }
      const options = field.extensions?.pothosOptions as { authScopes?: AuthScopes } | undefined;
      scopesByField.set(`${root}.${field.name}`, options?.authScopes);
      if (root === 'Subscription') {
        subscriptionFields.push(field);
      } else {
        rootFields.push({ root, field });
      }
    }
  }
}

export const isPublic = (route: RestRoute) =>
  Boolean(scopesByField.get(route.field)?.public) || Boolean(route.signed);
export const viewerScopes = new Set<string>(scopesOf('viewer'));

/**
 * What a refused request may write: rate-limit counters (a refused request counts against its
 * caller: that is their point) and the last use of the API key that made it.
 */
export const BOOKKEEPING: DigestScope = {
  tables: new Set(['rate_limit']),
  columns: { api_key: ['lastUsedAt'] },
};

let lk: LiveKitDouble;
let openai: FakeOpenAI;

/** The sweep's stack and callers, set by `useSweepStack()` before the file's tests run. */
export const sweep = {
  t: undefined as unknown as TestStack,
  victim: undefined as unknown as Victim,
  /** The other tenant's owner. */
  other: undefined as unknown as Account,
  /** The other tenant's API key carrying every scope. */
  otherKey: '',
  /** A token signed by the stack's own key for the victim's owner, expired a minute ago. */
  expiredToken: '',
};

/** Boots the file's stack (OpenAI and LiveKit doubles), the victim tenant and the other tenant. */
export function useSweepStack(): void {
  beforeAll(async () => {
    [lk, openai] = await Promise.all([startLiveKitDouble(), startFakeOpenAI()]);
    sweep.t = await bootStack({
      ...lk.env,
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MAX_RETRIES: '0',
      VOICE_AGENT_JOIN_TIMEOUT_MS: '600000',
    });
    const [owner, second] = await Promise.all([sweep.t.register(), sweep.t.register()]);
    sweep.other = second;
    openai.script({ chunks: ['Hello'] });
    sweep.victim = await makeVictim(sweep.t, owner, runNumbers()('7070'));
    const key = await sweep.t.rest<{ key: string }>('POST', `/api/tenants/${second.tenantId}/keys`, {
      token: second.accessToken,
      body: { name: 'every scope', scopes: [...new Set(scopesOf('owner'))] },
    });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    sweep.otherKey = key.body.key;
    sweep.expiredToken = await expiredCopy(sweep.t, owner.accessToken);
    // Let the fixtures' background work (ingest, chat turn) settle before digests are compared.
    await settle();
  }, 120_000);

  afterAll(async () => {
    await sweep.t?.close();
    await lk?.close();
    await openai?.close();
  });
}

/**
 * Logs the sweep's signed-in callers in again if an operation ended their session (a logout swept
 * as them is their own, and succeeds): every check must run with a credential that works.
 */
export async function keepSignedIn(): Promise<void> {
  const works = async (token: string) =>
    (await sweep.t.rest('GET', '/api/v1/auth/me', { token })).status === 200;
  if (!(await works(sweep.other.accessToken))) {
    sweep.other.accessToken = await login(sweep.t, sweep.other.email);
  }
  if (!(await works(sweep.victim.owner.accessToken))) {
    sweep.victim.owner.accessToken = await login(sweep.t, sweep.victim.owner.email);
  }
  if (!(await works(sweep.victim.viewer.token))) {
    sweep.victim.viewer.token = await login(sweep.t, sweep.victim.viewer.email);
  }
}

/** Background jobs due or running (an ingest a success started): they will write. */
async function jobsAtWork(): Promise<number> {
  const now = new Date();
  return sweep.t.stack.kernel.database.prisma.job.count({
    where: { doneAt: null, failedAt: null, OR: [{ runAt: { lte: now } }, { lockedUntil: { gt: now } }] },
  });
}

/** Waits until no job is due or running and the digests stop changing (three reads 150 ms apart agree). */
export async function settle(): Promise<void> {
  let last = await tableDigests(sweep.t, BOOKKEEPING);
  let quiet = 0;
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const now = await tableDigests(sweep.t, BOOKKEEPING);
    const changed = changedTables(last, now);
    // Three quiet reads in a row: background work (a job between two steps) pauses for less.
    quiet = changed.length || (await jobsAtWork()) ? 0 : quiet + 1;
    if (quiet === 3) {
      return;
    }
    last = now;
  }
  throw new Error(
    `the database never settled: ${changedTables(last, await tableDigests(sweep.t, BOOKKEEPING))}`,
  );
}

export interface Filled {
  victimPath: string;
  decoyPath: string;
  /** The victim's ids in the path and the decoy's in its place (blanked when bodies are compared). */
  swaps: [string, string][];
  unknown: string[];
}

/**
 * The victim's id for a path parameter or a GraphQL argument (snake-cased), and a stand-in of the
 * same form that exists nowhere; undefined for a name fixtures.ts does not know. `where` is the REST
 * path or the GraphQL field name (one name can mean different resources, see PARAMETERS).
 */
export function victimAndDecoy(name: string, where: string): { id: string; decoy: string } | undefined {
  const entry = PARAMETERS[name];
  if (!entry) {
    return undefined;
  }
  const id = sweep.victim.ids[typeof entry === 'function' ? entry(where) : entry] ?? '';
  const decoy = /^[0-9a-f-]{36}$/i.test(id) ? randomUUID() : `${id.slice(0, 3)}-${randomUUID().slice(0, 8)}`;
  return { id, decoy };
}

/** The path with the victim's ids, and the same path with ids that exist nowhere. */
export function fill(method: string, path: string): Filled {
  const swaps: [string, string][] = [];
  const unknown: string[] = [];
  const parts = new Map<string, { id: string; decoy: string }>();
  for (const [, name = ''] of path.matchAll(/\{(\w+)\}/g)) {
    const found = name in SHARED_PARAMETERS ? undefined : victimAndDecoy(name, path);
    if (found) {
      parts.set(name, found);
      swaps.push([found.id, found.decoy]);
    } else if (!(name in SHARED_PARAMETERS)) {
      unknown.push(name);
    }
  }
  const fillWith = (decoy: boolean) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const shared = SHARED_PARAMETERS[name];
      if (shared) {
        return encodeURIComponent(shared.sample());
      }
      const found = parts.get(name);
      return found ? encodeURIComponent(decoy ? found.decoy : found.id) : 'unknown';
    });
  const query = minimalQuery(method, path);
  return {
    victimPath: fillWith(false) + query,
    decoyPath: fillWith(true) + query,
    swaps,
    unknown: [...new Set(unknown)],
  };
}

export interface Answer {
  status: number;
  text: string;
  json: unknown;
}

export async function call(
  method: string,
  path: string,
  token: string | null,
  body: Record<string, unknown>,
  sse = false,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const controller = new AbortController();
  const res = await fetch(`${sweep.t.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      ...(sse ? { accept: 'text/event-stream' } : {}),
      ...headers,
    },
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify(body) }),
    signal: controller.signal,
  });
  // A stream that opened is read no further: its status is the finding.
  const streaming = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  if (streaming) {
    controller.abort();
  }
  const text = streaming ? '<stream>' : await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json };
}

export const isEnvelope = (a: Answer) =>
  typeof (a.json as { error?: unknown })?.error === 'string' &&
  typeof (a.json as { message?: unknown })?.message === 'string';

/** Blanks every victim and decoy id so two answers about different ids compare equal. */
export function blank(text: string, swaps: [string, string][]): string {
  let out = text;
  for (const [a, b] of swaps) {
    out = out.split(a).join('<id>').split(b).join('<id>');
  }
  return out;
}

/** The victim's ids that an answer to another tenant carries, other than those the caller sent in the path. */
export function leakedIds(text: string, path: string): string[] {
  return Object.entries(sweep.victim.ids)
    .filter(([kind, id]) => kind !== 'agentKey' && text.includes(id) && !path.includes(id))
    .map(([kind]) => kind);
}

export interface Operation {
  name: string;
  method: string;
  path: string;
  field: string;
  write: boolean;
  public: boolean;
  sse: boolean;
  /** The smallest body the published document accepts (see bodies.ts). */
  body: Record<string, unknown>;
}

export const operations: Operation[] = [
  ...routes.map((r) => ({
    name: `${r.method} ${r.path}`,
    method: r.method,
    path: r.path,
    field: r.field,
    write: r.method !== 'GET' && r.field.startsWith('Mutation.'),
    public: isPublic(r),
    sse: false,
    body: minimalBody(r.method, r.path),
  })),
  ...restStreams.map((s: RestStream) => ({
    name: `${s.method} ${s.path} (SSE)`,
    method: s.method,
    path: s.path,
    field: `Subscription.${s.field}`,
    write: false,
    public: false,
    sse: true,
    body: {},
  })),
];

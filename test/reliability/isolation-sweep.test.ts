/**
 * The isolation sweep (OWASP API1), generated from the route table and the schema's auth scopes:
 * every REST operation and SSE stream is called, with the victim tenant's real ids in its path, by
 * no credential, an expired and a forged token, the other tenant's owner, the other tenant's API key
 * carrying every scope, and (for writes) the victim's viewer. A route added later is swept without a
 * line here; a path parameter the sweep cannot fill fails it until fixtures.ts names its resource.
 *
 * What must hold:
 * - no valid credential: 401 in the error envelope (signed webhooks excepted: the signature is their credential);
 * - another tenant: the answer about the victim's resource is the answer about a resource that does
 *   not exist (same status and body once ids are blanked), never a success; lists carry no victim id;
 * - the victim's viewer writing where the field's scope is not a viewer's: 403;
 * - every refused write leaves every table of the database as it was.
 */
import { randomUUID } from 'node:crypto';
import {
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RestRoute, type RestStream, restStreams, routes } from '../../rest-bridge/routes/index.js';
import { scopesOf } from '../../subgraphs/kernel/scopes.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { type LiveKitDouble, startLiveKitDouble } from '../fakes/livekit.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { runNumbers } from '../kit/voice.js';
import { login } from '../subgraphs/tenancy-kit.js';
import { minimalBody, minimalQuery } from './bodies.js';
import { changedTables, type DigestScope, tableDigests } from './db-digest.js';
import { makeVictim, PARAMETERS, SHARED_PARAMETERS, type Victim } from './fixtures.js';

type AuthScopes = {
  public?: boolean;
  authenticated?: boolean;
  tenantMember?: boolean;
  scope?: string;
} & Record<string, unknown>;

/** `Query.x` / `Mutation.y` → the field's declared auth scopes, from the subgraph schemas. */
const scopesByField = new Map<string, AuthScopes | undefined>();
/** Every query and mutation root field, for the GraphQL half of the sweep. */
const rootFields: { root: 'Query' | 'Mutation'; field: GraphQLField<unknown, unknown> }[] = [];
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
      if (root !== 'Subscription') {
        rootFields.push({ root, field });
      }
    }
  }
}

const isPublic = (route: RestRoute) =>
  Boolean(scopesByField.get(route.field)?.public) || Boolean(route.signed);
const viewerScopes = new Set<string>(scopesOf('viewer'));

/**
 * What a refused request may write: rate-limit counters (a refused request counts against its
 * caller: that is their point) and the last use of the API key that made it.
 */
const BOOKKEEPING: DigestScope = { tables: new Set(['rate_limit']), columns: { api_key: ['lastUsedAt'] } };

let lk: LiveKitDouble;
let openai: FakeOpenAI;
let t: TestStack;
let victim: Victim;
let other: Account;
let otherKey: string;
let expiredToken: string;

/** A token signed by the stack's own key for the victim's owner, expired a minute ago. */
async function expire(token: string): Promise<string> {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
  const { iat: _iat, nbf: _nbf, exp: _exp, iss: _iss, aud, ...rest } = claims;
  return t.stack.kernel.keys.sign(rest, -60, aud as string | string[] | undefined);
}

beforeAll(async () => {
  [lk, openai] = await Promise.all([startLiveKitDouble(), startFakeOpenAI()]);
  t = await bootStack({
    ...lk.env,
    OPENAI_API_KEY: 'test',
    OPENAI_BASE_URL: openai.baseUrl,
    OPENAI_MAX_RETRIES: '0',
    VOICE_AGENT_JOIN_TIMEOUT_MS: '600000',
  });
  const [owner, second] = await Promise.all([t.register(), t.register()]);
  other = second;
  openai.script({ chunks: ['Hello'] });
  victim = await makeVictim(t, owner, runNumbers()('7070'));
  const key = await t.rest<{ key: string }>('POST', `/api/tenants/${other.tenantId}/keys`, {
    token: other.accessToken,
    body: { name: 'every scope', scopes: [...new Set(scopesOf('owner'))] },
  });
  expect(key.status, JSON.stringify(key.body)).toBe(201);
  otherKey = key.body.key;
  expiredToken = await expire(owner.accessToken);
  // Let the fixtures' background work (ingest, chat turn) settle before digests are compared.
  await settle();
}, 120_000);

afterAll(async () => {
  await t?.close();
  await lk?.close();
  await openai?.close();
});

/**
 * Logs the sweep's signed-in callers in again if an operation ended their session (a logout swept
 * as them is their own, and succeeds): every check must run with a credential that works.
 */
async function keepSignedIn(): Promise<void> {
  const works = async (token: string) => (await t.rest('GET', '/api/v1/auth/me', { token })).status === 200;
  if (!(await works(other.accessToken))) {
    other.accessToken = await login(t, other.email);
  }
  if (!(await works(victim.viewer.token))) {
    victim.viewer.token = await login(t, victim.viewer.email);
  }
}

/** Waits until two digests a moment apart agree, naming what keeps changing. */
async function settle(): Promise<void> {
  let last = await tableDigests(t, BOOKKEEPING);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await tableDigests(t, BOOKKEEPING);
    const changed = changedTables(last, now);
    if (changed.length === 0) {
      return;
    }
    last = now;
  }
  throw new Error('the database never settled after the fixtures');
}

interface Filled {
  victimPath: string;
  decoyPath: string;
  /** The victim's ids in the path and the decoy's in its place (blanked when bodies are compared). */
  swaps: [string, string][];
  unknown: string[];
}

/** The path with the victim's ids, and the same path with ids that exist nowhere. */
function fill(method: string, path: string): Filled {
  const swaps: [string, string][] = [];
  const unknown: string[] = [];
  const fillWith = (decoy: boolean) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name in SHARED_PARAMETERS) {
        return name === 'jti' || name === 'request_id' || name === 'invite_id' ? randomUUID() : 'pii';
      }
      const entry = PARAMETERS[name];
      if (!entry) {
        unknown.push(name);
        return 'unknown';
      }
      const kind = typeof entry === 'function' ? entry(path) : entry;
      const id = victim.ids[kind] ?? '';
      if (!decoy) {
        return encodeURIComponent(id);
      }
      const stand = /^[0-9a-f-]{36}$/i.test(id)
        ? randomUUID()
        : `${id.slice(0, 3)}-${randomUUID().slice(0, 8)}`;
      swaps.push([id, stand]);
      return encodeURIComponent(stand);
    });
  const query = minimalQuery(method, path);
  const victimPath = fillWith(false) + query;
  const decoyPath = fillWith(true) + query;
  return { victimPath, decoyPath, swaps, unknown: [...new Set(unknown)] };
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

async function call(
  method: string,
  path: string,
  token: string | null,
  body: Record<string, unknown>,
  sse = false,
): Promise<Answer> {
  const controller = new AbortController();
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      ...(sse ? { accept: 'text/event-stream' } : {}),
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

const isEnvelope = (a: Answer) =>
  typeof (a.json as { error?: unknown })?.error === 'string' &&
  typeof (a.json as { message?: unknown })?.message === 'string';

/** Blanks every victim and decoy id so two answers about different ids compare equal. */
function blank(text: string, swaps: [string, string][]): string {
  let out = text;
  for (const [a, b] of swaps) {
    out = out.split(a).join('<id>').split(b).join('<id>');
  }
  return out;
}

/** The victim's ids that an answer to another tenant carries, other than those the caller sent in the path. */
function leakedIds(text: string, path: string): string[] {
  return Object.entries(victim.ids)
    .filter(([kind, id]) => kind !== 'agentKey' && text.includes(id) && !path.includes(id))
    .map(([kind]) => kind);
}

interface Operation {
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

const operations: Operation[] = [
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

const counts = { operations: operations.length + rootFields.length, requests: 0, refusedWritesChecked: 0 };

/** The plainest value a GraphQL input type accepts (required input fields only). */
function plainValue(type: GraphQLInputType, depth = 0): unknown {
  if (isNonNullType(type)) {
    return plainValue(type.ofType, depth);
  }
  if (isListType(type)) {
    return [];
  }
  if (isEnumType(type)) {
    return type.getValues()[0]?.name;
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined && depth < 8) {
        out[field.name] = plainValue(field.type, depth + 1);
      }
    }
    return out;
  }
  switch (type.name) {
    case 'ID':
      return randomUUID();
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date().toISOString();
    case 'JSON':
      return {};
    default:
      return 'sweep-value';
  }
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * One operation calling the field with every argument that names a resource set to the victim's
 * (or, in `decoy`, to ids that exist nowhere) and every other required argument to its plainest value.
 */
function graphQLRequest(root: 'Query' | 'Mutation', field: GraphQLField<unknown, unknown>) {
  const victimVars: Record<string, unknown> = {};
  const decoyVars: Record<string, unknown> = {};
  const swaps: [string, string][] = [];
  const unknown: string[] = [];
  for (const arg of field.args) {
    const name = snake(arg.name);
    const entry = PARAMETERS[name];
    if (entry) {
      const id = victim.ids[typeof entry === 'function' ? entry(field.name) : entry] ?? '';
      const stand = /^[0-9a-f-]{36}$/i.test(id)
        ? randomUUID()
        : `${id.slice(0, 3)}-${randomUUID().slice(0, 8)}`;
      victimVars[arg.name] = id;
      decoyVars[arg.name] = stand;
      swaps.push([id, stand]);
    } else if (isNonNullType(arg.type)) {
      if (getNamedType(arg.type).name === 'ID' && !(name in SHARED_PARAMETERS)) {
        unknown.push(arg.name);
      }
      const value = plainValue(arg.type);
      victimVars[arg.name] = value;
      decoyVars[arg.name] = value;
    }
  }
  const declared = field.args
    .filter((a) => a.name in victimVars)
    .map((a) => `$${a.name}: ${a.type}`)
    .join(', ');
  const passed = field.args
    .filter((a) => a.name in victimVars)
    .map((a) => `${a.name}: $${a.name}`)
    .join(', ');
  const selection = isCompositeType(getNamedType(field.type)) ? ' { __typename }' : '';
  const query = `${root === 'Query' ? 'query' : 'mutation'} Sweep${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`;
  return { query, victim: victimVars, decoy: decoyVars, swaps, unknown };
}

interface GraphQLAnswer {
  text: string;
  code: string | undefined;
  hasData: boolean;
  refused: boolean;
}

async function gqlCall(
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
): Promise<GraphQLAnswer> {
  const res = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as {
    data?: Record<string, unknown> | null;
    errors?: { extensions?: { code?: string } }[];
  };
  const value = body.data ? Object.values(body.data)[0] : null;
  return {
    text,
    code: body.errors?.[0]?.extensions?.code,
    hasData: value !== null && value !== undefined,
    refused: Boolean(body.errors?.length),
  };
}

/** Calls, and for a write checks that the refusal left the database as it was. */
async function refused(op: Operation, path: string, token: string | null, problems: string[], who: string) {
  const before = op.write ? await tableDigests(t, BOOKKEEPING) : null;
  const answer = await call(op.method, path, token, op.body, op.sse);
  counts.requests++;
  if (before && answer.status >= 400) {
    const changed = changedTables(before, await tableDigests(t, BOOKKEEPING));
    counts.refusedWritesChecked++;
    if (changed.length) {
      problems.push(`${who}: refused (${answer.status}) yet wrote ${changed.join(', ')}`);
    }
  }
  return answer;
}

describe('isolation sweep', () => {
  it('covers every operation: each path parameter names a victim resource or a declared shared one', () => {
    const unfilled = operations.flatMap((op) =>
      fill(op.method, op.path).unknown.map((p) => `${op.name}: {${p}}`),
    );
    expect(unfilled).toEqual([]);
    // A field without authScopes would be open to anyone without saying so: open ones say `public`.
    const undeclared = [...scopesByField].filter(([, scopes]) => !scopes).map(([field]) => field);
    expect(undeclared).toEqual([]);
    const unknownFields = operations.filter((op) => !scopesByField.has(op.field)).map((op) => op.name);
    expect(unknownFields).toEqual([]);
  });

  describe.each(operations)('$name', (op) => {
    it('refuses every credential but the victim tenant’s own, revealing and changing nothing', async () => {
      await keepSignedIn();
      const { victimPath, decoyPath, swaps } = fill(op.method, op.path);
      const problems: string[] = [];
      if (!op.public) {
        for (const [who, token] of [
          ['no credential', null],
          ['an expired token', expiredToken],
          ['a forged token', `${expiredToken.slice(0, -8)}AAAAAAAA`],
        ] as const) {
          const answer = await refused(op, victimPath, token, problems, who);
          if (answer.status !== 401 || !isEnvelope(answer)) {
            problems.push(`${who}: ${answer.status} ${answer.text.slice(0, 160)}`);
          }
        }
      }
      for (const [who, token] of [
        ['the other tenant’s owner', other.accessToken],
        ['the other tenant’s all-scope API key', otherKey],
      ] as const) {
        const answer = await refused(op, victimPath, token, problems, who);
        if (answer.status < 400) {
          await settle(); // its own tenant's success may have work running (a chat turn, an ingest)
        }
        const leaks = leakedIds(answer.text, victimPath);
        if (swaps.length) {
          const decoy = await call(op.method, decoyPath, token, op.body, op.sse);
          counts.requests++;
          if (decoy.status < 400) {
            await settle();
          }
          // A success is fine only where the path names the caller's own namespace (an agent key of
          // its own tenant, say): then it is the same success as for a name nobody uses.
          if (answer.status !== decoy.status || blank(answer.text, swaps) !== blank(decoy.text, swaps)) {
            problems.push(
              `${who}: the victim’s resource answers ${answer.status} ${answer.text.slice(0, 120)}, one that does not exist ${decoy.status} ${decoy.text.slice(0, 120)}`,
            );
          }
        }
        if (leaks.length) {
          problems.push(`${who}: the answer carries the victim’s ${leaks.join(', ')}`);
        }
      }
      const scope = scopesByField.get(op.field)?.scope;
      if (op.write && scope && !viewerScopes.has(scope)) {
        const answer = await refused(op, victimPath, victim.viewer.token, problems, 'the victim’s viewer');
        if (answer.status !== 403 || !isEnvelope(answer)) {
          problems.push(`the victim’s viewer: ${answer.status} ${answer.text.slice(0, 160)}`);
        }
      }
      if (problems.length) {
        throw new Error(`${op.name}:\n${problems.join('\n')}`);
      }
    });
  });

  describe.each(rootFields.map((f) => ({ name: `${f.root}.${f.field.name}`, ...f })))(
    'GraphQL $name',
    (f) => {
      it('refuses every credential but the victim tenant’s own, revealing and changing nothing', async () => {
        await keepSignedIn();
        const problems: string[] = [];
        const scopes = scopesByField.get(f.name);
        const write = f.root === 'Mutation';
        const request = graphQLRequest(f.root, f.field);
        if (request.unknown.length) {
          throw new Error(`${f.name}: no victim resource for ${request.unknown.join(', ')} (fixtures.ts)`);
        }
        const ask = async (variables: Record<string, unknown>, token: string | null, who: string) => {
          const before = write ? await tableDigests(t, BOOKKEEPING) : null;
          const answer = await gqlCall(request.query, variables, token);
          counts.requests++;
          if (before && answer.refused) {
            counts.refusedWritesChecked++;
            const changed = changedTables(before, await tableDigests(t, BOOKKEEPING));
            if (changed.length) {
              problems.push(`${who}: refused (${answer.code}) yet wrote ${changed.join(', ')}`);
            }
          }
          if (!answer.refused) {
            await settle();
          }
          return answer;
        };
        if (!scopes?.public) {
          for (const [who, token] of [
            ['no credential', null],
            ['an expired token', expiredToken],
          ] as const) {
            const answer = await ask(request.victim, token, who);
            if (answer.code !== 'UNAUTHENTICATED' || answer.hasData) {
              problems.push(`${who}: ${answer.text.slice(0, 160)}`);
            }
          }
        }
        for (const [who, token] of [
          ['the other tenant’s owner', other.accessToken],
          ['the other tenant’s all-scope API key', otherKey],
        ] as const) {
          const answer = await ask(request.victim, token, who);
          if (request.swaps.length) {
            const decoy = await ask(request.decoy, token, who);
            if (blank(answer.text, request.swaps) !== blank(decoy.text, request.swaps)) {
              problems.push(
                `${who}: the victim’s resource answers ${answer.text.slice(0, 140)}, one that does not exist ${decoy.text.slice(0, 140)}`,
              );
            }
          }
          const leaks = leakedIds(answer.text, JSON.stringify(request.victim));
          if (leaks.length) {
            problems.push(`${who}: the answer carries the victim’s ${leaks.join(', ')}`);
          }
        }
        if (write && scopes?.scope && !viewerScopes.has(scopes.scope)) {
          const answer = await ask(request.victim, victim.viewer.token, 'the victim’s viewer');
          if (answer.code !== 'FORBIDDEN' || answer.hasData) {
            problems.push(`the victim’s viewer: ${answer.text.slice(0, 160)}`);
          }
        }
        if (problems.length) {
          throw new Error(`${f.name}:\n${problems.join('\n')}`);
        }
      });
    },
  );

  afterAll(() => {
    console.info(
      `isolation sweep: ${counts.operations} operations, ${counts.requests} requests, ${counts.refusedWritesChecked} refused writes checked against the database`,
    );
  });
});

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
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { changedTables, tableDigests } from './db-digest.js';
import { SHARED_PARAMETERS } from './fixtures.js';
import {
  BOOKKEEPING,
  blank,
  call,
  fill,
  isEnvelope,
  keepSignedIn,
  leakedIds,
  type Operation,
  operations,
  rootFields,
  scopesByField,
  settle,
  subscriptionFields,
  sweep,
  useSweepStack,
  victimAndDecoy,
  viewerScopes,
} from './sweep-kit.js';

useSweepStack();

const counts = {
  operations: operations.length + rootFields.length + subscriptionFields.length,
  requests: 0,
  refusedWritesChecked: 0,
};

/** How long a subscription that neither failed nor sent anything is watched. */
const SUBSCRIPTION_WINDOW_MS = 600;

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

/**
 * What an answer shows: an object's scalar fields (those that take no required argument), so an
 * id, a name or a payload of the victim's would be seen; `__typename` of an abstract type.
 */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (isObjectType(type)) {
    const scalars = Object.values(type.getFields())
      .filter((f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)))
      .map((f) => f.name);
    return ` { __typename ${scalars.join(' ')} }`;
  }
  return isCompositeType(type) ? ' { __typename }' : '';
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * One operation calling the field with every argument that names a resource set to the victim's
 * (or, in `decoy`, to ids that exist nowhere) and every other required argument to its plainest value.
 */
function graphQLRequest(root: 'Query' | 'Mutation' | 'Subscription', field: GraphQLField<unknown, unknown>) {
  const victimVars: Record<string, unknown> = {};
  const decoyVars: Record<string, unknown> = {};
  const swaps: [string, string][] = [];
  const unknown: string[] = [];
  for (const arg of field.args) {
    const name = snake(arg.name);
    const found = victimAndDecoy(name, field.name);
    if (found) {
      victimVars[arg.name] = found.id;
      decoyVars[arg.name] = found.decoy;
      swaps.push([found.id, found.decoy]);
    } else if (root === 'Subscription' && arg.name === 'after') {
      // From the start of the stream: a replay is where another tenant's history would show.
      victimVars[arg.name] = '0';
      decoyVars[arg.name] = '0';
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
  const selection = selectionOf(field);
  const query = `${root.toLowerCase()} Sweep${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`;
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
  const res = await fetch(`${sweep.t.url}/graphql`, {
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

/**
 * Subscribes over graphql-ws and watches the first answer: an error (its code), events (their
 * text), or, after the window, an open stream that sent nothing.
 */
async function subscribeOnce(
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
): Promise<GraphQLAnswer> {
  const client = sweep.t.ws(token ?? undefined);
  try {
    return await new Promise<GraphQLAnswer>((resolve) => {
      const events: unknown[] = [];
      let done = false;
      const finish = (answer: GraphQLAnswer) => {
        if (!done) {
          done = true;
          clearTimeout(timer);
          unsubscribe();
          resolve(answer);
        }
      };
      const opened = () =>
        finish({
          text: JSON.stringify({ open: true, events }),
          code: undefined,
          hasData: events.length > 0,
          refused: false,
        });
      const timer = setTimeout(opened, SUBSCRIPTION_WINDOW_MS);
      const unsubscribe = client.subscribe(
        { query, variables },
        {
          next: (value) => {
            const errors = value.errors as { extensions?: { code?: string } }[] | undefined;
            if (errors?.length) {
              finish({
                text: JSON.stringify(value),
                code: errors[0]?.extensions?.code,
                hasData: value.data != null,
                refused: true,
              });
            } else {
              events.push(value.data);
            }
          },
          error: (error) => {
            const errors = Array.isArray(error) ? (error as { extensions?: { code?: string } }[]) : null;
            finish({
              text: JSON.stringify(errors ?? String(error)),
              code: errors?.[0]?.extensions?.code,
              hasData: false,
              refused: true,
            });
          },
          complete: opened,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/**
 * The GraphQL checks both halves share: no valid credential is UNAUTHENTICATED (unless the field is
 * public); another tenant's answers about the victim's ids equal those about ids that exist nowhere
 * and carry no victim id.
 */
async function checkTenancy(
  request: ReturnType<typeof graphQLRequest>,
  open: boolean,
  ask: (variables: Record<string, unknown>, token: string | null, who: string) => Promise<GraphQLAnswer>,
  problems: string[],
): Promise<void> {
  if (!open) {
    for (const [who, token] of [
      ['no credential', null],
      ['an expired token', sweep.expiredToken],
    ] as const) {
      const answer = await ask(request.victim, token, who);
      if (answer.code !== 'UNAUTHENTICATED' || answer.hasData) {
        problems.push(`${who}: ${answer.text.slice(0, 160)}`);
      }
    }
  }
  for (const [who, token] of [
    ['the other tenant’s owner', sweep.other.accessToken],
    ['the other tenant’s all-scope API key', sweep.otherKey],
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
}

/** Calls, and for a write checks that the refusal left the database as it was. */
async function refused(op: Operation, path: string, token: string | null, problems: string[], who: string) {
  const before = op.write ? await tableDigests(sweep.t, BOOKKEEPING) : null;
  const answer = await call(op.method, path, token, op.body, op.sse);
  counts.requests++;
  if (before && answer.status >= 400) {
    const changed = changedTables(before, await tableDigests(sweep.t, BOOKKEEPING));
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
          ['an expired token', sweep.expiredToken],
          ['a forged token', `${sweep.expiredToken.slice(0, -8)}AAAAAAAA`],
        ] as const) {
          const answer = await refused(op, victimPath, token, problems, who);
          if (answer.status !== 401 || !isEnvelope(answer)) {
            problems.push(`${who}: ${answer.status} ${answer.text.slice(0, 160)}`);
          }
        }
      }
      for (const [who, token] of [
        ['the other tenant’s owner', sweep.other.accessToken],
        ['the other tenant’s all-scope API key', sweep.otherKey],
      ] as const) {
        const answer = await refused(op, victimPath, token, problems, who);
        if (op.write && answer.status < 400) {
          await settle(); // its own tenant's success may have work running (a chat turn, an ingest)
        }
        const leaks = leakedIds(answer.text, victimPath);
        if (swaps.length) {
          const decoy = await call(op.method, decoyPath, token, op.body, op.sse);
          counts.requests++;
          if (op.write && decoy.status < 400) {
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
        const answer = await refused(
          op,
          victimPath,
          sweep.victim.viewer.token,
          problems,
          'the victim’s viewer',
        );
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
          const before = write ? await tableDigests(sweep.t, BOOKKEEPING) : null;
          const answer = await gqlCall(request.query, variables, token);
          counts.requests++;
          if (before && answer.refused) {
            counts.refusedWritesChecked++;
            const changed = changedTables(before, await tableDigests(sweep.t, BOOKKEEPING));
            if (changed.length) {
              problems.push(`${who}: refused (${answer.code}) yet wrote ${changed.join(', ')}`);
            }
          }
          if (write && !answer.refused) {
            await settle();
          }
          return answer;
        };
        await checkTenancy(request, Boolean(scopes?.public), ask, problems);
        if (write && scopes?.scope && !viewerScopes.has(scopes.scope)) {
          const answer = await ask(request.victim, sweep.victim.viewer.token, 'the victim’s viewer');
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

  describe.each(subscriptionFields.map((field) => ({ name: `Subscription.${field.name}`, field })))(
    'graphql-ws $name',
    (f) => {
      it('refuses every credential but the victim tenant’s own, streaming none of its events', async () => {
        await keepSignedIn();
        const problems: string[] = [];
        const request = graphQLRequest('Subscription', f.field);
        if (request.unknown.length) {
          throw new Error(`${f.name}: no victim resource for ${request.unknown.join(', ')} (fixtures.ts)`);
        }
        const ask = async (variables: Record<string, unknown>, token: string | null) => {
          counts.requests++;
          return subscribeOnce(request.query, variables, token);
        };
        await checkTenancy(request, Boolean(scopesByField.get(f.name)?.public), ask, problems);
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

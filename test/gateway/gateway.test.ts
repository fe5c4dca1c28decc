import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphs } from '../../subgraphs/registry.js';
import { contractProblems } from '../kit/contract.js';
import { type Account, bootStack, type TestStack, take } from '../kit/stack.js';

let t: TestStack;
let account: Account;

beforeAll(async () => {
  t = await bootStack({ GRAPHQL_MAX_DEPTH: '6', GRAPHQL_MAX_ALIASES: '5', GRAPHQL_MAX_COST: '500' });
  account = await t.register();
});
afterAll(async () => {
  await t?.close();
});

const deep = `{ me { user { conversations { user { conversations { user { conversations { id } } } } } } } }`;
const aliased = `{ ${Array.from({ length: 8 }, (_, i) => `a${i}: me { userId }`).join(' ')} }`;
const costly =
  '{ conversations(limit: 100) { items { user { conversations(limit: 100) { id displayName } } } } }';

describe('GraphQL hardening at the gateway', () => {
  it.each([
    ['depth', deep, 'depth'],
    ['aliases', aliased, 'aliases'],
    ['cost', costly, 'cost'],
  ])('rejects a query over the %s limit before it reaches a subgraph', async (_name, query, word) => {
    const res = await t.gql(query, {}, account.accessToken);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.message).toContain(word);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('applies the same limits to operations over graphql-ws', async () => {
    // graphql-ws answers a validation failure with an `error` message, which the client throws.
    const failure = await take(t.ws(account.accessToken).iterate({ query: aliased }), 1).catch(
      (e: unknown) => e,
    );
    expect(JSON.stringify(failure)).toContain('aliases; the limit is 5');
  });

  it('accepts a reasonable query', async () => {
    const res = await t.gql<{ me: { userId: string } }>('{ me { userId } }', {}, account.accessToken);
    expect(res.data?.me.userId).toBe(account.userId);
  });

  it('blocks simple cross-site requests (CSRF prevention)', async () => {
    const res = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(400);
  });

  it('answers an unknown field with a validation error, not a 500', async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ nope }' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('gateway endpoints', () => {
  it('reports health of every subgraph', async () => {
    const res = await t.rest('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      subgraphs: Object.fromEntries(subgraphs.map((s) => [s.name, 'ok'])),
    });
  });

  it('serves the committed OpenAPI document of the REST face', async () => {
    const res = await t.rest<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(readFileSync('schema/openapi.json', 'utf8')));
    expect(Object.keys(res.body.paths)).toContain('/api/v1/conversations/{conversation_id}/stream');
  });

  it('answers unknown REST paths and methods with the error envelope', async () => {
    const missing = await t.rest('GET', '/api/v1/nope', { token: account.accessToken });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, error: 'NotFound' });
    const malformed = await t.rest('DELETE', '/api/v1/conversations/%E0%A4%A', {
      token: account.accessToken,
    });
    expect(malformed.status).toBe(404);
    const wrongMethod = await t.rest('PATCH', '/api/v1/tenants/settings', {
      token: account.accessToken,
      body: {},
    });
    expect(wrongMethod.status).toBe(405);
  });

  it('answers a query parameter of the wrong type with 422, not a silent default', async () => {
    for (const query of ['include_revoked=maybe', 'limit=ten', 'offset=1.5']) {
      const res = await t.rest('GET', `/api/v1/auth/sessions?${query}`, { token: account.accessToken });
      expect(res.status, query).toBe(422);
      expect(contractProblems('GET', '/api/v1/auth/sessions', 422, res.body)).toEqual([]);
    }
    expect(
      (await t.rest('GET', '/api/v1/auth/sessions?include_revoked=true', { token: account.accessToken }))
        .status,
    ).toBe(200);
  });

  it('refuses an oversize REST body with 413', async () => {
    const res = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: account.accessToken,
      body: { billing_contacts: [], plan_metadata: { big: 'x'.repeat(1_100_000) }, flags: {} },
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, error: 'PayloadTooLarge' });
  });
});

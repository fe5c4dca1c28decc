/**
 * Where a validation detail points: subgraphs name the GraphQL argument path (`['input', 'tenantName']`,
 * `['sessionId']`), REST clients get the legacy loc (`['body', 'tenant_name']`, `['path', 'session_id']`,
 * `['query', 'limit']`), and `type` is the legacy API's word either way.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';
import { makeOperator } from './tenancy-kit.js';

let t: TestStack;
let owner: Account;
let operator: string;

beforeAll(async () => {
  t = await bootStack();
  owner = await t.register();
  operator = await makeOperator(t, await t.register());
});
afterAll(async () => {
  await t?.close();
});

type Detail = { loc: (string | number)[]; msg: string; type: string };
const restDetails = (body: unknown) => (body as { details: Detail[] }).details;
const gqlDetails = (res: { errors?: { extensions?: { code?: string; details?: unknown } }[] }) => {
  expect(res.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  return res.errors?.[0]?.extensions?.details as Detail[];
};

describe('validation locs', () => {
  it('input fields: body fields over REST, input paths over GraphQL', async () => {
    const body = {
      email: `v-${randomUUID()}@example.com`,
      password: 'Correct-Horse-Battery-9',
      accept_terms: true,
    };
    const rest = await t.rest('POST', '/api/v1/auth/register', { body: { ...body, tenant_name: 'x' } });
    expect(rest.status).toBe(422);
    expect(restDetails(rest.body)).toEqual([
      { loc: ['body', 'tenant_name'], msg: expect.any(String), type: 'string_too_short' },
    ]);
    const gql = await t.gql('mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', {
      input: { email: body.email, password: body.password, acceptTerms: true, tenantName: 'x' },
    });
    expect(gqlDetails(gql)).toEqual([
      { loc: ['input', 'tenantName'], msg: expect.any(String), type: 'string_too_short' },
    ]);
  });

  it('path ids: path locs over REST, the argument over GraphQL, one message', async () => {
    const rest = await t.rest('DELETE', '/api/v1/auth/sessions/not-a-uuid', { token: owner.accessToken });
    expect(rest.status).toBe(422);
    const uuid = { msg: 'Input should be a valid UUID.', type: 'uuid_parsing' };
    expect(restDetails(rest.body)).toEqual([{ loc: ['path', 'session_id'], ...uuid }]);
    const gql = await t.gql(
      'mutation { revokeUserSession(sessionId: "not-a-uuid") { revoked } }',
      {},
      owner.accessToken,
    );
    expect(gqlDetails(gql)).toEqual([{ loc: ['sessionId'], ...uuid }]);
    const tenant = await t.rest('GET', '/api/tenants/not-a-uuid', { token: owner.accessToken });
    expect(restDetails(tenant.body)).toEqual([{ loc: ['path', 'tenant_id'], ...uuid }]);
    const key = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/keys/nope`, {
      token: owner.accessToken,
    });
    expect(restDetails(key.body)).toEqual([{ loc: ['path', 'key_id'], ...uuid }]);
  });

  it('query arguments: query locs over REST', async () => {
    const rest = await t.rest('GET', '/api/v1/auth/sessions?limit=0', { token: owner.accessToken });
    expect(rest.status).toBe(422);
    expect(restDetails(rest.body)).toEqual([
      { loc: ['query', 'limit'], msg: expect.any(String), type: 'greater_than_equal' },
    ]);
  });

  it('rules checked outside zod and nested fields keep their REST locs', async () => {
    const owned = await t.rest('POST', '/api/tenants', {
      token: operator,
      body: { name: 'Fine name', owner_email: `nobody-${randomUUID()}@example.com` },
    });
    expect(owned.status).toBe(422);
    expect(restDetails(owned.body)).toEqual([
      { loc: ['body', 'owner_email'], msg: 'No user has this email.', type: 'value_error' },
    ]);
    const settings = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: owner.accessToken,
      body: {
        billing_contacts: [{ name: 'Ada', email: 'not-an-email' }],
        plan_metadata: {},
        flags: {},
      },
    });
    expect(settings.status).toBe(422);
    expect(restDetails(settings.body)).toEqual([
      { loc: ['body', 'billing_contacts', 0, 'email'], msg: expect.any(String), type: 'value_error' },
    ]);
    const weak = await t.rest('POST', '/api/v1/auth/register', {
      body: {
        email: `w-${randomUUID()}@example.com`,
        password: 'short',
        tenant_name: 'Fine',
        accept_terms: true,
      },
    });
    expect(weak.status).toBe(422);
    expect(restDetails(weak.body).every((d) => d.loc.join('.') === 'body.password')).toBe(true);
  });
});

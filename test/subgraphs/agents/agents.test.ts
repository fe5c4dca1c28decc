/** Agents of a tenant: create and read over REST and GraphQL, roles and the second tenant. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { shapeProblems, tenantWithRoles } from '../tenancy-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;

beforeAll(async () => {
  t = await bootStack();
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

describe('agents', () => {
  it('creates an agent (201) and reads it back; a taken key answers 409', async () => {
    const { owner } = tenants;
    const created = await t.rest<{ id: string; key: string; status: string }>(
      'POST',
      `/api/tenants/${owner.tenantId}/agents`,
      { token: owner.accessToken, body: { key: 'support', display_name: 'Support', description: 'Helps' } },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'support', status: 'active', active_binding_id: null });
    expect(shapeProblems('POST', '/api/tenants/{tenant_id}/agents', 201, created.body)).toEqual([]);
    const read = await t.rest('GET', `/api/tenants/${owner.tenantId}/agents/${created.body.id}`, {
      token: owner.accessToken,
    });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const again = await t.rest('POST', `/api/tenants/${owner.tenantId}/agents`, {
      token: owner.accessToken,
      body: { key: 'support', display_name: 'Twice' },
    });
    expect(again.status).toBe(409);
  });

  it('refuses a bad key with the field named, viewers writing (403), and the second tenant (404)', async () => {
    const { owner, other, viewer } = tenants;
    const bad = await t.rest<{ details: { loc: unknown[] }[] }>(
      'POST',
      `/api/tenants/${owner.tenantId}/agents`,
      {
        token: owner.accessToken,
        body: { key: 'Not A Slug', display_name: 'x' },
      },
    );
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d) => d.loc)).toContainEqual(['body', 'key']);
    const denied = await t.rest('POST', `/api/tenants/${owner.tenantId}/agents`, {
      token: viewer.token,
      body: { key: 'viewer-made', display_name: 'x' },
    });
    expect(denied.status).toBe(403);
    const created = await t.rest<{ id: string }>('POST', `/api/tenants/${owner.tenantId}/agents`, {
      token: owner.accessToken,
      body: { key: 'private', display_name: 'Private' },
    });
    const foreign = await t.rest('GET', `/api/tenants/${other.tenantId}/agents/${created.body.id}`, {
      token: other.accessToken,
    });
    expect(foreign.status).toBe(404);
    const intoOther = await t.rest('GET', `/api/tenants/${owner.tenantId}/agents/${created.body.id}`, {
      token: other.accessToken,
    });
    expect(intoOther.status).toBe(404);
    const viewerRead = await t.gql<{ agent: { key: string } }>(
      'query($t: ID!, $a: ID!) { agent(tenantId: $t, agentId: $a) { key status } }',
      { t: owner.tenantId, a: created.body.id },
      viewer.token,
    );
    expect(viewerRead.data?.agent).toEqual({ key: 'private', status: 'ACTIVE' });
  });
});

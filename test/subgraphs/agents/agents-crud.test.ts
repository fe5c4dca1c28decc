/** Agents of a tenant: list (keyset, filters), PATCH, DELETE over REST and GraphQL; roles, API keys, the second tenant. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { shapeProblems, tenantWithRoles } from '../tenancy-kit.js';
import { pinnedBinding } from './agents-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;

beforeAll(async () => {
  t = await bootStack();
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.stack.kernel.database.prisma;
const AGENTS = '/api/tenants/{tenant_id}/agents';
const AGENT = '/api/tenants/{tenant_id}/agents/{agent_id}';

type AgentBody = {
  id: string;
  key: string;
  display_name: string;
  description: string;
  status: string;
  overrides_builtin: boolean;
};
type PageBody = { items: AgentBody[]; next_cursor: string | null };

async function create(
  body: Record<string, unknown>,
  token = tenants.owner.accessToken,
  tenantId = tenants.owner.tenantId,
) {
  const res = await t.rest<AgentBody>('POST', `/api/tenants/${tenantId}/agents`, { token, body });
  expect(res.status).toBe(201);
  return res.body;
}

async function apiKey(scopes: string[]): Promise<string> {
  const res = await t.rest<{ key: string }>('POST', `/api/tenants/${tenants.owner.tenantId}/keys`, {
    token: tenants.owner.accessToken,
    body: { name: `agents ${scopes.join(' ')}`, scopes },
  });
  expect(res.status).toBe(201);
  return res.body.key;
}

describe('listing agents', () => {
  it('pages newest first with a keyset cursor, filters by status and search; bad input is 4xx', async () => {
    const { owner } = tenants;
    const tag = randomUUID().slice(0, 8);
    const made: AgentBody[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await create({
          key: `page-${tag}-${i}`,
          display_name: `Pager ${i}`,
          description: i === 3 ? `Finds ZEBRA-${tag} things` : 'plain',
          status: i % 2 ? 'inactive' : 'active',
        }),
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `?limit=2&search=page-${tag}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.rest<PageBody>('GET', `/api/tenants/${owner.tenantId}/agents${q}`, {
        token: owner.accessToken,
      });
      expect(res.status).toBe(200);
      expect(shapeProblems('GET', AGENTS, 200, res.body)).toEqual([]);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((a) => a.key));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(made.map((a) => a.key).reverse());

    const inactive = await t.rest<PageBody>(
      'GET',
      `/api/tenants/${owner.tenantId}/agents?status=inactive&search=page-${tag}`,
      { token: owner.accessToken },
    );
    expect(inactive.body.items.map((a) => a.key).sort()).toEqual([`page-${tag}-1`, `page-${tag}-3`]);
    const described = await t.rest<PageBody>(
      'GET',
      `/api/tenants/${owner.tenantId}/agents?search=zebra-${tag}`,
      {
        token: owner.accessToken,
      },
    );
    expect(described.body.items.map((a) => a.key)).toEqual([`page-${tag}-3`]);

    const gql = await t.gql<{
      agents: { items: { key: string; status: string }[]; nextCursor: string | null };
    }>(
      'query($t: ID!, $s: String) { agents(tenantId: $t, search: $s, status: ACTIVE, limit: 10) { items { key status } nextCursor } }',
      { t: owner.tenantId, s: `page-${tag}` },
      owner.accessToken,
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.agents.items.map((a) => a.key)).toEqual([
      `page-${tag}-4`,
      `page-${tag}-2`,
      `page-${tag}-0`,
    ]);
    expect(gql.data?.agents.nextCursor).toBeNull();

    for (const [query, status] of [
      ['?cursor=not-a-cursor', 400],
      ['?limit=0', 422],
      ['?limit=101', 422],
      ['?status=sleeping', 422],
      [`?search=${'x'.repeat(257)}`, 422],
    ] as const) {
      const bad = await t.rest<{ success: boolean }>('GET', `/api/tenants/${owner.tenantId}/agents${query}`, {
        token: owner.accessToken,
      });
      expect(bad.status, query).toBe(status);
      expect(bad.body.success).toBe(false);
      expect(shapeProblems('GET', AGENTS, status, bad.body)).toEqual([]);
    }
  });

  it('never shows another tenant’s agents; naming another tenant is 404', async () => {
    const { owner, other } = tenants;
    const theirs = await create(
      { key: `theirs-${randomUUID().slice(0, 6)}`, display_name: 'Theirs' },
      other.accessToken,
      other.tenantId,
    );
    const mine = await t.rest<PageBody>('GET', `/api/tenants/${owner.tenantId}/agents?limit=100`, {
      token: owner.accessToken,
    });
    expect(mine.body.items.map((a) => a.id)).not.toContain(theirs.id);
    const foreign = await t.rest('GET', `/api/tenants/${other.tenantId}/agents`, {
      token: owner.accessToken,
    });
    expect(foreign.status).toBe(404);
    expect(shapeProblems('GET', AGENTS, 404, foreign.body)).toEqual([]);
  });
});

describe('changing agents', () => {
  it('PATCH changes display name, description and status; the key is immutable (422)', async () => {
    const { owner, admin } = tenants;
    const agent = await create({
      key: `patch-${randomUUID().slice(0, 6)}`,
      display_name: 'Before',
      description: 'Old',
    });
    const res = await t.rest<AgentBody>('PATCH', `/api/tenants/${owner.tenantId}/agents/${agent.id}`, {
      token: admin.token,
      body: { display_name: 'After', status: 'inactive' },
    });
    expect(res.status).toBe(200);
    expect(shapeProblems('PATCH', AGENT, 200, res.body)).toEqual([]);
    expect(res.body).toMatchObject({
      id: agent.id,
      key: agent.key,
      display_name: 'After',
      description: 'Old',
      status: 'inactive',
    });

    const cleared = await t.gql<{ updateAgent: { description: string; status: string } }>(
      'mutation($t: ID!, $a: ID!) { updateAgent(tenantId: $t, agentId: $a, input: { description: null, status: ACTIVE }) { description status } }',
      { t: owner.tenantId, a: agent.id },
      owner.accessToken,
    );
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data?.updateAgent).toEqual({ description: '', status: 'ACTIVE' });

    const before = await db().agent.findUniqueOrThrow({ where: { id: agent.id } });
    for (const body of [
      { key: 'renamed' },
      { display_name: '' },
      { display_name: null },
      { status: 'sleeping' },
      { description: 'd'.repeat(2001) },
    ]) {
      const bad = await t.rest<{ details: { loc: unknown[] }[] }>(
        'PATCH',
        `/api/tenants/${owner.tenantId}/agents/${agent.id}`,
        { token: owner.accessToken, body },
      );
      expect(bad.status, JSON.stringify(body)).toBe(422);
      expect(shapeProblems('PATCH', AGENT, 422, bad.body)).toEqual([]);
      expect(bad.body.details[0]?.loc[0]).toBe('body');
    }
    expect(await db().agent.findUniqueOrThrow({ where: { id: agent.id } })).toEqual(before);
    const audit = await db().auditEvent.findMany({ where: { targetId: agent.id, action: 'agent.updated' } });
    expect(audit).toHaveLength(2);
  });

  it('DELETE answers 204, cascades bindings and activations, keeps the versions; then 404', async () => {
    const { owner } = tenants;
    const agent = await create({ key: `gone-${randomUUID().slice(0, 6)}`, display_name: 'Doomed' });
    const pinned = await pinnedBinding(t, owner.tenantId, agent.id);
    const res = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/agents/${agent.id}`, {
      token: owner.accessToken,
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(await db().agent.findUnique({ where: { id: agent.id } })).toBeNull();
    expect(await db().agentBinding.count({ where: { agentId: agent.id } })).toBe(0);
    expect(await db().agentBindingTool.count({ where: { bindingId: pinned.bindingId } })).toBe(0);
    expect(await db().agentBindingActivation.count({ where: { agentId: agent.id } })).toBe(0);
    expect(await db().promptVersion.count({ where: { id: pinned.promptVersionId } })).toBe(1);
    expect(await db().toolVersion.count({ where: { id: pinned.toolVersionId } })).toBe(1);
    expect(await db().auditEvent.count({ where: { targetId: agent.id, action: 'agent.deleted' } })).toBe(1);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const after = await t.rest(method, `/api/tenants/${owner.tenantId}/agents/${agent.id}`, {
        token: owner.accessToken,
        ...(method === 'PATCH' ? { body: { display_name: 'x' } } : {}),
      });
      expect(after.status, method).toBe(404);
    }
  });

  it('the second tenant gets 404 for every id of the first and changes nothing', async () => {
    const { owner, other } = tenants;
    const agent = await create({ key: `locked-${randomUUID().slice(0, 6)}`, display_name: 'Locked' });
    const before = await db().agent.findUniqueOrThrow({ where: { id: agent.id } });
    for (const tenantId of [owner.tenantId, other.tenantId]) {
      const read = await t.rest('GET', `/api/tenants/${tenantId}/agents/${agent.id}`, {
        token: other.accessToken,
      });
      expect(read.status).toBe(404);
      const patch = await t.rest('PATCH', `/api/tenants/${tenantId}/agents/${agent.id}`, {
        token: other.accessToken,
        body: { display_name: 'Hijacked' },
      });
      expect(patch.status).toBe(404);
      expect(shapeProblems('PATCH', AGENT, 404, patch.body)).toEqual([]);
      const del = await t.rest('DELETE', `/api/tenants/${tenantId}/agents/${agent.id}`, {
        token: other.accessToken,
      });
      expect(del.status).toBe(404);
    }
    const gql = await t.gql(
      'mutation($t: ID!, $a: ID!) { deleteAgent(tenantId: $t, agentId: $a) }',
      { t: other.tenantId, a: agent.id },
      other.accessToken,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await db().agent.findUniqueOrThrow({ where: { id: agent.id } })).toEqual(before);
  });

  it('viewers and members read but may not write (403); API keys act within their scopes', async () => {
    const { owner, member, viewer } = tenants;
    const agent = await create({ key: `scoped-${randomUUID().slice(0, 6)}`, display_name: 'Scoped' });
    const path = `/api/tenants/${owner.tenantId}/agents`;
    for (const token of [member.token, viewer.token]) {
      expect((await t.rest('GET', path, { token })).status).toBe(200);
      expect((await t.rest('GET', `${path}/${agent.id}`, { token })).status).toBe(200);
      const denied = [
        await t.rest('POST', path, {
          token,
          body: { key: `no-${randomUUID().slice(0, 6)}`, display_name: 'x' },
        }),
        await t.rest('PATCH', `${path}/${agent.id}`, { token, body: { display_name: 'x' } }),
        await t.rest('DELETE', `${path}/${agent.id}`, { token }),
      ];
      expect(denied.map((r) => r.status)).toEqual([403, 403, 403]);
      expect(shapeProblems('PATCH', AGENT, 403, denied[1]?.body)).toEqual([]);
    }

    const reader = await apiKey(['agents:read']);
    const headers = { 'x-api-key': reader };
    const listed = await t.rest<PageBody>('GET', `${path}?limit=100`, { headers });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a) => a.id)).toContain(agent.id);
    expect(
      (await t.rest('PATCH', `${path}/${agent.id}`, { headers, body: { display_name: 'x' } })).status,
    ).toBe(403);
    expect((await t.rest('DELETE', `${path}/${agent.id}`, { headers })).status).toBe(403);
    expect(
      (await t.rest('POST', path, { headers, body: { key: 'by-reader', display_name: 'x' } })).status,
    ).toBe(403);

    const writer = await apiKey(['agents:read', 'agents:write']);
    const w = { 'x-api-key': writer };
    const made = await t.rest<AgentBody>('POST', path, {
      headers: w,
      body: { key: `by-key-${randomUUID().slice(0, 6)}`, display_name: 'By key' },
    });
    expect(made.status).toBe(201);
    const patched = await t.rest<AgentBody>('PATCH', `${path}/${made.body.id}`, {
      headers: w,
      body: { display_name: 'Renamed by key' },
    });
    expect(patched.body.display_name).toBe('Renamed by key');
    expect((await t.rest('DELETE', `${path}/${made.body.id}`, { headers: w })).status).toBe(204);
    expect(await db().agent.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({
      displayName: 'Scoped',
    });
  });
});

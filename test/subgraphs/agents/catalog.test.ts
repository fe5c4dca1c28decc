/** The legacy catalog (/api/v1/agents, /agents/{name}/status, /tools), built-ins and overrides, and the agent resolver. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS } from '../../../subgraphs/agents/catalog/builtin-agents.js';
import { resolveAgent } from '../../../subgraphs/agents/catalog/resolve-agent.js';
import { contractProblems } from '../../kit/contract.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';
import { pinnedBinding } from './agents-kit.js';

let t: TestStack;
let fresh: Account;
let owner: Account;

beforeAll(async () => {
  t = await bootStack();
  [fresh, owner] = await Promise.all([t.register(), t.register()]);
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.stack.kernel.database.prisma;

type Summary = {
  name: string;
  status: string;
  display_name: string;
  description: string;
  model: string | null;
  output_schema: unknown;
  last_seen_at: string | null;
  tooling: Record<string, boolean>;
};
type ListBody = { items: Summary[]; next_cursor: string | null; total: number };
type ToolsBody = {
  total_tools: number;
  tool_names: string[];
  categories: string[];
  per_agent: Record<string, string[]>;
};

async function list(token: string, query = '') {
  const res = await t.rest<ListBody>('GET', `/api/v1/agents${query}`, { token });
  expect(contractProblems('GET', '/api/v1/agents', res.status, res.body)).toEqual([]);
  return res;
}

async function createAgent(account: Account, body: Record<string, unknown>) {
  const res = await t.rest<{ id: string }>('POST', `/api/tenants/${account.tenantId}/agents`, {
    token: account.accessToken,
    body,
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

const BUILTIN_ORDER = [...BUILTIN_AGENTS]
  .sort((a, b) => a.displayName.toLowerCase().localeCompare(b.displayName.toLowerCase()))
  .map((a) => a.key);

describe('GET /api/v1/agents', () => {
  it('a new tenant sees the built-ins, in the legacy order, with their model and tooling', async () => {
    const res = await list(fresh.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.items.map((a) => a.name)).toEqual(BUILTIN_ORDER);
    expect(res.body.total).toBe(BUILTIN_AGENTS.length);
    expect(res.body.next_cursor).toBeNull();
    const triage = res.body.items.find((a) => a.name === 'triage');
    expect(triage).toEqual({
      name: 'triage',
      status: 'active',
      output_schema: null,
      display_name: 'Triage Assistant',
      description: expect.any(String),
      model: 'gpt-4.1-mini',
      tooling: {
        supports_code_interpreter: false,
        supports_file_search: true,
        supports_image_generation: false,
        supports_web_search: false,
      },
      last_seen_at: null,
    });
    expect(res.body.items.find((a) => a.name === 'code_assistant')?.tooling.supports_code_interpreter).toBe(
      true,
    );
  });

  it('merges the tenant’s agents with the built-ins it has not overridden; other tenants never see them', async () => {
    const tag = randomUUID().slice(0, 6);
    await createAgent(owner, {
      key: `support-${tag}`,
      display_name: 'Acme Support',
      description: 'Answers tickets',
    });
    await createAgent(owner, { key: 'triage', display_name: 'Acme Front Desk', status: 'inactive' });
    const res = await list(owner.accessToken);
    expect(res.status).toBe(200);
    const names = res.body.items.map((a) => a.name);
    expect(names.filter((n) => n === 'triage')).toHaveLength(1);
    expect(res.body.items.find((a) => a.name === 'triage')).toMatchObject({
      display_name: 'Acme Front Desk',
      status: 'inactive',
      model: 'gpt-4.1-mini', // no binding yet: the built-in it overrides configures it
    });
    // Sorted by lowercased display name: "acme front desk" < "acme support" < "code assistant" …
    expect(names.slice(0, 3)).toEqual(['triage', `support-${tag}`, 'code_assistant']);
    expect(res.body.total).toBe(BUILTIN_AGENTS.length + 1);

    const elsewhere = await list(fresh.accessToken);
    expect(elsewhere.body.items.map((a) => a.name)).toEqual(BUILTIN_ORDER);
    expect(elsewhere.body.items.find((a) => a.name === 'triage')?.display_name).toBe('Triage Assistant');
  });

  it('pages with an opaque cursor, searches, and refuses bad input (400, 422)', async () => {
    const all = await list(owner.accessToken, '?limit=100');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof list>> = await list(
        owner.accessToken,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      expect(res.body.total).toBe(all.body.total);
      seen.push(...res.body.items.map((a) => a.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((a) => a.name));

    const search = await list(owner.accessToken, '?search=TICKETS');
    expect(search.body.items.map((a) => a.name)).toEqual([expect.stringMatching(/^support-/)]);
    expect(search.body.total).toBe(1);
    const byKey = await list(owner.accessToken, '?search=code_ass');
    expect(byKey.body.items.map((a) => a.name)).toEqual(['code_assistant']);

    const bad = await list(owner.accessToken, '?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, message: 'Invalid pagination cursor' });
    for (const query of ['?limit=0', '?limit=101', '?search=', `?search=${'s'.repeat(257)}`]) {
      const invalid = await list(owner.accessToken, query);
      expect(invalid.status, query).toBe(422);
    }
  });

  it('needs tools:read: an API key without it is 403, with it sees its tenant’s catalog; no token is 401', async () => {
    const key = async (scopes: string[]) =>
      (
        await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
          token: owner.accessToken,
          body: { name: `catalog ${scopes.join(' ')}`, scopes },
        })
      ).body.key;
    const noTools = await t.rest('GET', '/api/v1/agents', {
      headers: { 'x-api-key': await key(['agents:read']) },
    });
    expect(noTools.status).toBe(403);
    expect(contractProblems('GET', '/api/v1/agents', 403, noTools.body)).toEqual([]);
    const tools = await t.rest<ListBody>('GET', '/api/v1/agents', {
      headers: { 'x-api-key': await key(['tools:read']) },
    });
    expect(tools.status).toBe(200);
    expect(tools.body.items.find((a) => a.name === 'triage')?.display_name).toBe('Acme Front Desk');
    const anonymous = await t.rest('GET', '/api/v1/tools');
    expect(anonymous.status).toBe(401);
    expect(contractProblems('GET', '/api/v1/tools', 401, anonymous.body)).toEqual([]);
  });
});

describe('GET /api/v1/agents/{agent_name}/status', () => {
  it('answers the tenant’s agent, else the built-in; unknown is 404', async () => {
    const path = '/api/v1/agents/{agent_name}/status';
    const builtin = await t.rest('GET', '/api/v1/agents/researcher/status', { token: owner.accessToken });
    expect(builtin.status).toBe(200);
    expect(contractProblems('GET', path, 200, builtin.body)).toEqual([]);
    expect(builtin.body).toEqual({
      name: 'researcher',
      status: 'active',
      output_schema: null,
      last_used: null,
      total_conversations: 0,
      tooling: {
        supports_code_interpreter: false,
        supports_file_search: true,
        supports_image_generation: false,
        supports_web_search: true,
      },
    });
    const overridden = await t.rest<{ status: string }>('GET', '/api/v1/agents/triage/status', {
      token: owner.accessToken,
    });
    expect(overridden.body.status).toBe('inactive');
    const plain = await t.rest<{ status: string }>('GET', '/api/v1/agents/triage/status', {
      token: fresh.accessToken,
    });
    expect(plain.body.status).toBe('active');

    const unknown = await t.rest('GET', '/api/v1/agents/nope/status', { token: owner.accessToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ success: false, message: "Agent 'nope' not found" });
    expect(contractProblems('GET', path, 404, unknown.body)).toEqual([]);
    const ownAgent = (await list(owner.accessToken, '?search=tickets')).body.items[0]?.name as string;
    const foreign = await t.rest('GET', `/api/v1/agents/${ownAgent}/status`, { token: fresh.accessToken });
    expect(foreign.status).toBe(404);
  });
});

describe('a bound tenant agent and GET /api/v1/tools', () => {
  it('shows the active binding’s model and tools; the tool catalog lists platform, provider and tenant tools', async () => {
    const key = `bound-${randomUUID().slice(0, 6)}`;
    const id = await createAgent(owner, { key, display_name: 'Bound' });
    await pinnedBinding(t, owner.tenantId, id, { model: 'gpt-bound', toolName: `crm_lookup_${key}` });
    await db().agent.update({ where: { id }, data: { lastUsedAt: new Date('2026-01-02T03:04:05Z') } });
    const item = (await list(owner.accessToken, `?search=${key}`)).body.items[0];
    expect(item).toMatchObject({ name: key, model: 'gpt-bound', last_seen_at: '2026-01-02T03:04:05.000Z' });
    const status = await t.rest<{ last_used: string }>('GET', `/api/v1/agents/${key}/status`, {
      token: owner.accessToken,
    });
    expect(status.body.last_used).toBe('2026-01-02T03:04:05.000Z');

    const res = await t.rest<ToolsBody>('GET', '/api/v1/tools', { token: owner.accessToken });
    expect(res.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/tools', 200, res.body)).toEqual([]);
    expect(res.body.total_tools).toBe(res.body.tool_names.length);
    expect(res.body.tool_names).toEqual(
      expect.arrayContaining([
        'knowledge_search',
        'current_time',
        'web_search',
        'code_interpreter',
        `crm_lookup_${key}`,
      ]),
    );
    expect(res.body.categories).toContain('custom');
    expect(res.body.per_agent[key]).toEqual([`crm_lookup_${key}`]);
    expect(res.body.per_agent.triage).toEqual(['current_time', 'knowledge_search']);

    const other = await t.rest<ToolsBody>('GET', '/api/v1/tools', { token: fresh.accessToken });
    expect(other.body.tool_names).not.toContain(`crm_lookup_${key}`);
    expect(other.body.categories).not.toContain('custom');
    expect(Object.keys(other.body.per_agent).sort()).toEqual(BUILTIN_AGENTS.map((a) => a.key).sort());
  });
});

describe('GraphQL: built-ins and overrides', () => {
  it('lists the built-ins with their definition and the caller’s override', async () => {
    const query = `{ builtinAgents { key isDefault tools handoffs prompt { template variables { name required default } }
      runtimeConfig { model maxTurns guardrailPreset } overriddenBy { key displayName overridesBuiltin } } }`;
    type Res = {
      builtinAgents: {
        key: string;
        isDefault: boolean;
        handoffs: string[];
        prompt: { template: string };
        runtimeConfig: { guardrailPreset: string };
        overriddenBy: { key: string; displayName: string; overridesBuiltin: boolean } | null;
      }[];
    };
    const mine = await t.gql<Res>(query, {}, owner.accessToken);
    expect(mine.errors).toBeUndefined();
    const triage = mine.data?.builtinAgents.find((a) => a.key === 'triage');
    expect(triage).toMatchObject({
      isDefault: true,
      handoffs: ['code_assistant', 'researcher'],
      overriddenBy: { key: 'triage', displayName: 'Acme Front Desk', overridesBuiltin: true },
    });
    expect(triage?.prompt.template).toContain('{{user_name}}');
    expect(mine.data?.builtinAgents.find((a) => a.key === 'researcher')?.overriddenBy).toBeNull();
    const theirs = await t.gql<Res>(query, {}, fresh.accessToken);
    expect(theirs.data?.builtinAgents.every((a) => a.overriddenBy === null)).toBe(true);

    const catalog = await t.gql<{
      agentCatalog: { total: number; items: { name: string; source: string }[] };
    }>('{ agentCatalog(limit: 100) { total items { name source } } }', {}, owner.accessToken);
    expect(catalog.data?.agentCatalog.items.find((a) => a.name === 'triage')?.source).toBe('TENANT');
    expect(catalog.data?.agentCatalog.items.find((a) => a.name === 'researcher')?.source).toBe('BUILTIN');
  });
});

describe('resolveAgent (for the chat runtime)', () => {
  it('the tenant’s agent wins; unknown or inactive keys fall back to triage', async () => {
    const freshBuiltin = await resolveAgent(db(), fresh.tenantId, 'researcher');
    expect(freshBuiltin).toMatchObject({ source: 'builtin', key: 'researcher', fellBack: false });
    expect((await resolveAgent(db(), fresh.tenantId, null)).builtin?.key).toBe('triage');
    expect(await resolveAgent(db(), fresh.tenantId, 'nope')).toMatchObject({
      source: 'builtin',
      key: 'triage',
      requestedKey: 'nope',
      fellBack: true,
    });

    // The owner's triage override is inactive: the built-in triage answers instead.
    expect(await resolveAgent(db(), owner.tenantId, 'triage')).toMatchObject({
      source: 'builtin',
      key: 'triage',
      fellBack: true,
    });
    const triage = await db().agent.findFirstOrThrow({ where: { tenantId: owner.tenantId, key: 'triage' } });
    await db().agent.update({ where: { id: triage.id }, data: { status: 'active' } });
    const pinned = await pinnedBinding(t, owner.tenantId, triage.id, { model: 'gpt-override' });
    const resolved = await resolveAgent(db(), owner.tenantId, 'unknown-agent');
    expect(resolved).toMatchObject({ source: 'tenant', key: 'triage', fellBack: true });
    expect(resolved.agent?.id).toBe(triage.id);
    expect(resolved.binding?.id).toBe(pinned.bindingId);
    expect(resolved.binding?.runtimeConfigVersion.model).toBe('gpt-override');
    expect(resolved.binding?.tools.map((x) => x.toolVersion.id)).toEqual([pinned.toolVersionId]);
    expect(resolved.builtin?.key).toBe('triage');
    // Another tenant's agents never resolve.
    expect((await resolveAgent(db(), fresh.tenantId, 'triage')).source).toBe('builtin');
  });
});

describe('removing an override', () => {
  it('brings the built-in back in the catalog', async () => {
    const triage = await db().agent.findFirstOrThrow({ where: { tenantId: owner.tenantId, key: 'triage' } });
    const del = await t.rest('DELETE', `/api/tenants/${owner.tenantId}/agents/${triage.id}`, {
      token: owner.accessToken,
    });
    expect(del.status).toBe(204);
    const res = await list(owner.accessToken, '?search=triage');
    expect(res.body.items).toMatchObject([
      { name: 'triage', display_name: 'Triage Assistant', status: 'active' },
    ]);
    expect((await resolveAgent(db(), owner.tenantId, 'triage')).source).toBe('builtin');
  });
});

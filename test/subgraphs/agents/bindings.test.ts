/** Bindings of an agent: create, list, get, activate, delete over REST and GraphQL; pinning rules. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLiveAgentConfig } from '../../../subgraphs/agents/bindings/binding.service.js';
import { openApiProblems } from '../../kit/contract.js';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { tenantWithRoles } from '../tenancy-kit.js';
import {
  type BindingJson,
  bindingBody,
  createAgent,
  insertToolVersions,
  insertVersions,
  type Versions,
} from './bindings-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;
const db = () => t.stack.kernel.database.prisma;

const BINDINGS = '/api/tenants/{tenant_id}/agents/{agent_id}/bindings';
const BINDING = `${BINDINGS}/{binding_id}`;
const ACTIVATE = `${BINDING}/activate`;

beforeAll(async () => {
  t = await bootStack();
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

function paths(tenantId: string, agentId: string) {
  const base = `/api/tenants/${tenantId}/agents/${agentId}/bindings`;
  return { base, one: (id: string) => `${base}/${id}`, activate: (id: string) => `${base}/${id}/activate` };
}

async function createBinding(token: string, tenantId: string, agentId: string, v: Versions, notes?: string) {
  const res = await t.rest<BindingJson>('POST', paths(tenantId, agentId).base, {
    token,
    body: bindingBody(v, notes),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('bindings over REST', () => {
  it('creates, lists, gets, activates, switches back, and deletes only inactive bindings', async () => {
    const { owner } = tenants;
    const agentId = await createAgent(t, owner);
    const p = paths(owner.tenantId, agentId);
    const v1 = await insertVersions(t, owner.tenantId, 3);
    const v2 = await insertVersions(t, owner.tenantId, 1);

    // Tool order is kept as given, not as stored.
    const reversed = { ...v1, toolVersionIds: [...v1.toolVersionIds].reverse() };
    const first = await createBinding(owner.accessToken, owner.tenantId, agentId, reversed, 'first');
    expect(openApiProblems('POST', BINDINGS, 201, first)).toEqual([]);
    expect(first).toMatchObject({
      agent_id: agentId,
      prompt_version_id: v1.promptVersionId,
      tool_version_ids: reversed.toolVersionIds,
      runtime_config_version_id: v1.runtimeConfigVersionId,
      notes: 'first',
      created_by: owner.userId,
      active: false,
    });
    const second = await createBinding(owner.accessToken, owner.tenantId, agentId, v2);

    const list = await t.rest<{ items: BindingJson[]; next_cursor: string | null }>('GET', p.base, {
      token: owner.accessToken,
    });
    expect(list.status).toBe(200);
    expect(openApiProblems('GET', BINDINGS, 200, list.body)).toEqual([]);
    expect(list.body.items.map((b) => b.id)).toEqual([second.id, first.id]);
    const paged = await t.rest<{ items: BindingJson[]; next_cursor: string | null }>(
      'GET',
      `${p.base}?limit=1`,
      { token: owner.accessToken },
    );
    expect(paged.body.items.map((b) => b.id)).toEqual([second.id]);
    const rest = await t.rest<{ items: BindingJson[]; next_cursor: string | null }>(
      'GET',
      `${p.base}?limit=1&cursor=${paged.body.next_cursor}`,
      { token: owner.accessToken },
    );
    expect(rest.body).toMatchObject({ items: [{ id: first.id }], next_cursor: null });
    const badLimit = await t.rest<{ details: { loc: unknown[] }[] }>('GET', `${p.base}?limit=0`, {
      token: owner.accessToken,
    });
    expect(badLimit.status).toBe(422);
    expect(badLimit.body.details.map((d) => d.loc)).toEqual([['query', 'limit']]);
    const badCursor = await t.rest('GET', `${p.base}?cursor=nope`, { token: owner.accessToken });
    expect(badCursor.status).toBe(400);
    expect(openApiProblems('GET', BINDINGS, 400, badCursor.body)).toEqual([]);

    const got = await t.rest<BindingJson>('GET', p.one(first.id), { token: owner.accessToken });
    expect(got.status).toBe(200);
    expect(openApiProblems('GET', BINDING, 200, got.body)).toEqual([]);
    expect(got.body).toEqual(first);

    const activated = await t.rest<BindingJson>('POST', p.activate(first.id), { token: owner.accessToken });
    expect(activated.status).toBe(200);
    expect(openApiProblems('POST', ACTIVATE, 200, activated.body)).toEqual([]);
    expect(activated.body).toEqual({ ...first, active: true });
    const agent = await t.rest<{ active_binding_id: string }>(
      'GET',
      `/api/tenants/${owner.tenantId}/agents/${agentId}`,
      { token: owner.accessToken },
    );
    expect(agent.body.active_binding_id).toBe(first.id);

    // Switch to the second, then back to the first: three activations, each naming the one before.
    expect((await t.rest('POST', p.activate(second.id), { token: owner.accessToken })).status).toBe(200);
    expect((await t.rest('POST', p.activate(first.id), { token: owner.accessToken })).status).toBe(200);
    // Activating the live binding again is a no-op: no history row.
    const again = await t.rest<BindingJson>('POST', p.activate(first.id), { token: owner.accessToken });
    expect(again.status).toBe(200);
    expect(again.body.active).toBe(true);
    const history = await db().agentBindingActivation.findMany({
      where: { agentId },
      orderBy: { activatedAt: 'asc' },
    });
    expect(history.map((h) => [h.previousBindingId, h.bindingId, h.activatedBy])).toEqual([
      [null, first.id, owner.userId],
      [first.id, second.id, owner.userId],
      [second.id, first.id, owner.userId],
    ]);

    const listed = await t.rest<{ items: BindingJson[] }>('GET', p.base, { token: owner.accessToken });
    expect(listed.body.items.map((b) => [b.id, b.active])).toEqual([
      [second.id, false],
      [first.id, true],
    ]);

    // The live binding cannot be deleted; an inactive one can (204), and is gone after.
    const refused = await t.rest<{ success: boolean; message: string }>('DELETE', p.one(first.id), {
      token: owner.accessToken,
    });
    expect(refused.status).toBe(409);
    expect(openApiProblems('DELETE', BINDING, 409, refused.body)).toEqual([]);
    expect(refused.body.message).toContain('active binding');
    const deleted = await t.rest('DELETE', p.one(second.id), { token: owner.accessToken });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    const gone = await t.rest('GET', p.one(second.id), { token: owner.accessToken });
    expect(gone.status).toBe(404);
    expect(openApiProblems('GET', BINDING, 404, gone.body)).toEqual([]);
    expect((await t.rest('DELETE', p.one(second.id), { token: owner.accessToken })).status).toBe(404);
    expect((await t.rest('POST', p.activate(second.id), { token: owner.accessToken })).status).toBe(404);
    expect(await db().agentBindingTool.count({ where: { bindingId: second.id } })).toBe(0);
    // The history keeps the deleted binding's id.
    expect(await db().agentBindingActivation.count({ where: { agentId, bindingId: second.id } })).toBe(1);

    const audit = await db().auditEvent.findMany({
      where: {
        tenantId: owner.tenantId,
        targetType: 'agent_binding',
        targetId: { in: [first.id, second.id] },
      },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => [a.action, a.targetId])).toEqual([
      ['agent.binding.created', first.id],
      ['agent.binding.created', second.id],
      ['agent.binding.activated', first.id],
      ['agent.binding.activated', second.id],
      ['agent.binding.activated', first.id],
      ['agent.binding.deleted', second.id],
    ]);
    expect(audit.every((a) => a.actorId === `user:${owner.userId}`)).toBe(true);
  });

  it('refuses unknown, deleted and foreign versions alike (422 at the field) and changes nothing', async () => {
    const { owner, other } = tenants;
    const agentId = await createAgent(t, owner);
    const p = paths(owner.tenantId, agentId);
    const mine = await insertVersions(t, owner.tenantId, 2);
    const theirs = await insertVersions(t, other.tenantId, 1);
    const before = await db().agentBinding.count({ where: { agentId } });

    type Problem = { details: { loc: (string | number)[]; msg: string; type: string }[] };
    const attempt = async (body: Record<string, unknown>) => {
      const res = await t.rest<Problem>('POST', p.base, { token: owner.accessToken, body });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(openApiProblems('POST', BINDINGS, 422, res.body)).toEqual([]);
      return res.body.details;
    };
    const unknownId = randomUUID();
    const unknown = await attempt({ ...bindingBody(mine), prompt_version_id: unknownId });
    expect(unknown).toEqual([
      {
        loc: ['body', 'prompt_version_id'],
        msg: `No prompt version ${unknownId} in this tenant.`,
        type: 'value_error',
      },
    ]);

    // Another tenant's versions: the same answer as an unknown id (their existence never shows).
    const foreign = await attempt({
      prompt_version_id: theirs.promptVersionId,
      tool_version_ids: [mine.toolVersionIds[0], theirs.toolVersionIds[0]],
      runtime_config_version_id: theirs.runtimeConfigVersionId,
    });
    expect(foreign).toEqual([
      {
        loc: ['body', 'prompt_version_id'],
        msg: `No prompt version ${theirs.promptVersionId} in this tenant.`,
        type: 'value_error',
      },
      {
        loc: ['body', 'tool_version_ids', 1],
        msg: `No tool version ${theirs.toolVersionIds[0]} in this tenant.`,
        type: 'value_error',
      },
      {
        loc: ['body', 'runtime_config_version_id'],
        msg: `No runtime config version ${theirs.runtimeConfigVersionId} in this tenant.`,
        type: 'value_error',
      },
    ]);

    // Deleted versions (rows gone, as the versions' DELETE leaves them): refused the same way.
    const doomed = await insertVersions(t, owner.tenantId, 1);
    await db().promptVersion.delete({ where: { id: doomed.promptVersionId } });
    await db().toolVersion.delete({ where: { id: doomed.toolVersionIds[0] } });
    await db().runtimeConfigVersion.delete({ where: { id: doomed.runtimeConfigVersionId } });
    const deleted = await attempt(bindingBody(doomed));
    expect(deleted.map((d) => [d.loc, d.msg])).toEqual([
      [['body', 'prompt_version_id'], `No prompt version ${doomed.promptVersionId} in this tenant.`],
      [['body', 'tool_version_ids', 0], `No tool version ${doomed.toolVersionIds[0]} in this tenant.`],
      [
        ['body', 'runtime_config_version_id'],
        `No runtime config version ${doomed.runtimeConfigVersionId} in this tenant.`,
      ],
    ]);

    // Tool versions: distinct, one per tool, bounded; ids must be UUIDs.
    const [a] = mine.toolVersionIds;
    const repeated = await attempt({
      ...bindingBody(mine),
      tool_version_ids: [a, mine.toolVersionIds[1], a],
    });
    expect(repeated).toEqual([
      { loc: ['body', 'tool_version_ids', 2], msg: 'Tool version ids must not repeat.', type: 'value_error' },
    ]);
    const [v1, v2] = await insertToolVersions(t, owner.tenantId, `twice-${randomUUID()}`, 2);
    const sameTool = await attempt({ ...bindingBody(mine), tool_version_ids: [v1, v2] });
    expect(sameTool).toEqual([
      {
        loc: ['body', 'tool_version_ids', 1],
        msg: 'Pin at most one version of each tool.',
        type: 'value_error',
      },
    ]);
    const tooMany = await attempt({
      ...bindingBody(mine),
      tool_version_ids: Array.from({ length: 33 }, () => randomUUID()),
    });
    expect(tooMany.map((d) => [d.loc, d.type])).toEqual([[['body', 'tool_version_ids'], 'too_long']]);
    const notUuid = await attempt({ ...bindingBody(mine), runtime_config_version_id: 'nope' });
    expect(notUuid.map((d) => [d.loc, d.type])).toEqual([
      [['body', 'runtime_config_version_id'], 'uuid_parsing'],
    ]);
    const missing = await attempt({ tool_version_ids: [] });
    expect(missing.map((d) => [d.loc, d.type])).toEqual([
      [['body', 'prompt_version_id'], 'missing'],
      [['body', 'runtime_config_version_id'], 'missing'],
    ]);

    const shapes = await Promise.all([
      attempt({ ...bindingBody(mine), extra: 1 }),
      attempt({ ...bindingBody(mine), tool_version_ids: 'x' }),
      attempt({ ...bindingBody(mine), notes: 'n'.repeat(2001) }),
    ]);
    expect(shapes.map((d) => d.map((x) => [x.loc, x.type]))).toEqual([
      [[['body', 'extra'], 'extra_forbidden']],
      [[['body', 'tool_version_ids', 0], 'uuid_parsing']],
      [[['body', 'notes'], 'string_too_long']],
    ]);

    expect(await db().agentBinding.count({ where: { agentId } })).toBe(before);
    // No tools at all is fine.
    const bare = await createBinding(owner.accessToken, owner.tenantId, agentId, {
      ...mine,
      toolVersionIds: [],
    });
    expect(bare.tool_version_ids).toEqual([]);
  });

  it('answers 404 to the second tenant for every id, and for a binding of another agent', async () => {
    const { owner, other } = tenants;
    const agentId = await createAgent(t, owner);
    const siblingId = await createAgent(t, owner);
    const v = await insertVersions(t, owner.tenantId, 1);
    const binding = await createBinding(owner.accessToken, owner.tenantId, agentId, v);
    const siblings = await createBinding(owner.accessToken, owner.tenantId, siblingId, v);
    const theirAgent = await createAgent(t, other);
    const theirVersions = await insertVersions(t, other.tenantId, 1);
    const theirBinding = await createBinding(other.accessToken, other.tenantId, theirAgent, theirVersions);

    const expect404 = async (method: string, path: string, spec: string, token: string, body?: unknown) => {
      const res = await t.rest(method, path, { token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(404);
      expect(openApiProblems(method, spec, 404, res.body)).toEqual([]);
    };
    // The other tenant, naming our tenant, or its own tenant with our ids.
    for (const tenantId of [owner.tenantId, other.tenantId]) {
      const p = paths(tenantId, agentId);
      await expect404('GET', p.base, BINDINGS, other.accessToken);
      await expect404('POST', p.base, BINDINGS, other.accessToken, bindingBody(theirVersions));
      await expect404('GET', p.one(binding.id), BINDING, other.accessToken);
      await expect404('POST', p.activate(binding.id), ACTIVATE, other.accessToken);
      await expect404('DELETE', p.one(binding.id), BINDING, other.accessToken);
    }
    // Their own agent path with our binding id.
    const theirs = paths(other.tenantId, theirAgent);
    await expect404('GET', theirs.one(binding.id), BINDING, other.accessToken);
    await expect404('POST', theirs.activate(binding.id), ACTIVATE, other.accessToken);
    // Our agent's path with a binding of another agent (ours or theirs): 404, nothing changes.
    const p = paths(owner.tenantId, agentId);
    for (const id of [siblings.id, theirBinding.id]) {
      await expect404('GET', p.one(id), BINDING, owner.accessToken);
      await expect404('POST', p.activate(id), ACTIVATE, owner.accessToken);
      await expect404('DELETE', p.one(id), BINDING, owner.accessToken);
    }
    expect(
      await db().agentBinding.count({ where: { id: { in: [siblings.id, theirBinding.id, binding.id] } } }),
    ).toBe(3);
    expect((await db().agent.findUniqueOrThrow({ where: { id: agentId } })).activeBindingId).toBeNull();
    expect(await db().agentBindingActivation.count({ where: { agentId } })).toBe(0);

    // Malformed ids are 422 at the path parameter.
    const bad = await t.rest<{ details: { loc: unknown[] }[] }>('GET', p.one('not-a-uuid'), {
      token: owner.accessToken,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d) => d.loc)).toEqual([['path', 'binding_id']]);

    // GraphQL: the same NOT_FOUND.
    const gql = await t.gql(
      'query($t: ID!, $a: ID!, $b: ID!) { agentBinding(tenantId: $t, agentId: $a, bindingId: $b) { id } }',
      { t: other.tenantId, a: agentId, b: binding.id },
      other.accessToken,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('lets viewers and members read but not write (403); admins write; API keys by scope', async () => {
    const { owner, admin, member, viewer } = tenants;
    const agentId = await createAgent(t, owner);
    const p = paths(owner.tenantId, agentId);
    const v = await insertVersions(t, owner.tenantId, 1);
    const binding = await createBinding(owner.accessToken, owner.tenantId, agentId, v);
    const spare = await createBinding(owner.accessToken, owner.tenantId, agentId, v);

    for (const reader of [viewer, member]) {
      expect((await t.rest('GET', p.base, { token: reader.token })).status).toBe(200);
      expect((await t.rest('GET', p.one(binding.id), { token: reader.token })).status).toBe(200);
      for (const [method, path, body] of [
        ['POST', p.base, bindingBody(v)],
        ['POST', p.activate(binding.id), undefined],
        ['DELETE', p.one(spare.id), undefined],
      ] as const) {
        const res = await t.rest(method, path, { token: reader.token, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path}`).toBe(403);
        const spec = path.endsWith('/activate') ? ACTIVATE : path === p.base ? BINDINGS : BINDING;
        expect(openApiProblems(method, spec, 403, res.body)).toEqual([]);
      }
    }
    expect(await db().agentBinding.count({ where: { agentId } })).toBe(2);
    expect((await db().agent.findUniqueOrThrow({ where: { id: agentId } })).activeBindingId).toBeNull();

    const byAdmin = await createBinding(admin.token, owner.tenantId, agentId, v);
    expect(byAdmin.created_by).toBe(admin.userId);
    expect((await t.rest('POST', p.activate(byAdmin.id), { token: admin.token })).status).toBe(200);

    const key = async (scopes: string[]) => {
      const res = await t.rest<{ key: string }>('POST', `/api/tenants/${owner.tenantId}/keys`, {
        token: owner.accessToken,
        body: { name: scopes.join(' '), scopes },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { 'x-api-key': res.body.key };
    };
    const reader = await key(['agents:read']);
    expect((await t.rest('GET', p.base, { headers: reader })).status).toBe(200);
    expect((await t.rest('POST', p.base, { headers: reader, body: bindingBody(v) })).status).toBe(403);
    expect((await t.rest('POST', p.activate(binding.id), { headers: reader })).status).toBe(403);
    const unrelated = await key(['conversations:read']);
    expect((await t.rest('GET', p.base, { headers: unrelated })).status).toBe(403);
    const writer = await key(['agents:read', 'agents:write']);
    const byKey = await t.rest<BindingJson>('POST', p.base, { headers: writer, body: bindingBody(v) });
    expect(byKey.status).toBe(201);
    expect(byKey.body.created_by).toBeNull();
    expect((await t.rest('POST', p.activate(byKey.body.id), { headers: writer })).status).toBe(200);
    const activation = await db().agentBindingActivation.findFirstOrThrow({
      where: { agentId, bindingId: byKey.body.id },
    });
    expect(activation).toMatchObject({ previousBindingId: byAdmin.id, activatedBy: null });
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: 'agent.binding.activated', targetId: byKey.body.id },
    });
    expect(audit.actorKind).toBe('api-key');
    expect((await t.rest('DELETE', p.one(spare.id), { headers: writer })).status).toBe(204);
  });
});

describe('bindings over GraphQL', () => {
  it('adds activeBinding, bindings and activations (newest first) to Agent', async () => {
    const { owner, viewer } = tenants;
    const agentId = await createAgent(t, owner);
    const v = await insertVersions(t, owner.tenantId, 2);
    const create = await t.gql<{
      createAgentBinding: { id: string; toolVersionIds: string[]; active: boolean };
    }>(
      `mutation($t: ID!, $a: ID!, $i: CreateAgentBindingInput!) {
        createAgentBinding(tenantId: $t, agentId: $a, input: $i) { id toolVersionIds active }
      }`,
      { t: owner.tenantId, a: agentId, i: { ...v, notes: 'via graphql' } },
      owner.accessToken,
    );
    expect(create.errors).toBeUndefined();
    const first = create.data?.createAgentBinding;
    expect(first).toMatchObject({ toolVersionIds: v.toolVersionIds, active: false });
    const second = await createBinding(owner.accessToken, owner.tenantId, agentId, v);

    const activate = (id: string) =>
      t.gql<{ activateAgentBinding: { id: string; active: boolean } }>(
        'mutation($t: ID!, $a: ID!, $b: ID!) { activateAgentBinding(tenantId: $t, agentId: $a, bindingId: $b) { id active } }',
        { t: owner.tenantId, a: agentId, b: id },
        owner.accessToken,
      );
    expect((await activate(first?.id ?? '')).data?.activateAgentBinding).toEqual({
      id: first?.id,
      active: true,
    });
    await activate(second.id);
    await activate(first?.id ?? '');

    type AgentView = {
      agent: {
        activeBindingId: string;
        activeBinding: { id: string; promptVersionId: string; runtimeConfigVersionId: string; notes: string };
        bindings: { items: { id: string; active: boolean }[]; nextCursor: string | null };
        activations: {
          items: {
            bindingId: string;
            previousBindingId: string | null;
            activatedBy: string;
            activatedAt: string;
          }[];
          nextCursor: string | null;
        };
      };
    };
    const query = `query($t: ID!, $a: ID!, $c: String) { agent(tenantId: $t, agentId: $a) {
      activeBindingId
      activeBinding { id promptVersionId runtimeConfigVersionId notes }
      bindings { items { id active } nextCursor }
      activations(limit: 2, cursor: $c) { items { bindingId previousBindingId activatedBy activatedAt } nextCursor }
    } }`;
    const read = await t.gql<AgentView>(query, { t: owner.tenantId, a: agentId }, viewer.token);
    expect(read.errors).toBeUndefined();
    const agent = read.data?.agent;
    expect(agent?.activeBindingId).toBe(first?.id);
    expect(agent?.activeBinding).toEqual({
      id: first?.id,
      promptVersionId: v.promptVersionId,
      runtimeConfigVersionId: v.runtimeConfigVersionId,
      notes: 'via graphql',
    });
    expect(agent?.bindings.items).toEqual([
      { id: second.id, active: false },
      { id: first?.id, active: true },
    ]);
    expect(agent?.activations.items.map((a) => [a.bindingId, a.previousBindingId])).toEqual([
      [first?.id, second.id],
      [second.id, first?.id],
    ]);
    expect(agent?.activations.items[0]?.activatedBy).toBe(owner.userId);
    const older = await t.gql<AgentView>(
      query,
      { t: owner.tenantId, a: agentId, c: agent?.activations.nextCursor },
      viewer.token,
    );
    expect(older.data?.agent.activations).toEqual({
      items: [expect.objectContaining({ bindingId: first?.id, previousBindingId: null })],
      nextCursor: null,
    });

    // Deleting the live binding: CONFLICT; writes need agents:write.
    const del = await t.gql(
      'mutation($t: ID!, $a: ID!, $b: ID!) { deleteAgentBinding(tenantId: $t, agentId: $a, bindingId: $b) }',
      { t: owner.tenantId, a: agentId, b: first?.id },
      owner.accessToken,
    );
    expect(del.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const denied = await t.gql(
      'mutation($t: ID!, $a: ID!, $b: ID!) { activateAgentBinding(tenantId: $t, agentId: $a, bindingId: $b) { id } }',
      { t: owner.tenantId, a: agentId, b: second.id },
      viewer.token,
    );
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('gives the chat runtime the live binding with its version rows, tools in order', async () => {
    const { owner } = tenants;
    const key = `live-${randomUUID().slice(0, 8)}`;
    const agentId = await createAgent(t, owner, key);
    expect(await getLiveAgentConfig(db(), owner.tenantId, { id: agentId })).toBeNull();
    const v = await insertVersions(t, owner.tenantId, 3);
    const order = [v.toolVersionIds[2], v.toolVersionIds[0], v.toolVersionIds[1]] as string[];
    const binding = await createBinding(owner.accessToken, owner.tenantId, agentId, {
      ...v,
      toolVersionIds: order,
    });
    const p = paths(owner.tenantId, agentId);
    expect((await t.rest('POST', p.activate(binding.id), { token: owner.accessToken })).status).toBe(200);

    const live = await getLiveAgentConfig(db(), owner.tenantId, { key });
    expect(live?.agent.id).toBe(agentId);
    expect(live?.binding).toMatchObject({ id: binding.id, toolVersionIds: order, active: true });
    expect(live?.promptVersion).toMatchObject({
      id: v.promptVersionId,
      template: 'You help with {{topic}}.',
    });
    expect(live?.toolVersions.map((tv) => tv.id)).toEqual(order);
    expect(live?.toolVersions.every((tv) => tv.tool.name.startsWith('tool-'))).toBe(true);
    expect(live?.runtimeConfigVersion).toMatchObject({ id: v.runtimeConfigVersionId, model: 'gpt-4o-mini' });
    // Another tenant's id or key finds nothing.
    expect(await getLiveAgentConfig(db(), tenants.other.tenantId, { id: agentId })).toBeNull();
    expect(await getLiveAgentConfig(db(), tenants.other.tenantId, { key })).toBeNull();
    expect(await getLiveAgentConfig(db(), owner.tenantId, { id: 'not-a-uuid' })).toBeNull();

    // The binding's version fields resolve the pinned rows, tools in order.
    const viaGraphql = await t.gql<{
      agentBinding: {
        promptVersion: { id: string };
        toolVersions: { id: string }[];
        runtimeConfigVersion: { id: string };
      };
    }>(
      `query($t: ID!, $a: ID!, $b: ID!) { agentBinding(tenantId: $t, agentId: $a, bindingId: $b) {
        promptVersion { id } toolVersions { id } runtimeConfigVersion { id } } }`,
      { t: owner.tenantId, a: agentId, b: binding.id },
      owner.accessToken,
    );
    expect(viaGraphql.errors).toBeUndefined();
    expect(viaGraphql.data?.agentBinding).toEqual({
      promptVersion: { id: v.promptVersionId },
      toolVersions: order.map((id) => ({ id })),
      runtimeConfigVersion: { id: v.runtimeConfigVersionId },
    });
  });
});

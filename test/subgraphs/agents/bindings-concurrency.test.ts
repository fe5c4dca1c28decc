/**
 * Concurrent activations of one agent's bindings: exactly one ends up live, and the history is one
 * chain (each row names the binding live just before it). Meaningful on PostgreSQL (DATABASE_URL),
 * where the transactions really overlap; on PGlite they are serialised by the single connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { tenantWithRoles } from '../tenancy-kit.js';
import { type BindingJson, bindingBody, createAgent, insertVersions } from './bindings-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;
const db = () => t.stack.kernel.database.prisma;

beforeAll(async () => {
  t = await bootStack();
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

async function setup(count: number) {
  const { owner } = tenants;
  const agentId = await createAgent(t, owner);
  const base = `/api/tenants/${owner.tenantId}/agents/${agentId}/bindings`;
  const v = await insertVersions(t, owner.tenantId, 1);
  const bindings: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await t.rest<BindingJson>('POST', base, { token: owner.accessToken, body: bindingBody(v) });
    expect(res.status).toBe(201);
    bindings.push(res.body.id);
  }
  const activate = (id: string) =>
    t.rest<BindingJson>('POST', `${base}/${id}/activate`, { token: owner.accessToken });
  return { agentId, base, bindings, activate };
}

/** The history in order, checked to be one chain from no binding to the agent's live one. */
async function checkHistory(agentId: string, bindings: string[]) {
  const { owner } = tenants;
  const agent = await db().agent.findUniqueOrThrow({ where: { id: agentId } });
  const history = await db().agentBindingActivation.findMany({
    where: { agentId },
    orderBy: [{ activatedAt: 'asc' }, { id: 'asc' }],
  });
  let live: string | null = null;
  let at = 0;
  for (const row of history) {
    expect(row.previousBindingId).toBe(live);
    expect(row.bindingId).not.toBe(live);
    expect(bindings).toContain(row.bindingId);
    expect(row.activatedAt.getTime()).toBeGreaterThan(at);
    live = row.bindingId;
    at = row.activatedAt.getTime();
  }
  expect(agent.activeBindingId).toBe(live);
  const listed = await t.rest<{ items: BindingJson[] }>(
    'GET',
    `/api/tenants/${owner.tenantId}/agents/${agentId}/bindings`,
    { token: owner.accessToken },
  );
  expect(listed.body.items.filter((b) => b.active).map((b) => b.id)).toEqual([live]);
  // One audit record per history row (no-op activations record neither).
  const audited = await db().auditEvent.count({
    where: { action: 'agent.binding.activated', targetId: { in: bindings } },
  });
  expect(audited).toBe(history.length);
  return history;
}

describe('concurrent activations', () => {
  it('10 activations across 2 bindings leave one live binding and a consistent history', async () => {
    const { agentId, bindings, activate } = await setup(2);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => activate(bindings[i % 2] as string)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.every((r) => r.body.active)).toBe(true);
    const history = await checkHistory(agentId, bindings);
    // At least the first activation changed something; re-activating the live one records nothing.
    expect(history.length).toBeGreaterThanOrEqual(1);
    expect(history.length).toBeLessThanOrEqual(10);
  });

  it('10 activations of 10 different bindings record exactly 10 rows, one chain', async () => {
    const { agentId, bindings, activate } = await setup(10);
    const results = await Promise.all(bindings.map((id) => activate(id)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const history = await checkHistory(agentId, bindings);
    expect(history.length).toBe(10);
    expect(new Set(history.map((h) => h.bindingId))).toEqual(new Set(bindings));
  });

  it('a delete racing activations of the same binding either wins (204) or is refused (409)', async () => {
    const { agentId, base, bindings, activate } = await setup(2);
    const [a, b] = bindings as [string, string];
    expect((await activate(a)).status).toBe(200);
    const { owner } = tenants;
    const [del, act] = await Promise.all([
      t.rest('DELETE', `${base}/${b}`, { token: owner.accessToken }),
      activate(b),
    ]);
    if (del.status === 204) {
      // The delete went first: the activation found no binding.
      expect(act.status).toBe(404);
      expect((await db().agent.findUniqueOrThrow({ where: { id: agentId } })).activeBindingId).toBe(a);
    } else {
      expect(del.status).toBe(409);
      expect(act.status).toBe(200);
      expect((await db().agent.findUniqueOrThrow({ where: { id: agentId } })).activeBindingId).toBe(b);
    }
    await checkHistory(agentId, bindings);
  });
});

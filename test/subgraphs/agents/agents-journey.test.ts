/**
 * The journey end to end, as a new user would do it: a prompt with two versions, a tool, a
 * runtime config, an agent, a binding per prompt version, activate, switch back, the history, and
 * the agent in the legacy catalog — over REST, then read over GraphQL; the second tenant locked out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../../kit/contract.js';
import { type Account, bootStack, type TestStack } from '../../kit/stack.js';

let t: TestStack;
let owner: Account;
let other: Account;

beforeAll(async () => {
  t = await bootStack();
  [owner, other] = await Promise.all([t.register(), t.register()]);
});
afterAll(async () => {
  await t?.close();
});

async function created<T>(path: string, body: unknown): Promise<T> {
  const res = await t.rest<T>('POST', `/api/tenants/${owner.tenantId}${path}`, {
    token: owner.accessToken,
    body,
  });
  expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(201);
  return res.body;
}

describe('an agent from prompt to live binding', () => {
  it('builds, activates, switches back, shows the history and lists the agent; the other tenant sees nothing', async () => {
    const prompt = await created<{ id: string }>('/prompts', { name: 'support-prompt' });
    const v1 = await created<{ id: string; version: number }>(`/prompts/${prompt.id}/versions`, {
      template: 'You help {{customer}} with billing.',
      variables: [{ name: 'customer', required: false, default: 'our customer' }],
    });
    const v2 = await created<{ id: string; version: number }>(`/prompts/${prompt.id}/versions`, {
      template: 'You help {{customer}} with billing and refunds.',
      variables: [{ name: 'customer', required: false, default: 'our customer' }],
      notes: 'refunds',
    });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    const tool = await created<{ id: string }>('/tools', { name: 'clock' });
    const toolVersion = await created<{ id: string }>(`/tools/${tool.id}/versions`, {
      kind: 'builtin',
      description: 'What time it is',
      config: { name: 'current_time' },
    });
    const config = await created<{ id: string }>('/runtime-configs', { name: 'default-runtime' });
    const configVersion = await created<{ id: string }>(`/runtime-configs/${config.id}/versions`, {
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_turns: 6,
      guardrail_preset: 'standard',
    });
    const agent = await created<{ id: string }>('/agents', {
      key: 'billing',
      display_name: 'Billing desk',
      description: 'Answers billing questions',
    });
    const pin = (promptVersionId: string) =>
      created<{ id: string }>(`/agents/${agent.id}/bindings`, {
        prompt_version_id: promptVersionId,
        tool_version_ids: [toolVersion.id],
        runtime_config_version_id: configVersion.id,
      });
    const first = await pin(v1.id);
    const second = await pin(v2.id);
    const activate = (bindingId: string) =>
      t.rest('POST', `/api/tenants/${owner.tenantId}/agents/${agent.id}/bindings/${bindingId}/activate`, {
        token: owner.accessToken,
      });
    expect((await activate(first.id)).status).toBe(200);
    expect((await activate(second.id)).status).toBe(200);
    expect((await activate(first.id)).status).toBe(200); // back to the first prompt version

    const read = await t.gql<{
      agent: {
        activeBinding: { id: string; promptVersion: { version: number; template: string } };
        activations: { items: { bindingId: string; previousBindingId: string | null }[] };
      };
    }>(
      `query($t: ID!, $a: ID!) { agent(tenantId: $t, agentId: $a) {
        activeBinding { id promptVersion { version template } }
        activations { items { bindingId previousBindingId } } } }`,
      { t: owner.tenantId, a: agent.id },
      owner.accessToken,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.agent.activeBinding).toMatchObject({ id: first.id, promptVersion: { version: 1 } });
    expect(read.data?.agent.activations.items).toEqual([
      { bindingId: first.id, previousBindingId: second.id },
      { bindingId: second.id, previousBindingId: first.id },
      { bindingId: first.id, previousBindingId: null },
    ]);

    const catalog = await t.rest<{ items: { name: string; model: string | null }[] }>(
      'GET',
      '/api/v1/agents?search=billing',
      { token: owner.accessToken },
    );
    expect(catalog.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/agents', 200, catalog.body)).toEqual([]);
    expect(catalog.body.items).toContainEqual(
      expect.objectContaining({ name: 'billing', model: 'gpt-4o-mini' }),
    );

    // The second tenant: every id of the first is unknown, and its catalog does not list the agent.
    for (const path of [
      `/agents/${agent.id}`,
      `/agents/${agent.id}/bindings/${first.id}`,
      `/prompts/${prompt.id}/versions/${v2.id}`,
      `/tools/${tool.id}`,
      `/runtime-configs/${config.id}/versions/${configVersion.id}`,
    ]) {
      const foreign = await t.rest('GET', `/api/tenants/${other.tenantId}${path}`, {
        token: other.accessToken,
      });
      expect(foreign.status, path).toBe(404);
      const into = await t.rest('GET', `/api/tenants/${owner.tenantId}${path}`, { token: other.accessToken });
      expect(into.status, path).toBe(404);
    }
    const switched = await t.rest(
      'POST',
      `/api/tenants/${other.tenantId}/agents/${agent.id}/bindings/${second.id}/activate`,
      { token: other.accessToken },
    );
    expect(switched.status).toBe(404);
    const otherCatalog = await t.rest<{ items: { name: string }[] }>('GET', '/api/v1/agents?search=billing', {
      token: other.accessToken,
    });
    expect(otherCatalog.body.items.map((a) => a.name)).not.toContain('billing');
  });
});

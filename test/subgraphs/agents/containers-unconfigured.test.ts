/** Without OPENAI_API_KEY every container operation answers 503 with a clear message and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../../kit/contract.js';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { tenantWithRoles } from '../tenancy-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;

beforeAll(async () => {
  // Blank, not absent: the machine's own environment must not configure a provider here.
  t = await bootStack({ OPENAI_API_KEY: '', OPENAI_BASE_URL: '' });
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

describe('containers without a provider', () => {
  it('answers 503 for every operation, stores nothing, and still refuses viewers (403)', async () => {
    const { owner, viewer } = tenants;
    const id = '00000000-0000-4000-8000-000000000000';
    const operations = [
      ['POST', '/api/v1/containers', '/api/v1/containers', { name: 'x' }],
      ['GET', '/api/v1/containers', '/api/v1/containers', undefined],
      ['GET', `/api/v1/containers/${id}`, '/api/v1/containers/{container_id}', undefined],
      ['DELETE', `/api/v1/containers/${id}`, '/api/v1/containers/{container_id}', undefined],
      [
        'POST',
        '/api/v1/containers/agents/triage/container',
        '/api/v1/containers/agents/{agent_key}/container',
        { container_id: id },
      ],
      [
        'DELETE',
        '/api/v1/containers/agents/triage/container',
        '/api/v1/containers/agents/{agent_key}/container',
        undefined,
      ],
    ] as const;
    for (const [method, path, template, body] of operations) {
      const res = await t.rest<{ error: string; message: string }>(method, path, {
        token: owner.accessToken,
        body,
      });
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(res.body.error).toBe('ServiceUnavailable');
      expect(res.body.message).toMatch(/^Code-interpreter containers need OPENAI_API_KEY/);
      expect(contractProblems(method, template, 503, res.body)).toEqual([]);
    }
    const gql = await t.gql('{ containers { total } }', {}, owner.accessToken);
    expect(gql.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const denied = await t.rest('POST', '/api/v1/containers', { token: viewer.token, body: { name: 'x' } });
    expect(denied.status).toBe(403);
    const db = t.stack.kernel.database.prisma;
    expect(await db.container.count({ where: { tenantId: owner.tenantId } })).toBe(0);
    expect(await db.agentContainerBinding.count({ where: { tenantId: owner.tenantId } })).toBe(0);
  });
});

/** Tools and their versions: JSON Schema parameters, http URL policy and limits, builtins, signing, tenancy. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToolRequest, verifyToolSignature } from '../../../subgraphs/agents/tools/signing.js';
import { parametersProblem } from '../../../subgraphs/agents/tools/tool.service.js';
import { isPrivateAddress, outboundUrlProblem } from '../../../subgraphs/kernel/url-policy.js';
import { bootStack, type TestStack } from '../../kit/stack.js';
import { tenantWithRoles } from '../tenancy-kit.js';
import { apiKey, call, locs, pinBinding, pinnableVersions } from './artifacts-kit.js';

let t: TestStack;
let tenants: Awaited<ReturnType<typeof tenantWithRoles>>;

beforeAll(async () => {
  t = await bootStack();
  tenants = await tenantWithRoles(t);
});
afterAll(async () => {
  await t?.close();
});

const TOOLS = '/api/tenants/{tenant_id}/tools';
const TOOL = '/api/tenants/{tenant_id}/tools/{tool_id}';
const VERSIONS = '/api/tenants/{tenant_id}/tools/{tool_id}/versions';
const VERSION = '/api/tenants/{tenant_id}/tools/{tool_id}/versions/{version_id}';
const SECRET = '/api/tenants/{tenant_id}/tool-signing-secret';
const ROTATE = '/api/tenants/{tenant_id}/tool-signing-secret/rotate';

type Tool = { id: string; name: string; latest_version: number | null };
type Version = {
  id: string;
  version: number;
  kind: string;
  config: Record<string, unknown>;
  parameters: unknown;
};

const weather = {
  kind: 'http',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  config: { url: 'https://203.0.113.10/weather' },
};

async function newTool(account = tenants.owner, firstVersion: unknown = weather) {
  const res = await call<Tool>(
    t,
    'POST',
    TOOLS,
    { tenant_id: account.tenantId },
    {
      token: account.accessToken,
      body: { name: `tool ${randomUUID()}`, ...(firstVersion ? { first_version: firstVersion } : {}) },
    },
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function versionsOf(tool: Tool, account = tenants.owner) {
  const res = await call<{ items: Version[] }>(
    t,
    'GET',
    VERSIONS,
    { tenant_id: account.tenantId, tool_id: tool.id },
    {
      token: account.accessToken,
    },
  );
  return res.body.items;
}

describe('tools over REST', () => {
  it('creates an http tool with defaults filled in, a builtin with the catalog schema, and lists them', async () => {
    const { owner } = tenants;
    const db = t.stack.kernel.database.prisma;
    expect(await db.toolSigningSecret.findUnique({ where: { tenantId: owner.tenantId } })).toBeNull();
    const tool = await newTool();
    expect(tool.latest_version).toBe(1);
    const [v1] = await versionsOf(tool);
    expect(v1).toMatchObject({
      version: 1,
      kind: 'http',
      description: 'Weather for a city',
      parameters: weather.parameters,
      config: {
        url: 'https://203.0.113.10/weather',
        method: 'POST',
        timeout_ms: 10000,
        max_response_bytes: 262144,
      },
    });
    // The first http tool made the tenant's signing secret, sealed at rest.
    const sealed = await db.toolSigningSecret.findUniqueOrThrow({ where: { tenantId: owner.tenantId } });
    expect(sealed.ciphertext).toMatch(/^v1\./);
    const at = { tenant_id: owner.tenantId, tool_id: tool.id };
    const builtin = await call<Version>(t, 'POST', VERSIONS, at, {
      token: owner.accessToken,
      body: { kind: 'builtin', config: { name: 'current_time' } },
    });
    expect(builtin.status).toBe(201);
    expect(builtin.body).toMatchObject({
      version: 2,
      kind: 'builtin',
      config: { name: 'current_time' },
      parameters: { type: 'object', properties: { timezone: { type: 'string' } } },
    });
    const got = await call<Tool>(t, 'GET', TOOL, at, { token: owner.accessToken });
    expect(got.body.latest_version).toBe(2);
    const one = await call(
      t,
      'GET',
      VERSION,
      { ...at, version_id: builtin.body.id },
      { token: owner.accessToken },
    );
    expect(one.body).toEqual(builtin.body);
    const list = await call<{ items: Tool[] }>(
      t,
      'GET',
      TOOLS,
      { tenant_id: owner.tenantId },
      { token: owner.accessToken },
    );
    expect(list.body.items.map((x) => x.id)).toContain(tool.id);
  });

  it('refuses bad schemas, URLs, limits and builtin names with the field named (422)', async () => {
    const { owner } = tenants;
    const tool = await newTool();
    const at = { tenant_id: owner.tenantId, tool_id: tool.id };
    const http = (config: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
      kind: 'http',
      config: { url: 'https://203.0.113.10/x', ...config },
      ...more,
    });
    const cases: [unknown, unknown[]][] = [
      [http({}, { parameters: { type: 'nope' } }), ['body', 'parameters']],
      [http({}, { parameters: { type: 'string' } }), ['body', 'parameters']],
      [
        http({}, { parameters: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } } }),
        ['body', 'parameters'],
      ],
      [http({}, { parameters: [1] }), ['body', 'parameters']],
      [http({ url: 'http://203.0.113.10/x' }), ['body', 'config', 'url']],
      [http({ url: 'https://10.1.2.3/x' }), ['body', 'config', 'url']],
      [http({ url: 'https://127.0.0.1/x' }), ['body', 'config', 'url']],
      [http({ url: 'https://169.254.169.254/latest' }), ['body', 'config', 'url']],
      [http({ url: 'https://[::1]/x' }), ['body', 'config', 'url']],
      [http({ url: 'https://[::ffff:192.168.0.1]/x' }), ['body', 'config', 'url']],
      [http({ url: 'https://localhost/x' }), ['body', 'config', 'url']],
      [http({ url: 'https://user:pw@203.0.113.10/x' }), ['body', 'config', 'url']],
      [http({ url: 'ftp://203.0.113.10/x' }), ['body', 'config', 'url']],
      [http({ url: 'not a url' }), ['body', 'config', 'url']],
      [http({ timeout_ms: 50 }), ['body', 'config', 'timeout_ms']],
      [http({ timeout_ms: 60_000 }), ['body', 'config', 'timeout_ms']],
      [http({ max_response_bytes: 0 }), ['body', 'config', 'max_response_bytes']],
      [http({ max_response_bytes: 2_000_000 }), ['body', 'config', 'max_response_bytes']],
      [http({ surprise: true }), ['body', 'config', 'surprise']],
      [{ kind: 'http', config: {} }, ['body', 'config', 'url']],
      [{ kind: 'builtin', config: { name: 'rm_rf' } }, ['body', 'config', 'name']],
      [{ kind: 'teleport', config: {} }, ['body', 'kind']],
    ];
    for (const [body, loc] of cases) {
      const res = await call(t, 'POST', VERSIONS, at, { token: owner.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(locs(res.body), JSON.stringify(body)).toContainEqual(loc);
    }
    expect((await versionsOf(tool)).map((v) => v.version)).toEqual([1]);
    const inline = await call(
      t,
      'POST',
      TOOLS,
      { tenant_id: owner.tenantId },
      {
        token: owner.accessToken,
        body: { name: `inline ${randomUUID()}`, first_version: http({ url: 'https://192.168.1.1/' }) },
      },
    );
    expect(inline.status).toBe(422);
    expect(locs(inline.body)).toContainEqual(['body', 'first_version', 'config', 'url']);
  });

  it('refuses to delete a pinned tool version (409 naming the binding); an unpinned one is 204', async () => {
    const { owner } = tenants;
    const tool = await newTool();
    const at = { tenant_id: owner.tenantId, tool_id: tool.id };
    const [v1] = (await versionsOf(tool)) as [Version];
    const pins = await pinnableVersions(t, owner.tenantId);
    const pin = await pinBinding(t, owner.tenantId, { ...pins, toolVersionIds: [v1.id] });
    const res = await call<{
      message: string;
      details: { bindings: { binding_id: string; agent_id: string }[] };
    }>(t, 'DELETE', VERSION, { ...at, version_id: v1.id }, { token: owner.accessToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain(pin.bindingId);
    expect(res.body.details.bindings).toEqual([{ binding_id: pin.bindingId, agent_id: pin.agentId }]);
    const v2 = await call<Version>(t, 'POST', VERSIONS, at, { token: owner.accessToken, body: weather });
    const deleted = await call(
      t,
      'DELETE',
      VERSION,
      { ...at, version_id: v2.body.id },
      { token: owner.accessToken },
    );
    expect(deleted.status).toBe(204);
    expect((await versionsOf(tool)).map((v) => v.version)).toEqual([1]);
  });

  it('reads and rotates the signing secret (owners and admins only)', async () => {
    const { owner, admin, member, viewer } = tenants;
    const at = { tenant_id: owner.tenantId };
    const first = await call<{ secret: string; header: string }>(t, 'GET', SECRET, at, {
      token: admin.token,
    });
    expect(first.status).toBe(200);
    expect(first.body.header).toBe('x-agent-signature');
    expect(first.body.secret.length).toBeGreaterThanOrEqual(40);
    const again = await call<{ secret: string }>(t, 'GET', SECRET, at, { token: owner.accessToken });
    expect(again.body.secret).toBe(first.body.secret);
    const rotated = await call<{ secret: string }>(t, 'POST', ROTATE, at, { token: owner.accessToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(first.body.secret);
    const after = await call<{ secret: string }>(t, 'GET', SECRET, at, { token: owner.accessToken });
    expect(after.body.secret).toBe(rotated.body.secret);
    for (const token of [member.token, viewer.token]) {
      expect((await call(t, 'GET', SECRET, at, { token })).status).toBe(403);
      expect((await call(t, 'POST', ROTATE, at, { token })).status).toBe(403);
    }
    expect((await call(t, 'GET', SECRET, at, { token: tenants.other.accessToken })).status).toBe(404);
  });
});

describe('tenancy, roles and API keys', () => {
  it('answers 404 to another tenant for every id, 403 to viewers writing, and API keys by scope', async () => {
    const { owner, other, viewer, member } = tenants;
    const mine = await newTool();
    const [myVersion] = (await versionsOf(mine)) as [Version];
    const theirs = await newTool(other);
    const [theirVersion] = (await versionsOf(theirs, other)) as [Version];
    const tok = other.accessToken;
    const own = { tenant_id: other.tenantId };
    expect((await call(t, 'GET', TOOL, { ...own, tool_id: mine.id }, { token: tok })).status).toBe(404);
    expect((await call(t, 'GET', VERSIONS, { ...own, tool_id: mine.id }, { token: tok })).status).toBe(404);
    expect(
      (
        await call(
          t,
          'GET',
          VERSION,
          { ...own, tool_id: theirs.id, version_id: myVersion.id },
          { token: tok },
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await call(
          t,
          'DELETE',
          VERSION,
          { ...own, tool_id: theirs.id, version_id: myVersion.id },
          { token: tok },
        )
      ).status,
    ).toBe(404);
    expect(
      (await call(t, 'POST', VERSIONS, { ...own, tool_id: mine.id }, { token: tok, body: weather })).status,
    ).toBe(404);
    expect((await call(t, 'GET', TOOLS, { tenant_id: owner.tenantId }, { token: tok })).status).toBe(404);
    expect(
      (
        await call(
          t,
          'GET',
          VERSION,
          { tenant_id: owner.tenantId, tool_id: mine.id, version_id: theirVersion.id },
          {
            token: owner.accessToken,
          },
        )
      ).status,
    ).toBe(404);
    const at = { tenant_id: owner.tenantId, tool_id: mine.id };
    for (const token of [viewer.token, member.token]) {
      expect((await call(t, 'GET', VERSIONS, at, { token })).status).toBe(200);
      expect((await call(t, 'POST', VERSIONS, at, { token, body: weather })).status).toBe(403);
      expect((await call(t, 'DELETE', VERSION, { ...at, version_id: myVersion.id }, { token })).status).toBe(
        403,
      );
    }
    const reader = await apiKey(t, owner.tenantId, owner.accessToken, ['agents:read']);
    const writer = await apiKey(t, owner.tenantId, owner.accessToken, ['agents:write']);
    expect((await call(t, 'POST', VERSIONS, at, { token: reader, body: weather })).status).toBe(403);
    expect((await call(t, 'POST', VERSIONS, at, { token: writer, body: weather })).status).toBe(201);
    const gql = await t.gql<{ tool: { versions: { items: { version: number; kind: string }[] } } }>(
      'query($t: ID!, $id: ID!) { tool(tenantId: $t, toolId: $id) { latestVersion versions { items { version kind } } } }',
      { t: owner.tenantId, id: mine.id },
      reader,
    );
    expect(gql.data?.tool.versions.items).toEqual([
      { version: 2, kind: 'HTTP' },
      { version: 1, kind: 'HTTP' },
    ]);
  });

  it('diffs two tool versions field by field over GraphQL', async () => {
    const { owner } = tenants;
    const tool = await newTool();
    await call(
      t,
      'POST',
      VERSIONS,
      { tenant_id: owner.tenantId, tool_id: tool.id },
      {
        token: owner.accessToken,
        body: { ...weather, config: { ...weather.config, timeout_ms: 2000 } },
      },
    );
    const [v2, v1] = (await versionsOf(tool)) as [Version, Version];
    const diff = await t.gql<{
      artifactVersionDiff: { kind: string; changes: { field: string; from: unknown; to: unknown }[] };
    }>(
      'query($t: ID!, $a: ID!, $b: ID!) { artifactVersionDiff(tenantId: $t, fromVersionId: $a, toVersionId: $b) { kind changes { field from to } templateDiff { op } } }',
      { t: owner.tenantId, a: v1.id, b: v2.id },
      owner.accessToken,
    );
    expect(diff.data?.artifactVersionDiff.kind).toBe('TOOL');
    expect(diff.data?.artifactVersionDiff.changes).toEqual([
      {
        field: 'config',
        from: expect.objectContaining({ timeout_ms: 10000 }),
        to: expect.objectContaining({ timeout_ms: 2000 }),
      },
    ]);
  });
});

describe('signing, URL policy and schema checks (functions)', () => {
  it('signs with HMAC-SHA256 over timestamp and body, and verifies only the exact body within the tolerance', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    const header = signToolRequest('s3cret', '{"city":"Paris"}', now);
    expect(header).toMatch(/^t=1796205600,v1=[0-9a-f]{64}$/);
    expect(verifyToolSignature('s3cret', header, '{"city":"Paris"}', 300, now)).toBe(true);
    expect(verifyToolSignature('s3cret', header, '{"city":"Rome"}', 300, now)).toBe(false);
    expect(verifyToolSignature('other', header, '{"city":"Paris"}', 300, now)).toBe(false);
    expect(
      verifyToolSignature('s3cret', header, '{"city":"Paris"}', 300, new Date(now.getTime() + 301_000)),
    ).toBe(false);
    expect(verifyToolSignature('s3cret', 'garbage', '{}', 300, now)).toBe(false);
  });

  it('allows private and loopback targets only when the deployment does', async () => {
    expect(isPrivateAddress('10.0.0.1')).toBe(true);
    expect(isPrivateAddress('fe80::1')).toBe(true);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(await outboundUrlProblem('https://10.0.0.1/', false)).not.toBeNull();
    expect(await outboundUrlProblem('https://10.0.0.1/', true)).toBeNull();
    expect(await outboundUrlProblem('http://127.0.0.1:8080/hook', false)).not.toBeNull();
    expect(await outboundUrlProblem('http://127.0.0.1:8080/hook', true)).toBeNull();
    expect(await outboundUrlProblem('http://10.0.0.1/hook', true)).not.toBeNull();
    expect(await outboundUrlProblem('https://8.8.8.8/hook', false)).toBeNull();
  });

  it('validates parameters against the JSON Schema meta-schema', () => {
    expect(
      parametersProblem({ type: 'object', properties: { q: { type: 'string', minLength: 1 } } }),
    ).toBeNull();
    expect(parametersProblem({ type: 'object', properties: { q: { minLength: -1 } } })).toMatch(
      /not a valid JSON Schema/,
    );
    expect(parametersProblem({ type: 'object', required: 'q' })).toMatch(/not a valid JSON Schema/);
  });
});

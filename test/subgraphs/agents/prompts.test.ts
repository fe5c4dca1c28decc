/** Prompts and their versions: REST and GraphQL, numbering under concurrency, render, diff, tenancy. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineDiff } from '../../../subgraphs/agents/artifacts/line-diff.js';
import { parseTemplate } from '../../../subgraphs/agents/prompts/template.js';
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

const PROMPTS = '/api/tenants/{tenant_id}/prompts';
const PROMPT = '/api/tenants/{tenant_id}/prompts/{prompt_id}';
const VERSIONS = '/api/tenants/{tenant_id}/prompts/{prompt_id}/versions';
const VERSION = '/api/tenants/{tenant_id}/prompts/{prompt_id}/versions/{version_id}';

type Prompt = { id: string; name: string; latest_version: number | null; tenant_id: string };
type Version = { id: string; version: number; template: string; variables: unknown[]; prompt_id: string };

const greeting = {
  template: 'Hello {{ name }}, welcome to {{company}}.',
  variables: [{ name: 'name' }, { name: 'company', default: 'Acme' }],
  notes: 'first',
};

async function newPrompt(name = `prompt ${randomUUID()}`, firstVersion: unknown = greeting) {
  const { owner } = tenants;
  const res = await call<Prompt>(
    t,
    'POST',
    PROMPTS,
    { tenant_id: owner.tenantId },
    {
      token: owner.accessToken,
      body: { name, description: 'Greets', ...(firstVersion ? { first_version: firstVersion } : {}) },
    },
  );
  expect(res.status).toBe(201);
  return res.body;
}

describe('prompts over REST', () => {
  it('creates a prompt with version 1 inline, adds version 2, lists newest first with a cursor', async () => {
    const { owner } = tenants;
    const p = { tenant_id: owner.tenantId };
    const prompt = await newPrompt('support greeting');
    expect(prompt).toMatchObject({ name: 'support greeting', description: 'Greets', latest_version: 1 });
    const v2 = await call<Version>(
      t,
      'POST',
      VERSIONS,
      { ...p, prompt_id: prompt.id },
      {
        token: owner.accessToken,
        body: { template: 'Hi {{name}}!', variables: [{ name: 'name', required: true }] },
      },
    );
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({
      version: 2,
      prompt_id: prompt.id,
      template: 'Hi {{name}}!',
      variables: [{ name: 'name', required: true, default: null }],
      notes: null,
    });
    const list = await call<{ items: Version[]; next_cursor: string | null }>(
      t,
      'GET',
      VERSIONS,
      { ...p, prompt_id: prompt.id },
      { token: owner.accessToken, query: 'limit=1' },
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((v) => v.version)).toEqual([2]);
    expect(list.body.next_cursor).toEqual(expect.any(String));
    const rest = await call<{ items: Version[]; next_cursor: string | null }>(
      t,
      'GET',
      VERSIONS,
      { ...p, prompt_id: prompt.id },
      { token: owner.accessToken, query: `limit=1&cursor=${list.body.next_cursor}` },
    );
    expect(rest.body.items.map((v) => [v.version, v.variables])).toEqual([
      [
        1,
        [
          { name: 'name', required: true, default: null },
          { name: 'company', required: false, default: 'Acme' },
        ],
      ],
    ]);
    expect(rest.body.next_cursor).toBeNull();
    const one = await call<Version>(
      t,
      'GET',
      VERSION,
      { ...p, prompt_id: prompt.id, version_id: v2.body.id },
      {
        token: owner.accessToken,
      },
    );
    expect(one.body).toEqual(v2.body);
    const got = await call<Prompt>(
      t,
      'GET',
      PROMPT,
      { ...p, prompt_id: prompt.id },
      { token: owner.accessToken },
    );
    expect(got.body.latest_version).toBe(2);
    const all = await call<{ items: Prompt[] }>(t, 'GET', PROMPTS, p, { token: owner.accessToken });
    expect(all.body.items.map((x) => x.id)).toContain(prompt.id);
    expect(all.body.items.every((x) => x.tenant_id === owner.tenantId)).toBe(true);
    const found = await call<{ items: Prompt[] }>(t, 'GET', PROMPTS, p, {
      token: owner.accessToken,
      query: 'search=SUPPORT%20GREET',
    });
    expect(found.body.items.map((x) => x.id)).toEqual([prompt.id]);
    const bad = await call(
      t,
      'GET',
      VERSIONS,
      { ...p, prompt_id: prompt.id },
      {
        token: owner.accessToken,
        query: 'cursor=garbage',
      },
    );
    expect(bad.status).toBe(400);
  });

  it('answers 409 for a name taken in the tenant, not in another tenant', async () => {
    const { owner, other } = tenants;
    await newPrompt('taken name');
    const again = await call(
      t,
      'POST',
      PROMPTS,
      { tenant_id: owner.tenantId },
      {
        token: owner.accessToken,
        body: { name: 'taken name' },
      },
    );
    expect(again.status).toBe(409);
    const elsewhere = await call<Prompt>(
      t,
      'POST',
      PROMPTS,
      { tenant_id: other.tenantId },
      {
        token: other.accessToken,
        body: { name: 'taken name' },
      },
    );
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.latest_version).toBeNull();
  });

  it('refuses invalid templates and declarations with the field named (422), creating nothing', async () => {
    const { owner } = tenants;
    const prompt = await newPrompt();
    const at = { tenant_id: owner.tenantId, prompt_id: prompt.id };
    const cases: [unknown, unknown[]][] = [
      [{ template: 'Hi {{who}}' }, ['body', 'template']],
      [{ template: 'Hi {{name', variables: [{ name: 'name' }] }, ['body', 'template']],
      [{ template: 'Hi {{na me}}', variables: [{ name: 'name' }] }, ['body', 'template']],
      [{ template: 'Hi {{}}' }, ['body', 'template']],
      [{ template: 'Hi {{x}}', variables: [{ name: 'x' }, { name: 'x' }] }, ['body', 'variables', 1, 'name']],
      [{ template: 'Hi', variables: [{ name: 'bad-name' }] }, ['body', 'variables', 0, 'name']],
      [
        { template: 'Hi {{x}}', variables: [{ name: 'x', required: true, default: 'y' }] },
        ['body', 'variables', 0, 'default'],
      ],
      [{ template: '' }, ['body', 'template']],
      [{ variables: [] }, ['body', 'template']],
    ];
    for (const [body, loc] of cases) {
      const res = await call(t, 'POST', VERSIONS, at, { token: owner.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(locs(res.body), JSON.stringify(body)).toContainEqual(loc);
    }
    const inline = await call(
      t,
      'POST',
      PROMPTS,
      { tenant_id: owner.tenantId },
      {
        token: owner.accessToken,
        body: { name: `inline ${randomUUID()}`, first_version: { template: '{{oops}}' } },
      },
    );
    expect(inline.status).toBe(422);
    expect(locs(inline.body)).toContainEqual(['body', 'first_version', 'template']);
    const both = await call(
      t,
      'POST',
      PROMPTS,
      { tenant_id: owner.tenantId },
      {
        token: owner.accessToken,
        body: { name: '', first_version: { template: '{{oops}}' } },
      },
    );
    expect(locs(both.body)).toEqual([
      ['body', 'name'],
      ['body', 'first_version', 'template'],
    ]);
    const list = await call<{ items: Version[] }>(t, 'GET', VERSIONS, at, { token: owner.accessToken });
    expect(list.body.items.map((v) => v.version)).toEqual([1]);
    // JSON in a template is plain text: a lone "}}" is no placeholder.
    const json = await call(t, 'POST', VERSIONS, at, {
      token: owner.accessToken,
      body: { template: 'Answer as {"a": {"b": 1}} for {{name}}', variables: [{ name: 'name' }] },
    });
    expect(json.status).toBe(201);
  });

  it('numbers concurrent versions 2…6 without a conflict, and never reuses a deleted number', async () => {
    const { owner } = tenants;
    const prompt = await newPrompt();
    const at = { tenant_id: owner.tenantId, prompt_id: prompt.id };
    const made = await Promise.all(
      Array.from({ length: 5 }, (_v, i) =>
        call<Version>(t, 'POST', VERSIONS, at, { token: owner.accessToken, body: { template: `Take ${i}` } }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(made.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const newest = made.find((r) => r.body.version === 6)?.body as Version;
    const deleted = await call(
      t,
      'DELETE',
      VERSION,
      { ...at, version_id: newest.id },
      { token: owner.accessToken },
    );
    expect(deleted.status).toBe(204);
    const gone = await call(
      t,
      'GET',
      VERSION,
      { ...at, version_id: newest.id },
      { token: owner.accessToken },
    );
    expect(gone.status).toBe(404);
    const latest = await call<Prompt>(t, 'GET', PROMPT, at, { token: owner.accessToken });
    expect(latest.body.latest_version).toBe(5);
    const next = await call<Version>(t, 'POST', VERSIONS, at, {
      token: owner.accessToken,
      body: { template: 'After' },
    });
    expect(next.body.version).toBe(7);
  });

  it('refuses to delete a pinned version (409 naming the bindings) and changes nothing', async () => {
    const { owner } = tenants;
    const prompt = await newPrompt();
    const at = { tenant_id: owner.tenantId, prompt_id: prompt.id };
    const versions = await call<{ items: Version[] }>(t, 'GET', VERSIONS, at, { token: owner.accessToken });
    const v1 = versions.body.items[0] as Version;
    const pins = await pinnableVersions(t, owner.tenantId);
    const a = await pinBinding(t, owner.tenantId, { ...pins, promptVersionId: v1.id });
    const b = await pinBinding(t, owner.tenantId, { ...pins, promptVersionId: v1.id });
    const res = await call<{ message: string; details: { bindings: { binding_id: string }[] } }>(
      t,
      'DELETE',
      VERSION,
      { ...at, version_id: v1.id },
      { token: owner.accessToken },
    );
    expect(res.status).toBe(409);
    expect(res.body.message).toContain(a.bindingId);
    expect(res.body.message).toContain(b.bindingId);
    expect(res.body.details.bindings.map((x) => x.binding_id).sort()).toEqual(
      [a.bindingId, b.bindingId].sort(),
    );
    const still = await call(t, 'GET', VERSION, { ...at, version_id: v1.id }, { token: owner.accessToken });
    expect(still.status).toBe(200);
  });
});

describe('tenancy, roles and API keys', () => {
  it('answers 404 to another tenant for every id, and for a foreign version under an own prompt', async () => {
    const { owner, other } = tenants;
    const mine = await newPrompt();
    const mineVersions = await call<{ items: Version[] }>(
      t,
      'GET',
      VERSIONS,
      {
        tenant_id: owner.tenantId,
        prompt_id: mine.id,
      },
      { token: owner.accessToken },
    );
    const myVersion = mineVersions.body.items[0] as Version;
    const theirs = await call<Prompt>(
      t,
      'POST',
      PROMPTS,
      { tenant_id: other.tenantId },
      {
        token: other.accessToken,
        body: { name: `theirs ${randomUUID()}`, first_version: { template: 'Theirs' } },
      },
    );
    const theirVersions = await call<{ items: Version[] }>(
      t,
      'GET',
      VERSIONS,
      {
        tenant_id: other.tenantId,
        prompt_id: theirs.body.id,
      },
      { token: other.accessToken },
    );
    const theirVersion = theirVersions.body.items[0] as Version;
    const tok = other.accessToken;
    // The other tenant, in its own tenant path, naming the first tenant's ids.
    const own = { tenant_id: other.tenantId };
    expect((await call(t, 'GET', PROMPT, { ...own, prompt_id: mine.id }, { token: tok })).status).toBe(404);
    expect((await call(t, 'GET', VERSIONS, { ...own, prompt_id: mine.id }, { token: tok })).status).toBe(404);
    expect(
      (
        await call(
          t,
          'GET',
          VERSION,
          { ...own, prompt_id: theirs.body.id, version_id: myVersion.id },
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
          { ...own, prompt_id: theirs.body.id, version_id: myVersion.id },
          { token: tok },
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await call(
          t,
          'POST',
          VERSIONS,
          { ...own, prompt_id: mine.id },
          { token: tok, body: { template: 'x' } },
        )
      ).status,
    ).toBe(404);
    // The other tenant naming the first tenant in the path.
    const first = { tenant_id: owner.tenantId };
    expect((await call(t, 'GET', PROMPTS, first, { token: tok })).status).toBe(404);
    expect((await call(t, 'GET', PROMPT, { ...first, prompt_id: mine.id }, { token: tok })).status).toBe(404);
    expect((await call(t, 'POST', PROMPTS, first, { token: tok, body: { name: 'intrusion' } })).status).toBe(
      404,
    );
    // The owner: another tenant's version under its own prompt path.
    expect(
      (
        await call(
          t,
          'GET',
          VERSION,
          { ...first, prompt_id: mine.id, version_id: theirVersion.id },
          {
            token: owner.accessToken,
          },
        )
      ).status,
    ).toBe(404);
    const render = await t.gql(
      'query($t: ID!, $v: ID!) { renderPrompt(tenantId: $t, versionId: $v) { text } }',
      { t: other.tenantId, v: myVersion.id },
      tok,
    );
    expect(render.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const diff = await t.gql(
      'query($t: ID!, $a: ID!, $b: ID!) { artifactVersionDiff(tenantId: $t, fromVersionId: $a, toVersionId: $b) { kind } }',
      { t: other.tenantId, a: theirVersion.id, b: myVersion.id },
      tok,
    );
    expect(diff.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('lets viewers and members read but not write (403); API keys act by scope', async () => {
    const { owner, viewer, member, admin } = tenants;
    const prompt = await newPrompt();
    const at = { tenant_id: owner.tenantId, prompt_id: prompt.id };
    for (const token of [viewer.token, member.token]) {
      expect((await call(t, 'GET', VERSIONS, at, { token })).status).toBe(200);
      expect((await call(t, 'POST', VERSIONS, at, { token, body: { template: 'x' } })).status).toBe(403);
      expect(
        (await call(t, 'POST', PROMPTS, { tenant_id: owner.tenantId }, { token, body: { name: 'x' } }))
          .status,
      ).toBe(403);
    }
    const byAdmin = await call(t, 'POST', VERSIONS, at, {
      token: admin.token,
      body: { template: 'By admin' },
    });
    expect(byAdmin.status).toBe(201);
    const reader = await apiKey(t, owner.tenantId, owner.accessToken, ['agents:read']);
    const writer = await apiKey(t, owner.tenantId, owner.accessToken, ['agents:read', 'agents:write']);
    const other = await apiKey(t, owner.tenantId, owner.accessToken, ['conversations:read']);
    expect((await call(t, 'GET', VERSIONS, at, { token: reader })).status).toBe(200);
    expect((await call(t, 'GET', VERSIONS, at, { token: other })).status).toBe(403);
    expect((await call(t, 'POST', VERSIONS, at, { token: reader, body: { template: 'x' } })).status).toBe(
      403,
    );
    const byKey = await call<Version & { created_by: string | null }>(t, 'POST', VERSIONS, at, {
      token: writer,
      body: { template: 'By key' },
    });
    expect(byKey.status).toBe(201);
    expect(byKey.body.created_by).toBeNull();
    expect((await call(t, 'GET', VERSIONS, at, {})).status).toBe(401);
  });
});

describe('prompts over GraphQL', () => {
  it('shows version history, renders with defaults, and refuses missing or undeclared variables (422)', async () => {
    const { owner, viewer } = tenants;
    const prompt = await newPrompt();
    await call(
      t,
      'POST',
      VERSIONS,
      { tenant_id: owner.tenantId, prompt_id: prompt.id },
      {
        token: owner.accessToken,
        body: {
          template: 'Hello {{ name }},\nwelcome to {{company}}.\nBye.',
          variables: [{ name: 'name' }, { name: 'company', default: 'Acme' }],
        },
      },
    );
    const history = await t.gql<{
      prompt: { latestVersion: number; versions: { items: { id: string; version: number }[] } };
    }>(
      'query($t: ID!, $p: ID!) { prompt(tenantId: $t, promptId: $p) { latestVersion versions(limit: 10) { items { id version } nextCursor } } }',
      { t: owner.tenantId, p: prompt.id },
      viewer.token,
    );
    expect(history.errors).toBeUndefined();
    const items = history.data?.prompt.versions.items ?? [];
    expect(items.map((v) => v.version)).toEqual([2, 1]);
    const [v2, v1] = items as unknown as [{ id: string }, { id: string }];
    const render = `query($t: ID!, $v: ID!, $vars: JSON) {
      renderPrompt(tenantId: $t, versionId: $v, variables: $vars) { versionId text values } }`;
    const ok = await t.gql<{ renderPrompt: { text: string; values: unknown } }>(
      render,
      { t: owner.tenantId, v: v2.id, vars: { name: 'Ada' } },
      viewer.token,
    );
    expect(ok.data?.renderPrompt).toMatchObject({
      text: 'Hello Ada,\nwelcome to Acme.\nBye.',
      values: { name: 'Ada', company: 'Acme' },
    });
    const missing = await t.gql(
      render,
      { t: owner.tenantId, v: v2.id, vars: { company: 'X' } },
      viewer.token,
    );
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ loc: ['variables', 'name'], type: 'missing' }],
    });
    const extra = await t.gql(
      render,
      { t: owner.tenantId, v: v2.id, vars: { name: 'A', nope: 1 } },
      viewer.token,
    );
    expect(extra.errors?.[0]?.extensions?.details).toEqual([
      expect.objectContaining({ loc: ['variables', 'nope'] }),
    ]);
    const diff = await t.gql<{
      artifactVersionDiff: {
        kind: string;
        fromVersion: number;
        toVersion: number;
        changes: { field: string }[];
        templateDiff: { op: string; text: string }[];
      };
    }>(
      `query($t: ID!, $a: ID!, $b: ID!) { artifactVersionDiff(tenantId: $t, fromVersionId: $a, toVersionId: $b) {
        kind artifactId fromVersion toVersion changes { field from to } templateDiff { op text fromLine toLine } } }`,
      { t: owner.tenantId, a: v1.id, b: v2.id },
      viewer.token,
    );
    expect(diff.errors).toBeUndefined();
    expect(diff.data?.artifactVersionDiff).toMatchObject({ kind: 'PROMPT', fromVersion: 1, toVersion: 2 });
    expect(diff.data?.artifactVersionDiff.changes.map((c) => c.field)).toEqual(['template', 'notes']);
    expect(diff.data?.artifactVersionDiff.templateDiff.map((l) => `${l.op}:${l.text}`)).toEqual([
      'REMOVED:Hello {{ name }}, welcome to {{company}}.',
      'ADDED:Hello {{ name }},',
      'ADDED:welcome to {{company}}.',
      'ADDED:Bye.',
    ]);
    const otherPrompt = await newPrompt();
    const otherVersions = await t.gql<{ prompt: { versions: { items: { id: string }[] } } }>(
      'query($t: ID!, $p: ID!) { prompt(tenantId: $t, promptId: $p) { versions { items { id } } } }',
      { t: owner.tenantId, p: otherPrompt.id },
      viewer.token,
    );
    const across = await t.gql(
      'query($t: ID!, $a: ID!, $b: ID!) { artifactVersionDiff(tenantId: $t, fromVersionId: $a, toVersionId: $b) { kind } }',
      { t: owner.tenantId, a: v1.id, b: otherVersions.data?.prompt.versions.items[0]?.id },
      viewer.token,
    );
    expect(across.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ loc: ['toVersionId'] }],
    });
  });
});

describe('template and diff functions', () => {
  it('parses placeholders and refuses unbalanced or invalid ones', () => {
    expect(parseTemplate('a {{x}} b {{ y_1 }} {"k": {"j": 1}}')).toEqual({
      ok: true,
      placeholders: [
        { name: 'x', start: 2, end: 7 },
        { name: 'y_1', start: 10, end: 19 },
      ],
    });
    expect(parseTemplate('a {{x').ok).toBe(false);
    expect(parseTemplate('a {{1x}}').ok).toBe(false);
    expect(parseTemplate('a {{{x}}}').ok).toBe(false);
  });

  it('diffs lines by longest common subsequence', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd').map((l) => [l.op, l.text, l.fromLine, l.toLine])).toEqual([
      ['equal', 'a', 1, 1],
      ['removed', 'b', 2, null],
      ['equal', 'c', 3, 2],
      ['added', 'd', null, 3],
    ]);
    expect(lineDiff('same', 'same').every((l) => l.op === 'equal')).toBe(true);
  });
});

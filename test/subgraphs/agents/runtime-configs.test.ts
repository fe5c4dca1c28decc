/** Runtime configs and their versions: bounds, guardrail presets, voice settings, pinned 409, tenancy. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const CONFIGS = '/api/tenants/{tenant_id}/runtime-configs';
const CONFIG = '/api/tenants/{tenant_id}/runtime-configs/{config_id}';
const VERSIONS = '/api/tenants/{tenant_id}/runtime-configs/{config_id}/versions';
const VERSION = '/api/tenants/{tenant_id}/runtime-configs/{config_id}/versions/{version_id}';

type Config = { id: string; name: string; latest_version: number | null };
type Version = { id: string; version: number; model: string; runtime_config_id: string };

const voiceAgent = {
  model: 'gpt-4o-mini',
  temperature: 0.3,
  max_output_tokens: 800,
  max_turns: 8,
  memory: { strategy: 'summary', max_messages: 40 },
  guardrail_preset: 'standard',
  voice: {
    stt: { provider: 'deepgram', model: 'nova-2', language: 'en-US' },
    tts: { provider: 'elevenlabs', voice: 'rachel' },
    language: 'en',
    turn_detection: { mode: 'server_vad', silence_ms: 600 },
  },
  notes: 'voice',
};

async function newConfig(account = tenants.owner, firstVersion: unknown = voiceAgent) {
  const res = await call<Config>(
    t,
    'POST',
    CONFIGS,
    { tenant_id: account.tenantId },
    {
      token: account.accessToken,
      body: { name: `config ${randomUUID()}`, ...(firstVersion ? { first_version: firstVersion } : {}) },
    },
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function versionsOf(config: Config, account = tenants.owner) {
  const res = await call<{ items: Version[] }>(
    t,
    'GET',
    VERSIONS,
    { tenant_id: account.tenantId, config_id: config.id },
    { token: account.accessToken },
  );
  return res.body.items;
}

describe('runtime configs over REST', () => {
  it('creates a config with a full voice version, fills defaults in a minimal one, lists newest first', async () => {
    const { owner } = tenants;
    const config = await newConfig();
    expect(config.latest_version).toBe(1);
    const at = { tenant_id: owner.tenantId, config_id: config.id };
    const [v1] = (await versionsOf(config)) as [Version];
    expect(v1).toMatchObject({ ...voiceAgent, version: 1, runtime_config_id: config.id });
    const minimal = await call<Version>(t, 'POST', VERSIONS, at, {
      token: owner.accessToken,
      body: { model: 'claude-3-5-haiku' },
    });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toMatchObject({
      version: 2,
      model: 'claude-3-5-haiku',
      temperature: null,
      max_output_tokens: null,
      max_turns: null,
      memory: { strategy: 'window', max_messages: 20 },
      guardrail_preset: null,
      voice: null,
    });
    expect((await versionsOf(config)).map((v) => v.version)).toEqual([2, 1]);
    const one = await call(
      t,
      'GET',
      VERSION,
      { ...at, version_id: minimal.body.id },
      { token: owner.accessToken },
    );
    expect(one.body).toEqual(minimal.body);
    const got = await call<Config>(t, 'GET', CONFIG, at, { token: owner.accessToken });
    expect(got.body.latest_version).toBe(2);
    const list = await call<{ items: Config[] }>(
      t,
      'GET',
      CONFIGS,
      { tenant_id: owner.tenantId },
      {
        token: owner.accessToken,
        query: 'limit=100',
      },
    );
    expect(list.body.items.map((c) => c.id)).toContain(config.id);
    const taken = await call(
      t,
      'POST',
      CONFIGS,
      { tenant_id: owner.tenantId },
      {
        token: owner.accessToken,
        body: { name: config.name },
      },
    );
    expect(taken.status).toBe(409);
  });

  it('gives two concurrent first versions the numbers 1 and 2', async () => {
    const { owner } = tenants;
    const config = await newConfig(owner, null);
    expect(config.latest_version).toBeNull();
    const at = { tenant_id: owner.tenantId, config_id: config.id };
    const made = await Promise.all(
      ['a', 'b'].map((model) =>
        call<Version>(t, 'POST', VERSIONS, at, { token: owner.accessToken, body: { model } }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual([201, 201]);
    expect(made.map((r) => r.body.version).sort()).toEqual([1, 2]);
  });

  it('refuses out-of-bound numbers, unknown presets and bad voice settings with the field named (422)', async () => {
    const { owner } = tenants;
    const config = await newConfig();
    const at = { tenant_id: owner.tenantId, config_id: config.id };
    const cases: [unknown, unknown[]][] = [
      [{}, ['body', 'model']],
      [{ model: 'has spaces' }, ['body', 'model']],
      [{ model: 'm', temperature: 2.5 }, ['body', 'temperature']],
      [{ model: 'm', temperature: -0.1 }, ['body', 'temperature']],
      [{ model: 'm', max_output_tokens: 0 }, ['body', 'max_output_tokens']],
      [{ model: 'm', max_output_tokens: 200_000 }, ['body', 'max_output_tokens']],
      [{ model: 'm', max_turns: 101 }, ['body', 'max_turns']],
      [{ model: 'm', memory: { max_messages: 0 } }, ['body', 'memory', 'max_messages']],
      [{ model: 'm', memory: { strategy: 'forever' } }, ['body', 'memory', 'strategy']],
      [{ model: 'm', guardrail_preset: 'lenient' }, ['body', 'guardrail_preset']],
      [{ model: 'm', voice: { stt: { provider: '' } } }, ['body', 'voice', 'stt', 'provider']],
      [{ model: 'm', voice: { language: 'english please' } }, ['body', 'voice', 'language']],
      [
        { model: 'm', voice: { turn_detection: { mode: 'server_vad', silence_ms: 5 } } },
        ['body', 'voice', 'turn_detection', 'silence_ms'],
      ],
      [
        { model: 'm', voice: { turn_detection: { mode: 'telepathy' } } },
        ['body', 'voice', 'turn_detection', 'mode'],
      ],
    ];
    for (const [body, loc] of cases) {
      const res = await call(t, 'POST', VERSIONS, at, { token: owner.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(locs(res.body), JSON.stringify(body)).toContainEqual(loc);
    }
    expect((await versionsOf(config)).map((v) => v.version)).toEqual([1]);
  });

  it('refuses to delete a pinned version (409 naming the binding); an unpinned one is 204', async () => {
    const { owner } = tenants;
    const config = await newConfig();
    const at = { tenant_id: owner.tenantId, config_id: config.id };
    const [v1] = (await versionsOf(config)) as [Version];
    const pins = await pinnableVersions(t, owner.tenantId);
    const pin = await pinBinding(t, owner.tenantId, { ...pins, runtimeConfigVersionId: v1.id });
    const res = await call<{ message: string; details: { bindings: { binding_id: string }[] } }>(
      t,
      'DELETE',
      VERSION,
      { ...at, version_id: v1.id },
      { token: owner.accessToken },
    );
    expect(res.status).toBe(409);
    expect(res.body.message).toContain(pin.bindingId);
    expect(res.body.details.bindings.map((b) => b.binding_id)).toEqual([pin.bindingId]);
    const v2 = await call<Version>(t, 'POST', VERSIONS, at, {
      token: owner.accessToken,
      body: { model: 'm2' },
    });
    expect(
      (await call(t, 'DELETE', VERSION, { ...at, version_id: v2.body.id }, { token: owner.accessToken }))
        .status,
    ).toBe(204);
    const v3 = await call<Version>(t, 'POST', VERSIONS, at, {
      token: owner.accessToken,
      body: { model: 'm3' },
    });
    expect(v3.body.version).toBe(3);
  });
});

describe('tenancy, roles, API keys and GraphQL', () => {
  it('answers 404 to another tenant for every id, 403 to viewers writing, and API keys by scope', async () => {
    const { owner, other, viewer, member } = tenants;
    const mine = await newConfig();
    const [myVersion] = (await versionsOf(mine)) as [Version];
    const theirs = await newConfig(other);
    const [theirVersion] = (await versionsOf(theirs, other)) as [Version];
    const tok = other.accessToken;
    const own = { tenant_id: other.tenantId };
    expect((await call(t, 'GET', CONFIG, { ...own, config_id: mine.id }, { token: tok })).status).toBe(404);
    expect((await call(t, 'GET', VERSIONS, { ...own, config_id: mine.id }, { token: tok })).status).toBe(404);
    expect(
      (
        await call(
          t,
          'GET',
          VERSION,
          { ...own, config_id: theirs.id, version_id: myVersion.id },
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
          { ...own, config_id: theirs.id, version_id: myVersion.id },
          { token: tok },
        )
      ).status,
    ).toBe(404);
    expect(
      (await call(t, 'POST', VERSIONS, { ...own, config_id: mine.id }, { token: tok, body: { model: 'm' } }))
        .status,
    ).toBe(404);
    expect((await call(t, 'GET', CONFIGS, { tenant_id: owner.tenantId }, { token: tok })).status).toBe(404);
    expect(
      (
        await call(
          t,
          'GET',
          VERSION,
          { tenant_id: owner.tenantId, config_id: mine.id, version_id: theirVersion.id },
          {
            token: owner.accessToken,
          },
        )
      ).status,
    ).toBe(404);
    const at = { tenant_id: owner.tenantId, config_id: mine.id };
    for (const token of [viewer.token, member.token]) {
      expect((await call(t, 'GET', VERSION, { ...at, version_id: myVersion.id }, { token })).status).toBe(
        200,
      );
      expect((await call(t, 'POST', VERSIONS, at, { token, body: { model: 'm' } })).status).toBe(403);
      expect((await call(t, 'DELETE', VERSION, { ...at, version_id: myVersion.id }, { token })).status).toBe(
        403,
      );
    }
    const reader = await apiKey(t, owner.tenantId, owner.accessToken, ['agents:read']);
    const writer = await apiKey(t, owner.tenantId, owner.accessToken, ['agents:write']);
    expect((await call(t, 'POST', VERSIONS, at, { token: reader, body: { model: 'm' } })).status).toBe(403);
    expect((await call(t, 'POST', VERSIONS, at, { token: writer, body: { model: 'm' } })).status).toBe(201);
  });

  it('shows history with typed voice settings and diffs two versions over GraphQL', async () => {
    const { owner, viewer } = tenants;
    const config = await newConfig();
    await call(
      t,
      'POST',
      VERSIONS,
      { tenant_id: owner.tenantId, config_id: config.id },
      {
        token: owner.accessToken,
        body: { ...voiceAgent, temperature: 0.9, guardrail_preset: 'strict' },
      },
    );
    const res = await t.gql<{
      runtimeConfig: {
        versions: {
          items: {
            id: string;
            version: number;
            voice: { stt: { provider: string }; turnDetection: { mode: string } };
          }[];
        };
      };
    }>(
      `query($t: ID!, $c: ID!) { runtimeConfig(tenantId: $t, configId: $c) { latestVersion versions { items {
        id version guardrailPreset memory { strategy maxMessages }
        voice { stt { provider model language } tts { provider voice } language turnDetection { mode silenceMs } } } } } }`,
      { t: owner.tenantId, c: config.id },
      viewer.token,
    );
    expect(res.errors).toBeUndefined();
    const [v2, v1] = (res.data?.runtimeConfig.versions.items ?? []) as unknown as [
      { id: string; voice: { stt: { provider: string }; turnDetection: { mode: string } } },
      { id: string },
    ];
    expect(v2.voice.stt.provider).toBe('deepgram');
    expect(v2.voice.turnDetection.mode).toBe('SERVER_VAD');
    const diff = await t.gql<{
      artifactVersionDiff: { kind: string; changes: { field: string; from: unknown; to: unknown }[] };
    }>(
      'query($t: ID!, $a: ID!, $b: ID!) { artifactVersionDiff(tenantId: $t, fromVersionId: $a, toVersionId: $b) { kind changes { field from to } templateDiff { op } } }',
      { t: owner.tenantId, a: v1.id, b: v2.id },
      viewer.token,
    );
    expect(diff.data?.artifactVersionDiff).toEqual({
      kind: 'RUNTIME_CONFIG',
      changes: [
        { field: 'temperature', from: 0.3, to: 0.9 },
        { field: 'guardrailPreset', from: 'standard', to: 'strict' },
      ],
      templateDiff: [],
    });
  });
});

/**
 * What the isolation sweep needs in the victim tenant: one of every resource a route's path can
 * name, made through the public REST face as the tenant's owner. The sweep resolves each path
 * parameter through `PARAMETERS`; a parameter missing there fails the sweep (a new resource kind
 * needs its factory here, once, and every route naming it is covered).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { upload } from '../kit/knowledge.js';
import type { Account, TestStack } from '../kit/stack.js';
import { VOICE_RUNTIME_CONFIG } from '../kit/voice.js';
import { addMember, type Member } from '../subgraphs/tenancy-kit.js';

type Body = Record<string, unknown>;

/** The victim tenant's resources, by kind. */
export interface Victim {
  owner: Account;
  viewer: Member;
  member: Member;
  ids: Record<string, string>;
}

async function made(t: TestStack, owner: Account, path: string, body: unknown): Promise<Body> {
  const res = await t.rest<Body>('POST', path, { token: owner.accessToken, body });
  expect([200, 201], `${path}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
  return res.body;
}

/** Makes one of everything in the owner's tenant (the stack has the OpenAI and LiveKit doubles). */
export async function makeVictim(t: TestStack, owner: Account, phoneNumber: string): Promise<Victim> {
  const tenant = `/api/tenants/${owner.tenantId}`;
  const [viewer, member] = await Promise.all([addMember(t, owner, 'viewer'), addMember(t, owner, 'member')]);
  const ids: Record<string, string> = {};
  const key = `victim-${Math.random().toString(36).slice(2, 8)}`;

  const prompt = await made(t, owner, `${tenant}/prompts`, { name: `${key}-prompt` });
  const promptVersion = await made(t, owner, `${tenant}/prompts/${prompt.id}/versions`, {
    template: 'You answer the phone. Be brief.',
  });
  const config = await made(t, owner, `${tenant}/runtime-configs`, { name: `${key}-runtime` });
  const configVersion = await made(
    t,
    owner,
    `${tenant}/runtime-configs/${config.id}/versions`,
    VOICE_RUNTIME_CONFIG,
  );
  const tool = await made(t, owner, `${tenant}/tools`, {
    name: `clock_${key.replace(/-/g, '_')}`,
    first_version: { kind: 'builtin', config: { name: 'current_time' } },
  });
  const toolVersions = await t.rest<{ items: Body[] }>('GET', `${tenant}/tools/${tool.id}/versions`, {
    token: owner.accessToken,
  });
  const agent = await made(t, owner, `${tenant}/agents`, { key, display_name: `Victim ${key}` });
  const binding = await made(t, owner, `${tenant}/agents/${agent.id}/bindings`, {
    prompt_version_id: promptVersion.id,
    runtime_config_version_id: configVersion.id,
    tool_version_ids: [],
  });
  await made(t, owner, `${tenant}/agents/${agent.id}/bindings/${binding.id}/activate`, undefined);

  const file = await upload(
    t,
    owner,
    'victim.txt',
    new TextEncoder().encode('The victim tenant.'),
    'text/plain',
  );
  expect(file.status, JSON.stringify(file.body)).toBe(201);
  const store = await made(t, owner, '/api/v1/vector-stores', { name: `${key}-store` });
  const container = await made(t, owner, '/api/v1/containers', { name: `${key}-box` });
  const object = await made(t, owner, '/api/v1/storage/objects/upload-url', {
    filename: 'victim.txt',
    mime_type: 'text/plain',
    size_bytes: 10,
  });
  const conversation = await made(t, owner, '/api/v1/conversations', { display_name: 'Victim talk' });
  const sent = await t.gql<{ sendMessage: { streamId: string } }>(
    'mutation ($input: ChatInput!) { sendMessage(input: $input) { streamId } }',
    { input: { message: 'Hello from the victim' } },
    owner.accessToken,
  );
  expect(sent.errors, JSON.stringify(sent.errors)).toBeUndefined();
  // The turn runs in the background: its writes must be over before the sweep compares digests.
  const streamId = sent.data?.sendMessage.streamId;
  const turnStatus = async () =>
    (
      await t.gql<{ chatTurn: { status: string } }>(
        'query ($id: ID!) { chatTurn(streamId: $id) { status } }',
        { id: streamId },
        owner.accessToken,
      )
    ).data?.chatTurn.status ?? '';
  const deadline = Date.now() + 20_000;
  while (['QUEUED', 'IN_PROGRESS'].includes(await turnStatus())) {
    expect(Date.now(), 'the victim’s chat turn to end').toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 100));
  }
  const voiceSession = await made(t, owner, `${tenant}/sessions`, { agent_id: agent.id });
  const call = await made(t, owner, `${tenant}/calls`, {
    agent_id: agent.id,
    to_number: '+15550100200',
    trunk_id: 'ST_victim',
  });
  const mapping = await made(t, owner, `${tenant}/inbound-mappings`, {
    phone_number: phoneNumber,
    agent_id: agent.id,
  });
  const apiKey = await made(t, owner, `${tenant}/keys`, { name: 'victim key', scopes: ['agents:read'] });
  const totp = await made(t, owner, '/api/v1/auth/mfa/totp/enroll', {});
  const feed = await t.rest<{ items: Body[] }>('GET', '/api/v1/activity?limit=1', {
    token: owner.accessToken,
  });

  Object.assign(ids, {
    tenant: owner.tenantId,
    user: member.userId,
    authSession: owner.sessionId,
    mfaMethod: String(totp.method_id),
    apiKey: String(apiKey.id),
    prompt: String(prompt.id),
    promptVersion: String(promptVersion.id),
    config: String(config.id),
    configVersion: String(configVersion.id),
    tool: String(tool.id),
    toolVersion: String(toolVersions.body.items[0]?.id),
    agent: String(agent.id),
    agentKey: key,
    binding: String(binding.id),
    file: String(file.body.id),
    vectorStore: String(store.id),
    container: String(container.id),
    object: String(object.object_id ?? object.id),
    conversation: String(conversation.id),
    chatStream: String(sent.data?.sendMessage.streamId),
    voiceSession: String(voiceSession.id),
    call: String(call.id),
    mapping: String(mapping.id),
    activityEvent: String(feed.body.items[0]?.id),
  });
  for (const [kind, id] of Object.entries(ids)) {
    expect(id, `victim ${kind}`).toMatch(/^[\w-]{3,}$/);
  }
  return { owner, viewer, member, ids };
}

/**
 * How a path parameter (or a GraphQL argument, snake-cased) names a victim resource: by kind (a key
 * of `Victim.ids`), or by where it is used when one name means different things (`session_id` of the
 * user's login sessions vs. a voice session). `where` is the REST path or the GraphQL field name.
 */
export const PARAMETERS: Record<string, string | ((where: string) => string)> = {
  tenant_id: 'tenant',
  user_id: 'user',
  session_id: (where) =>
    where.startsWith('/api/v1/auth/') || where.includes('UserSession') ? 'authSession' : 'voiceSession',
  method_id: 'mfaMethod',
  key_id: 'apiKey',
  prompt_id: 'prompt',
  version_id: (where) =>
    /\/prompts\/|Prompt/.test(where)
      ? 'promptVersion'
      : /\/tools\/|Tool/.test(where)
        ? 'toolVersion'
        : 'configVersion',
  from_version_id: 'promptVersion',
  to_version_id: 'promptVersion',
  config_id: 'config',
  tool_id: 'tool',
  agent_id: 'agent',
  agent_key: 'agentKey',
  agent_name: 'agentKey',
  binding_id: 'binding',
  file_id: 'file',
  vector_store_id: 'vectorStore',
  container_id: 'container',
  object_id: 'object',
  conversation_id: 'conversation',
  stream_id: 'chatStream',
  call_id: 'call',
  mapping_id: 'mapping',
  event_id: 'activityEvent',
};

/**
 * Parameters that name nothing a tenant owns, with the reason and the value the sweep sends: it
 * still calls their routes (credentials, roles) but has no victim's resource to hide.
 */
export const SHARED_PARAMETERS: Record<string, { reason: string; sample: () => string }> = {
  guardrail_key: { reason: 'built-in guardrail catalogue, the same for every tenant', sample: () => 'pii' },
  preset_key: { reason: 'built-in guardrail presets, the same for every tenant', sample: () => 'pii' },
  invite_id: {
    reason: 'sign-up invites are issued by platform operators (scope auth:invites), not by a tenant',
    sample: randomUUID,
  },
  request_id: {
    reason: 'sign-up requests belong to the platform (operators decide them), not to a tenant',
    sample: randomUUID,
  },
  workflow_run_id: {
    reason: 'workflows are not served yet: no run exists in any tenant',
    sample: randomUUID,
  },
  subscription_id: {
    reason:
      'status page subscriptions are the platform’s: managed by operators (status:manage) or by their unsubscribe token',
    sample: randomUUID,
  },
  incident_id: {
    reason: 'incidents are the platform’s, shown on the public status page',
    sample: randomUUID,
  },
  jti: {
    reason: 'service-account tokens are listed and revoked by platform operators only',
    sample: randomUUID,
  },
};

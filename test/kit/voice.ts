import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import type { Account, TestStack } from './stack.js';

/** Helpers of the voice tests: an agent with a live binding and voice settings, made through REST. */

/** A runtime config version body with voice settings: OpenAI speech both ways, English, VAD turn detection. */
export const VOICE_RUNTIME_CONFIG = {
  model: 'gpt-4o-mini',
  voice: {
    stt: { provider: 'openai', model: 'gpt-4o-transcribe', language: 'en' },
    tts: { provider: 'openai', voice: 'alloy' },
    language: 'en',
    turn_detection: { mode: 'server_vad', silence_ms: 600 },
  },
};

export interface VoiceAgentFixture {
  agentId: string;
  key: string;
  bindingId: string;
}

async function created<T>(t: TestStack, account: Account, path: string, body: unknown): Promise<T> {
  const res = await t.rest<T>('POST', `/api/tenants/${account.tenantId}${path}`, {
    token: account.accessToken,
    body,
  });
  expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(201);
  return res.body;
}

/**
 * An active agent of the account's tenant with a prompt, a runtime config carrying voice settings
 * (OpenAI speech both ways, English, VAD turn detection) and a live binding, all through REST.
 */
export async function createVoiceAgent(
  t: TestStack,
  account: Account,
  options: { key?: string; template?: string; toolVersionIds?: string[] } = {},
): Promise<VoiceAgentFixture> {
  const key = options.key ?? `voice-${Math.random().toString(36).slice(2, 8)}`;
  const prompt = await created<{ id: string }>(t, account, '/prompts', { name: `${key}-prompt` });
  const version = await created<{ id: string }>(t, account, `/prompts/${prompt.id}/versions`, {
    template: options.template ?? 'You answer the phone. Be brief.',
  });
  const config = await created<{ id: string }>(t, account, '/runtime-configs', { name: `${key}-runtime` });
  const configVersion = await created<{ id: string }>(
    t,
    account,
    `/runtime-configs/${config.id}/versions`,
    VOICE_RUNTIME_CONFIG,
  );
  const agent = await created<{ id: string }>(t, account, '/agents', {
    key,
    display_name: `Voice ${key}`,
    description: 'Answers calls',
  });
  const binding = await created<{ id: string }>(t, account, `/agents/${agent.id}/bindings`, {
    prompt_version_id: version.id,
    runtime_config_version_id: configVersion.id,
    tool_version_ids: options.toolVersionIds ?? [],
  });
  const activated = await t.rest(
    'POST',
    `/api/tenants/${account.tenantId}/agents/${agent.id}/bindings/${binding.id}/activate`,
    {
      token: account.accessToken,
    },
  );
  expect(activated.status).toBe(200);
  return { agentId: agent.id, key, bindingId: binding.id };
}

/**
 * Phone numbers of this run (`num('0100')`): inbound routes are unique across tenants, and a
 * PostgreSQL shared by test files and runs keeps the rows of earlier ones.
 */
export function runNumbers(): (last4: string) => string {
  const block = String(randomInt(100_000, 1_000_000));
  return (last4) => `+1555${block}${last4}`;
}

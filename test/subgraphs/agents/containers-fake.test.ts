/**
 * The OpenAI double speaks what the `openai` SDK expects: driven here through the kernel's client
 * (create, retrieve, list with pages, delete, a file's content), with recorded requests and
 * injected failures, so later tests (chat, knowledge) can rely on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../subgraphs/kernel/config.js';
import { isProviderStatus, openaiClient, providerError } from '../../../subgraphs/kernel/openai.js';
import { type FakeOpenAI, fakeFileKey, startFakeOpenAI } from '../../fakes/openai.js';

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
});

const client = (env: Record<string, string> = {}) => {
  const openai = openaiClient(
    loadConfig({ OPENAI_API_KEY: 'test', OPENAI_BASE_URL: fake.baseUrl, OPENAI_MAX_RETRIES: '0', ...env }),
  );
  if (!openai) {
    throw new Error('expected a client');
  }
  return openai;
};

describe('the OpenAI double through the SDK', () => {
  it('creates, retrieves, lists (paged), serves file content and deletes containers', async () => {
    fake.reset();
    const openai = client();
    const made = [];
    for (const name of ['one', 'two', 'three']) {
      made.push(await openai.containers.create({ name, memory_limit: '4g' }));
    }
    expect(made[0]).toMatchObject({
      object: 'container',
      name: 'one',
      status: 'running',
      memory_limit: '4g',
    });
    expect((await openai.containers.retrieve(made[1]?.id as string)).name).toBe('two');
    const names: string[] = [];
    for await (const c of openai.containers.list({ limit: 2 })) {
      names.push(c.name);
    }
    expect(names.sort()).toEqual(['one', 'three', 'two']);
    expect(fake.calls('GET', '/v1/containers').filter((r) => r.path === '/v1/containers')).toHaveLength(2);

    const id = made[0]?.id as string;
    fake.files.set(fakeFileKey(id, 'cfile_1'), Buffer.from('a,b\n1,2\n'));
    const content = await openai.containers.files.content.retrieve('cfile_1', { container_id: id });
    expect(await content.text()).toBe('a,b\n1,2\n');

    await openai.containers.delete(id);
    expect(fake.containers.has(id)).toBe(false);
    const missing = await openai.containers.retrieve(id).catch((e: unknown) => e);
    expect(isProviderStatus(missing, 404)).toBe(true);
    expect(fake.requests.every((r) => r.authorization === 'Bearer test')).toBe(true);
  });

  it('injects statuses, stalls and dropped connections; a wrong key is refused', async () => {
    const openai = client();
    fake.failNext({ method: 'POST', path: '/v1/containers', status: 500, message: 'boom' });
    const e500 = await openai.containers.create({ name: 'x' }).catch((e: unknown) => e);
    expect(providerError(e500, 'create').code).toBe('BAD_GATEWAY');
    expect(providerError(e500, 'create').message).toContain('HTTP 500: boom');
    fake.failNext({ path: /^\/v1\/containers$/, status: 'drop' });
    const dropped = await openai.containers.create({ name: 'x' }).catch((e: unknown) => e);
    expect(providerError(dropped, 'create').code).toBe('SERVICE_UNAVAILABLE');
    fake.failNext({ path: '/v1/containers', delayMs: 300 });
    const slow = await client({ OPENAI_TIMEOUT_MS: '50' })
      .containers.create({ name: 'x' })
      .catch((e: unknown) => e);
    expect(providerError(slow, 'create').code).toBe('SERVICE_UNAVAILABLE');
    const wrongKey = await client({ OPENAI_API_KEY: 'wrong' })
      .containers.list()
      .catch((e: unknown) => e);
    expect(isProviderStatus(wrongKey, 401)).toBe(true);
    expect(providerError(wrongKey, 'list').code).toBe('BAD_GATEWAY');
    expect(openaiClient(loadConfig({ OPENAI_API_KEY: '' }))).toBeNull();
  });
});

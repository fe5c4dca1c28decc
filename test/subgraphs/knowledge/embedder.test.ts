import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../subgraphs/kernel/config.js';
import { AppError } from '../../../subgraphs/kernel/errors.js';
import { openaiClient } from '../../../subgraphs/kernel/openai.js';
import { embedderFor } from '../../../subgraphs/knowledge/embeddings/embedder.js';
import {
  hashEmbedding,
  LocalHashEmbedder,
  stem,
} from '../../../subgraphs/knowledge/embeddings/local-embedder.js';
import { OpenAIEmbedder } from '../../../subgraphs/knowledge/embeddings/openai-embedder.js';
import { type FakeOpenAI, fakeEmbedding, startFakeOpenAI } from '../../fakes/openai.js';

const dot = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * (b[i] as number), 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));

describe('local hashing embedder', () => {
  const embedder = new LocalHashEmbedder(384);

  it('is deterministic, normalised and of the configured size', async () => {
    const texts = ['Invoices are due in March.', 'Invoices are due in March.', 'Completely different words'];
    const [a, b, c] = await embedder.embed(texts);
    expect(embedder.model).toBe('local-hash-v1');
    expect(a).toHaveLength(384);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of [a, c]) {
      expect(norm(v as number[])).toBeCloseTo(1, 10);
    }
    expect(hashEmbedding('Invoices are due in March.', 64)).toHaveLength(64);
    // Same vector in a fresh instance (nothing depends on state or insertion order).
    expect((await new LocalHashEmbedder(384).embed(['Invoices are due in March.']))[0]).toEqual(a);
  });

  it('texts without words are a unit vector, never NaN', async () => {
    for (const text of ['', '   ', '!!! ???', 'the and of']) {
      const [v] = await embedder.embed([text]);
      expect(v?.every(Number.isFinite)).toBe(true);
      expect(norm(v as number[])).toBeCloseTo(1, 10);
    }
  });

  it('related texts are closer than unrelated ones; inflections and accents meet', async () => {
    const [query, related, inflected, unrelated, accented, plain] = await embedder.embed([
      'When is the invoice payment due?',
      'Payment of each invoice is due within thirty days.',
      'Invoicing and payments: dues are collected monthly.',
      'Penguins live in the southern hemisphere near Antarctica.',
      'Café crème',
      'cafe creme',
    ]);
    const q = query as number[];
    expect(dot(q, related as number[])).toBeGreaterThan(dot(q, unrelated as number[]) + 0.2);
    expect(dot(q, inflected as number[])).toBeGreaterThan(dot(q, unrelated as number[]) + 0.1);
    expect(dot(accented as number[], plain as number[])).toBeCloseTo(1, 10);
    expect(stem('invoices')).toBe(stem('invoicing'));
    expect(stem('running')).toBe('run');
    expect(stem('stopped')).toBe('stop');
    expect(stem('class')).toBe('class');
  });

  it('is fast: 10k short texts in about a second', async () => {
    const texts = Array.from(
      { length: 10_000 },
      (_, i) =>
        `Customer ${i} asked about order ${i * 7} and the refund policy for damaged items in region ${i % 13}.`,
    );
    const started = performance.now();
    const vectors = await embedder.embed(texts);
    console.log(`local embedder: 10k texts in ${(performance.now() - started).toFixed(0)} ms`);
    expect(vectors).toHaveLength(10_000);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(embedder.embed(['x'], controller.signal)).rejects.toThrow('stopped');
  });

  it('embedderFor: the local embedder by default, one instance per config', () => {
    const config = loadConfig({ EMBEDDINGS_DIMENSIONS: '128' });
    const embedder = embedderFor(config);
    expect(embedder).toBeInstanceOf(LocalHashEmbedder);
    expect(embedder.dimensions).toBe(128);
    expect(embedderFor(config)).toBe(embedder);
    expect(embedderFor(loadConfig({}))).not.toBe(embedder);
    expect(embedderFor(loadConfig({})).dimensions).toBe(384);
  });
});

describe('OpenAI embedder (through the double)', () => {
  let fake: FakeOpenAI;
  const configOf = (env: Record<string, string> = {}) =>
    loadConfig({
      EMBEDDINGS_PROVIDER: 'openai',
      EMBEDDINGS_MODEL: 'text-embedding-3-small',
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_MAX_RETRIES: '0',
      ...env,
    });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('sends batches in order with the model, dimensions and float encoding; vectors come back in order', async () => {
    const embedder = embedderFor(configOf({ EMBEDDINGS_BATCH_SIZE: '2', EMBEDDINGS_DIMENSIONS: '64' }));
    expect(embedder).toBeInstanceOf(OpenAIEmbedder);
    expect(embedder.model).toBe('text-embedding-3-small');
    const texts = ['alpha beta', 'gamma', 'delta epsilon', 'zeta', 'eta'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toEqual(texts.map((t) => fakeEmbedding(t, 64)));
    const calls = fake.calls('POST', '/v1/embeddings');
    expect(calls.map((c) => c.body)).toEqual([
      {
        model: 'text-embedding-3-small',
        input: ['alpha beta', 'gamma'],
        dimensions: 64,
        encoding_format: 'float',
      },
      {
        model: 'text-embedding-3-small',
        input: ['delta epsilon', 'zeta'],
        dimensions: 64,
        encoding_format: 'float',
      },
      { model: 'text-embedding-3-small', input: ['eta'], dimensions: 64, encoding_format: 'float' },
    ]);
    expect(calls[0]?.authorization).toBe('Bearer test');
    expect(await embedder.embed([])).toEqual([]);
    expect(fake.calls('POST', '/v1/embeddings')).toHaveLength(3);
  });

  it('a vector of the wrong length says what to do', async () => {
    fake.embeddingDimensionsOverride = 1536;
    const embedder = embedderFor(configOf());
    await expect(embedder.embed(['hello'])).rejects.toThrow(
      /returned 1536 dimensions, the store holds 384: set EMBEDDINGS_DIMENSIONS .*npm run knowledge:reembed/,
    );
  });

  it('without OPENAI_API_KEY: 503', async () => {
    const embedder = embedderFor(configOf({ OPENAI_API_KEY: '' }));
    const error = await embedder.embed(['hello']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('SERVICE_UNAVAILABLE');
    expect((error as AppError).message).toMatch(/Embeddings need OPENAI_API_KEY/);
  });

  it('provider failures are coded errors', async () => {
    const embedder = embedderFor(configOf());
    fake.failNext({ path: '/v1/embeddings', status: 500, message: 'boom' });
    const failed = await embedder.embed(['x']).catch((e: unknown) => e);
    expect((failed as AppError).code).toBe('BAD_GATEWAY');
    expect((failed as AppError).message).toMatch(/embeddings.*HTTP 500: boom/);
    fake.failNext({ path: '/v1/embeddings', status: 400, message: 'bad input' });
    const refused = await embedder.embed(['x']).catch((e: unknown) => e);
    expect((refused as AppError).code).toBe('BAD_REQUEST');
    expect(fake.calls('POST', '/v1/embeddings')).toHaveLength(2);
  });

  it('the double answers base64 when asked (the SDK’s own default) and the SDK decodes it', async () => {
    const client = openaiClient(configOf());
    const response = await client?.embeddings.create({ model: 'm', input: 'alpha beta', dimensions: 16 });
    expect(fake.calls('POST', '/v1/embeddings')[0]?.body).toMatchObject({ encoding_format: 'base64' });
    const expected = fakeEmbedding('alpha beta', 16);
    const got = Array.from(response?.data[0]?.embedding ?? []);
    expect(got).toHaveLength(16);
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] as number, 6);
    });
    expect(response?.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    // Defaults: 1536 dimensions; an empty input is refused like OpenAI does.
    const full = await client?.embeddings.create({ model: 'm', input: ['x'], encoding_format: 'float' });
    expect(full?.data[0]?.embedding).toHaveLength(1536);
    await expect(client?.embeddings.create({ model: 'm', input: [''] })).rejects.toMatchObject({
      status: 400,
    });
  });
});

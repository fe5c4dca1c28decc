/**
 * Chat rows of the bench (`npm run bench:chat`, writes bench/results/chat.{md,json}):
 * - C1: time to first token through `POST /api/v1/chat/stream` against the same streamed request
 *   sent straight to the OpenAI-compatible double, interleaved in one run: the platform's added
 *   latency (agent plan, guardrails, user message and turn stored, frames through the event store).
 * - C2: 50 concurrent streamed turns: time to first token and to the final frame, and every text
 *   checked whole (no frame lost or repeated).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { readSse } from '../test/kit/sse.js';
import { bootStack } from '../test/kit/stack.js';
import { percentile } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const SAMPLES = Number(process.env.BENCH_CHAT_SAMPLES ?? 30);
const CONCURRENT = Number(process.env.BENCH_CHAT_STREAMS ?? 50);
const CHUNKS = Array.from({ length: 20 }, (_, i) => `tok${i} `);

const now = () => performance.now();
const ms = (v: number) => `${v.toFixed(1)} ms`;

const fake = await startFakeOpenAI({ apiKey: 'sk-bench' });
const t = await bootStack({
  NODE_ENV: 'production',
  RATE_LIMITS: 'false',
  MAIL_OUTBOX_ONLY: 'true',
  OPENAI_API_KEY: 'sk-bench',
  OPENAI_BASE_URL: fake.baseUrl,
  CHAT_STREAM_CONCURRENT_LIMIT: String(CONCURRENT * 2),
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
});
const account = await t.register();

type Frame = { kind: string; delta?: string; event_id: number };
const isTerminal = (f: { data: Frame }) => f.data.kind === 'final' || f.data.kind === 'error';

/** Time to the first content delta of a streamed completion straight from the double. */
async function directFirstToken(): Promise<number> {
  fake.script({ chunks: CHUNKS });
  const start = now();
  const res = await fetch(`${fake.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: JSON.stringify({
      model: 'gpt-4.1-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first = Number.NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    text += decoder.decode(value, { stream: true });
    if (Number.isNaN(first) && /"content":"[^"]/.test(text)) {
      first = now() - start;
    }
  }
  return first;
}

/** Time to the first `message.delta` frame and to the final frame of a turn through the platform. */
async function platformTurn(): Promise<{ first: number; total: number; text: string }> {
  const start = now();
  let first = Number.NaN;
  const res = await fetch(`${t.url}/api/v1/chat/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${account.accessToken}` },
    body: JSON.stringify({ message: 'hi' }),
  });
  const frames = await readSse<Frame>(res, {
    stop: (f) => {
      if (Number.isNaN(first) && f.data.kind === 'message.delta') {
        first = now() - start;
      }
      return isTerminal(f);
    },
    timeoutMs: 60_000,
  });
  const text = frames
    .filter((f) => f.data.kind === 'message.delta')
    .map((f) => f.data.delta)
    .join('');
  return { first, total: now() - start, text };
}

// Warm up both paths.
for (let i = 0; i < 3; i++) {
  await directFirstToken();
  fake.script({ chunks: CHUNKS });
  await platformTurn();
}

const direct: number[] = [];
const platform: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  direct.push(await directFirstToken());
  fake.script({ chunks: CHUNKS });
  platform.push((await platformTurn()).first);
}
const added = platform.map((p, i) => p - (direct[i] ?? 0));

fake.script(...Array.from({ length: CONCURRENT }, () => ({ chunks: CHUNKS })));
const started = now();
const turns = await Promise.all(Array.from({ length: CONCURRENT }, () => platformTurn()));
const wall = now() - started;
const expected = CHUNKS.join('');
const broken = turns.filter((r) => r.text !== expected).length;

const rows = [
  [
    'C1 first token, direct to the double (p50 / p95)',
    `${ms(percentile(direct, 50))} / ${ms(percentile(direct, 95))}`,
  ],
  [
    'C1 first token, POST /chat/stream (p50 / p95)',
    `${ms(percentile(platform, 50))} / ${ms(percentile(platform, 95))}`,
  ],
  ['C1 platform added latency (p50 / p95)', `${ms(percentile(added, 50))} / ${ms(percentile(added, 95))}`],
  [
    `C2 ${CONCURRENT} concurrent streams: first token (p50 / p95)`,
    `${ms(
      percentile(
        turns.map((r) => r.first),
        50,
      ),
    )} / ${ms(
      percentile(
        turns.map((r) => r.first),
        95,
      ),
    )}`,
  ],
  [
    `C2 ${CONCURRENT} concurrent streams: whole turn (p50 / p95)`,
    `${ms(
      percentile(
        turns.map((r) => r.total),
        50,
      ),
    )} / ${ms(
      percentile(
        turns.map((r) => r.total),
        95,
      ),
    )}`,
  ],
  [`C2 ${CONCURRENT} concurrent streams: wall time, texts broken`, `${ms(wall)}, ${broken}`],
];
const md = [
  '# Chat bench',
  '',
  `${SAMPLES} interleaved samples (direct, platform), ${CHUNKS.length} chunks per answer; PGlite in memory.`,
  '',
  '| row | value |',
  '|---|---|',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '',
].join('\n');
console.log(md);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'chat.md'), md);
writeFileSync(
  join(here, 'results', 'chat.json'),
  JSON.stringify(
    { samples: SAMPLES, direct, platform, added, concurrent: CONCURRENT, wall, broken, turns },
    null,
    2,
  ),
);
await t.close();
await fake.close();
process.exit(broken ? 1 : 0);

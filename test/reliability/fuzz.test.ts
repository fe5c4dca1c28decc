/**
 * Bounded, seeded fuzzing of every published REST operation and SSE stream, generated from the route
 * table and the published document: the victim tenant's owner (a caller allowed to act) sends each
 * operation's smallest valid request spoiled one way at a time: wrong types, missing and extra
 * fields, huge and deeply nested values, NUL and lone surrogates, invalid UTF-8 and JSON, wrong
 * content types, bad percent-encoding, garbage query parameters, bad credentials.
 *
 * What must hold: no 5xx, no dropped connection, every 4xx in the error envelope, and a refused
 * write leaves every table as it was. `FUZZ_CASES` (per operation, default 6) and `FUZZ_SEED`
 * (default 1) make a longer or different run: `FUZZ_CASES=200 npx vitest run test/reliability/fuzz.test.ts`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { changedTables, tableDigests } from './db-digest.js';
import {
  BOOKKEEPING,
  call,
  fill,
  isEnvelope,
  keepSignedIn,
  type Operation,
  operations,
  settle,
  sweep,
  useSweepStack,
} from './sweep-kit.js';

useSweepStack();

const CASES = Number.parseInt(process.env.FUZZ_CASES ?? '', 10) || 6;
const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || 1;

/** mulberry32: a small seeded generator, so a failing case is replayed by its seed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T };
}

type Random = ReturnType<typeof generator>;

interface Spoiled {
  what: string;
  /** The credential is the spoiled part: an operation that needs one must answer 401, whatever else. */
  badCredential?: boolean;
  path: string;
  headers: Record<string, string>;
  body?: string | Blob;
}

function deep(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) {
    value = i % 2 ? [value] : { v: value };
  }
  return value;
}

const WRONG_VALUES: [string, () => unknown][] = [
  ['a number', () => 12345],
  ['a boolean', () => true],
  ['null', () => null],
  ['an array', () => ['x', 1]],
  ['an object', () => ({ nested: { x: 1 } })],
  ['a NUL', () => 'a\u0000b'],
  ['a lone surrogate', () => '\ud800x'],
  ['a 100 KB string', () => 'x'.repeat(100_000)],
  ['600 levels of nesting', () => deep(600)],
  ['a huge number', () => 1e308],
  ['a negative number', () => -1],
];

const BAD_SEGMENTS = ['%zz', '%ff%fe', '..%2f..%2fetc', '%00', 'a'.repeat(3000), '%E2%82'];
const BAD_QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=99999999999999999999',
  'offset=%zz',
  'cursor=%00',
  'after=-5',
  'q=%ff',
  'status=NOT_A_STATUS',
  'limit=1&limit=2',
];

function authorized(): Record<string, string> {
  return { authorization: `Bearer ${sweep.victim.owner.accessToken}` };
}

/** One spoiled request of the operation. */
function spoil(op: Operation, random: Random): Spoiled {
  const { victimPath } = fill(op.method, op.path);
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const json = { ...authorized(), 'content-type': 'application/json' };
  const keys = Object.keys(op.body);
  const kinds = [
    'path',
    'query',
    'credential',
    ...(hasBody ? ['field', 'field', 'missing', 'extra', 'utf8', 'json', 'content-type', 'not-object'] : []),
  ];
  const kind = random.pick(kinds);
  switch (kind) {
    case 'path': {
      const segments = victimPath.split('?')[0]?.split('/') ?? [];
      const at = 2 + Math.floor(random.next() * Math.max(1, segments.length - 2));
      const bad = random.pick(BAD_SEGMENTS);
      segments[Math.min(at, segments.length - 1)] = bad;
      return {
        what: `path segment ${bad.slice(0, 20)}`,
        path: segments.join('/'),
        headers: json,
        ...(hasBody ? { body: JSON.stringify(op.body) } : {}),
      };
    }
    case 'query': {
      const query = random.pick(BAD_QUERIES);
      return {
        what: `query ${query}`,
        path: `${victimPath}${victimPath.includes('?') ? '&' : '?'}${query}`,
        headers: json,
        ...(hasBody ? { body: JSON.stringify(op.body) } : {}),
      };
    }
    case 'credential': {
      const credential = random.pick([
        'Bearer not-a-token',
        'Bearer ',
        'Basic dXNlcjpwYXNz',
        `Bearer ${sweep.expiredToken}`,
        `Bearer ${'x'.repeat(9000)}`,
        'Bearer a.b.c',
      ]);
      return {
        what: `credential ${credential.slice(0, 24)}`,
        badCredential: true,
        path: victimPath,
        headers: { 'content-type': 'application/json', authorization: credential },
        ...(hasBody ? { body: JSON.stringify(op.body) } : {}),
      };
    }
    case 'field': {
      const [label, make] = random.pick(WRONG_VALUES);
      const key = keys.length ? random.pick(keys) : 'name';
      return {
        what: `${key} as ${label}`,
        path: victimPath,
        headers: json,
        body: JSON.stringify({ ...op.body, [key]: make() }),
      };
    }
    case 'missing': {
      const key = keys.length ? random.pick(keys) : 'name';
      const { [key]: _dropped, ...rest } = op.body;
      return { what: `${key} missing`, path: victimPath, headers: json, body: JSON.stringify(rest) };
    }
    case 'extra':
      return {
        what: 'an extra field',
        path: victimPath,
        headers: json,
        body: JSON.stringify({ ...op.body, unexpected_field: 'x' }),
      };
    case 'utf8':
      return {
        what: 'invalid UTF-8',
        path: victimPath,
        headers: json,
        body: new Blob([
          new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
        ]),
      };
    case 'json':
      return {
        what: 'truncated JSON',
        path: victimPath,
        headers: json,
        body: JSON.stringify(op.body).slice(0, -1),
      };
    case 'content-type': {
      const type = random.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', '']);
      return {
        what: `content type ${type || '(none)'}`,
        path: victimPath,
        headers: { ...authorized(), ...(type ? { 'content-type': type } : {}) },
        body: type.startsWith('multipart') ? '--x\r\ngarbage' : JSON.stringify(op.body),
      };
    }
    default:
      return {
        what: 'a JSON array body',
        path: victimPath,
        headers: json,
        body: JSON.stringify([op.body]),
      };
  }
}

const counts = { requests: 0, fiveHundreds: 0, refusedWrites: 0 };

// Deletes last, so the operations before them find the victim's resources.
const ordered = [...operations].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));

describe('fuzzing', () => {
  describe.each(ordered)('$name', (op) => {
    it(`answers ${CASES} spoiled requests (seed ${SEED}) with 4xx envelopes or successes, never 5xx, writing nothing when refused`, async () => {
      const random = generator(SEED * 100_003 + ordered.indexOf(op));
      const problems: string[] = [];
      // An operation this deployment cannot perform (not configured) answers 503 to any request, its
      // own smallest valid one included: that is its clear error, not a fault the fuzzing found.
      await keepSignedIn();
      const { victimPath } = fill(op.method, op.path);
      const baseline = await call(op.method, victimPath, sweep.victim.owner.accessToken, op.body, op.sse);
      const unavailable = baseline.status === 503;
      if (op.write && baseline.status < 400) {
        await settle();
      }
      for (let i = 0; i < CASES; i++) {
        await keepSignedIn();
        const spoiled = spoil(op, random);
        const before = op.write ? await tableDigests(sweep.t, BOOKKEEPING) : null;
        const controller = new AbortController();
        let status: number;
        let text: string;
        try {
          const res = await fetch(`${sweep.t.url}${spoiled.path}`, {
            method: op.method,
            headers: spoiled.headers,
            ...(spoiled.body !== undefined ? { body: spoiled.body } : {}),
            signal: controller.signal,
          });
          status = res.status;
          if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
            controller.abort();
            text = '<stream>';
          } else {
            text = await res.text();
          }
        } catch (error) {
          problems.push(`${spoiled.what}: the connection failed (${(error as Error).message})`);
          continue;
        }
        counts.requests++;
        if (status >= 500 && !(unavailable && status === 503)) {
          counts.fiveHundreds++;
          problems.push(`${spoiled.what}: ${status} ${text.slice(0, 200)}`);
        } else if (spoiled.badCredential && !op.public && status !== 401) {
          problems.push(`${spoiled.what}: ${status}, not 401: ${text.slice(0, 160)}`);
        } else if (status >= 400) {
          // 503 of an unavailable operation included: it too answers in the envelope.
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {}
          if (!isEnvelope({ status, text, json })) {
            problems.push(`${spoiled.what}: ${status} outside the error envelope: ${text.slice(0, 160)}`);
          }
          if (before) {
            counts.refusedWrites++;
            const changed = changedTables(before, await tableDigests(sweep.t, BOOKKEEPING));
            if (changed.length) {
              problems.push(`${spoiled.what}: refused (${status}) yet wrote ${changed.join(', ')}`);
            }
          }
        } else if (op.write) {
          await settle(); // a write's success may have started work (an ingest, a turn): let it finish
        }
      }
      if (problems.length) {
        throw new Error(`${op.name}:\n${problems.join('\n')}`);
      }
    });
  });

  afterAll(() => {
    console.info(
      `fuzzing: ${ordered.length} operations, ${counts.requests} requests (seed ${SEED}, ${CASES} each), ${counts.fiveHundreds} 5xx, ${counts.refusedWrites} refused writes checked against the database`,
    );
  });
});

describe('Idempotency-Key', () => {
  const mutations = ordered.filter((op) => op.field.startsWith('Mutation.'));

  // Every mutation reads the header before it runs (see idempotency.test.ts for what a key does):
  // a malformed one is refused with the header named, whatever the operation, and changes nothing.
  it(`every mutating operation (${mutations.length}) refuses a malformed Idempotency-Key with a 422 naming it, writing nothing`, async () => {
    const problems: string[] = [];
    for (const op of mutations) {
      await keepSignedIn();
      const { victimPath } = fill(op.method, op.path);
      const before = await tableDigests(sweep.t, BOOKKEEPING);
      const answer = await call(op.method, victimPath, sweep.victim.owner.accessToken, op.body, op.sse, {
        'idempotency-key': 'not a valid key',
      });
      counts.requests++;
      const locs = ((answer.json as { details?: { loc?: unknown[] }[] } | null)?.details ?? []).map((d) =>
        d.loc?.join('.'),
      );
      if (answer.status !== 422 || !isEnvelope(answer) || !locs.includes('header.Idempotency-Key')) {
        problems.push(`${op.name}: ${answer.status} ${answer.text.slice(0, 160)}`);
      }
      const changed = changedTables(before, await tableDigests(sweep.t, BOOKKEEPING));
      if (changed.length) {
        problems.push(`${op.name}: refused yet wrote ${changed.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

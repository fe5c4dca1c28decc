/** The one input-validation path: zod issues → VALIDATION_FAILED details at GraphQL argument paths. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../subgraphs/kernel/errors.js';
import { keyset } from '../../subgraphs/kernel/pagination.js';
import { parseArgs, requireUuid } from '../../subgraphs/kernel/validation.js';

function detailsOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VALIDATION_FAILED');
    expect((error as ValidationError).message).toBe('Request validation failed.');
    return (error as ValidationError).details as { loc: (string | number)[]; msg: string; type: string }[];
  }
  throw new Error('expected a validation error');
}

const Input = z.strictObject({
  name: z.string().min(2).max(5),
  count: z.number().int().min(1).max(3).nullish(),
  ratio: z.number().gt(0).nullish(),
  tags: z.array(z.string()).min(1).max(2).nullish(),
  id: z.uuid().nullish(),
  url: z.url().nullish(),
  slug: z
    .string()
    .regex(/^[a-z]+$/)
    .nullish(),
  role: z.enum(['owner', 'admin']).nullish(),
  accept: z.literal(true).nullish(),
  flag: z.boolean().nullish(),
  items: z.array(z.object({ label: z.string().min(1) })).nullish(),
  email: z.email().nullish(),
  even: z
    .number()
    .refine((n) => n % 2 === 0, 'Must be even.')
    .nullish(),
});

describe('parseArgs', () => {
  it('returns the parsed value when valid', () => {
    expect(parseArgs(Input, { name: 'abc', count: 2 }, ['input'])).toEqual({ name: 'abc', count: 2 });
  });

  it.each([
    ['a missing field', {}, ['input', 'name'], 'missing'],
    ['a wrong type', { name: 7 }, ['input', 'name'], 'string_type'],
    ['a short string', { name: 'a' }, ['input', 'name'], 'string_too_short'],
    ['a long string', { name: 'abcdef' }, ['input', 'name'], 'string_too_long'],
    ['a small number', { name: 'abc', count: 0 }, ['input', 'count'], 'greater_than_equal'],
    ['a big number', { name: 'abc', count: 4 }, ['input', 'count'], 'less_than_equal'],
    ['an exclusive bound', { name: 'abc', ratio: 0 }, ['input', 'ratio'], 'greater_than'],
    ['a fraction for an int', { name: 'abc', count: 1.5 }, ['input', 'count'], 'int_type'],
    ['a short list', { name: 'abc', tags: [] }, ['input', 'tags'], 'too_short'],
    ['a long list', { name: 'abc', tags: ['a', 'b', 'c'] }, ['input', 'tags'], 'too_long'],
    ['a bad UUID', { name: 'abc', id: 'nope' }, ['input', 'id'], 'uuid_parsing'],
    ['a bad URL', { name: 'abc', url: 'nope' }, ['input', 'url'], 'url_parsing'],
    ['a pattern mismatch', { name: 'abc', slug: 'A B' }, ['input', 'slug'], 'string_pattern_mismatch'],
    ['an unknown enum value', { name: 'abc', role: 'root' }, ['input', 'role'], 'enum'],
    ['a wrong literal', { name: 'abc', accept: false }, ['input', 'accept'], 'literal_error'],
    ['a non-boolean', { name: 'abc', flag: 'yes' }, ['input', 'flag'], 'bool_type'],
    [
      'a nested field',
      { name: 'abc', items: [{ label: 'x' }, { label: '' }] },
      ['input', 'items', 1, 'label'],
      'string_too_short',
    ],
    ['a bad email', { name: 'abc', email: 'x' }, ['input', 'email'], 'value_error'],
    ['a refinement', { name: 'abc', even: 3 }, ['input', 'even'], 'value_error'],
    ['an extra key', { name: 'abc', other: 1 }, ['input', 'other'], 'extra_forbidden'],
  ])('maps %s to its argument path and pydantic type', (_name, value, loc, type) => {
    const details = detailsOf(() => parseArgs(Input, value, ['input']));
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ loc, type });
    expect(details[0]?.msg).toEqual(expect.any(String));
  });

  it('names top-level arguments by themselves and appends extra details', () => {
    const Args = z.object({ limit: z.number().int().min(1).nullish() });
    expect(detailsOf(() => parseArgs(Args, { limit: 0 }, []))).toEqual([
      { loc: ['limit'], msg: expect.any(String), type: 'greater_than_equal' },
    ]);
    const extra = [{ loc: ['input', 'password'], msg: 'Too weak.', type: 'value_error' }];
    expect(detailsOf(() => parseArgs(Input, { name: 'abc' }, ['input'], extra))).toEqual(extra);
  });
});

describe('requireUuid', () => {
  it('lower-cases a UUID and refuses anything else at the argument', () => {
    expect(requireUuid('0F8FAD5B-D9CB-469F-A165-70867728950E', 'sessionId')).toBe(
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect(detailsOf(() => requireUuid('nope', 'sessionId'))).toEqual([
      { loc: ['sessionId'], msg: 'Input should be a valid UUID.', type: 'uuid_parsing' },
    ]);
  });
});

describe('keyset', () => {
  const rows = [0, 1, 2].map((i) => ({
    id: `00000000-0000-4000-8000-00000000000${i}`,
    createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
  }));

  it('orders by the column then id, fetches one extra row and continues after the last one', () => {
    const first = keyset({ limit: 2 }, 'createdAt', 'desc');
    expect(first.take).toBe(3);
    expect(first.orderBy).toEqual([{ createdAt: 'desc' }, { id: 'desc' }]);
    expect(first.where).toEqual({});
    const page = first.page(rows);
    expect(page.items).toEqual(rows.slice(0, 2));
    const next = keyset({ limit: 2, cursor: page.nextCursor }, 'createdAt', 'desc');
    const last = rows[1] as (typeof rows)[number];
    expect(next.where).toEqual({
      OR: [{ createdAt: { lt: last.createdAt } }, { createdAt: last.createdAt, id: { lt: last.id } }],
    });
    expect(keyset({ cursor: page.nextCursor }, 'createdAt', 'asc').where.OR?.[0]).toEqual({
      createdAt: { gt: last.createdAt },
    });
    expect(keyset({ limit: 5 }, 'createdAt', 'asc').page(rows).nextCursor).toBeNull();
  });

  it('refuses a cursor that is not a timestamp and a UUID (400), and an out-of-range limit (422 at limit)', () => {
    const bad = Buffer.from(JSON.stringify({ ts: 'x', id: 'y' })).toString('base64url');
    for (const args of [{ cursor: bad }, { cursor: 'garbage' }]) {
      expect(() => keyset(args, 'createdAt', 'asc')).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
    }
    for (const [limit, type] of [
      [0, 'greater_than_equal'],
      [101, 'less_than_equal'],
    ] as const) {
      expect(() => keyset({ limit }, 'createdAt', 'asc')).toThrow(
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ loc: ['limit'], type })],
        }),
      );
    }
  });
});

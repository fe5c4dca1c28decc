import { describe, expect, it } from 'vitest';
import { readSupergraph } from '../../gateway/create-gateway.js';
import { apiSchemaOf, compareWithContract, shapeProblems } from './compare.js';

describe('contract report', () => {
  const reports = compareWithContract(apiSchemaOf(readSupergraph()));

  it('covers the 112 operations of the contract', () => {
    expect(reports).toHaveLength(112);
  });

  it('finds every operation the bridge serves matching the contract', () => {
    const served = reports.filter((r) => r.served);
    expect(served.length).toBeGreaterThanOrEqual(9);
    expect(served.filter((r) => !r.matches)).toEqual([]);
  });

  it('detects shape differences (the comparison can fail)', () => {
    const id = (s: Record<string, unknown>) => s;
    const theirs = {
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    };
    expect(shapeProblems({ type: 'object', properties: { a: { type: 'string' } } }, theirs, id, id)).toEqual(
      [],
    );
    expect(
      shapeProblems({ type: 'object', properties: { b: { type: 'string' } } }, theirs, id, id),
    ).toHaveLength(2);
    expect(
      shapeProblems({ type: 'object', properties: { a: { type: 'integer' } } }, theirs, id, id),
    ).toHaveLength(1);
    expect(
      shapeProblems(
        { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }] } } },
        theirs,
        id,
        id,
      ),
    ).toHaveLength(1);
  });
});

import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { limitProblems, operationCost } from '../../gateway/hardening.js';

const schema = buildSchema(`
  interface Node { id: ID! children(limit: Int): [Item!]! }
  type Item implements Node { id: ID! name: String children(limit: Int): [Item!]! }
  type Other { id: ID! items(limit: Int = 5): [Item!]! }
  union Thing = Item | Other
  type Page { items: [Item!]! nextCursor: String }
  type Query {
    node: Node
    thing: Thing
    things: [Thing!]!
    items(limit: Int): [Item!]!
    page(limit: Int): Page!
    other: Other
  }
`);

const cost = (query: string, variables?: Record<string, unknown>) =>
  operationCost(schema, parse(query), undefined, variables);

describe('cost estimate', () => {
  it('keeps the list multiplier under an interface selection', () => {
    // node (1) + children: 1 + 10 × (id 1 + name via fragment 1)
    expect(cost('{ node { children(limit: 10) { id ... on Item { name } } } }')).toBe(1 + 1 + 10 * 2);
  });

  it('keeps the list multiplier under a union selection and in named fragments', () => {
    const inline = cost('{ thing { ... on Other { items(limit: 10) { id } } } }');
    expect(inline).toBe(1 + 1 + 10 * 1);
    const named = cost('query { thing { ...F } } fragment F on Other { items(limit: 10) { id } }');
    expect(named).toBe(inline);
    // A list of a union multiplies what is under it: 20 × (1 + 10)
    expect(cost('{ things { ... on Other { items(limit: 10) { id } } } }')).toBe(1 + 20 * (1 + 10));
  });

  it('reads `limit: $var` from the variables, then the variable default, then the argument default', () => {
    const query = 'query ($n: Int) { items(limit: $n) { id } }';
    expect(cost(query, { n: 3 })).toBe(1 + 3);
    expect(cost(query, { n: 400 })).toBe(1 + 400);
    expect(cost('query ($n: Int = 7) { items(limit: $n) { id } }')).toBe(1 + 7);
    expect(cost(query)).toBe(1 + 20);
    expect(cost('{ other { items { id } } }')).toBe(1 + 1 + 5);
  });

  it('sizes the list inside a page by the page’s limit', () => {
    expect(cost('query ($n: Int) { page(limit: $n) { items { id } nextCursor } }', { n: 50 })).toBe(
      1 + (1 + 50 + 1),
    );
  });

  it('reports depth, aliases, directives (GraphQL Armor) and cost as validation failures', () => {
    const limits = { maxDepth: 3, maxAliases: 1, maxCost: 100, maxDirectives: 1 };
    const problems = limitProblems(
      limits,
      schema,
      parse(
        'query ($n: Int) { a: items(limit: $n) { children { children { id @skip(if: false) @include(if: true) } } } b: node { id } }',
      ),
      undefined,
      { n: 1000 },
    ).map((p) => [p.message, p.extensions.code]);
    expect(problems).toEqual([
      ['Query depth 4 exceeds the limit of 3.', 'GRAPHQL_VALIDATION_FAILED'],
      ['Query uses 2 aliases; the limit is 1.', 'GRAPHQL_VALIDATION_FAILED'],
      ['Query uses 2 directives; the limit is 1.', 'GRAPHQL_VALIDATION_FAILED'],
      [expect.stringMatching(/^Query cost \d+ exceeds the limit of 100\.$/), 'GRAPHQL_VALIDATION_FAILED'],
    ]);
    expect(limitProblems(limits, schema, parse('{ items(limit: 2) { id } }'))).toEqual([]);
  });

  it('checks a parsed document once per limits, and the cost again for every set of variables', () => {
    const document = parse('query ($n: Int) { a: items(limit: $n) { id } b: items { id } }');
    const strict = { maxDepth: 10, maxAliases: 1, maxCost: 100, maxDirectives: 10 };
    const messages = (limits: typeof strict, n: number) =>
      limitProblems(limits, schema, document, undefined, { n }).map((p) => p.message);
    expect(messages(strict, 5)).toEqual(['Query uses 2 aliases; the limit is 1.']);
    // The same document again (Apollo's document store hands out the same object): still refused.
    expect(messages(strict, 500)).toEqual([
      'Query uses 2 aliases; the limit is 1.',
      expect.stringMatching(/^Query cost \d+ exceeds the limit of 100\.$/),
    ]);
    expect(messages({ ...strict, maxAliases: 2 }, 5)).toEqual([]);
  });
});

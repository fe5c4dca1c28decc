import { buildSchema, type GraphQLInputType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { argumentProblems, fromText, problemFromGraphQLError } from '../../rest-bridge/input-problems.js';

const schema = buildSchema(`
  scalar DateTime
  enum Role { owner admin member }
  input Item { name: String! when: DateTime }
  input In { acceptTerms: Boolean items: [Item!] role: Role count: Int }
  type Query { x(input: In!, limit: Int, tags: [String!]): Int }
`);
const field = schema.getQueryType()?.getFields().x;
const arg = (name: string) =>
  field?.args.find((a) => a.name === name) as NonNullable<typeof field>['args'][number];
const typeOf = (name: string) => arg(name)?.type as GraphQLInputType | undefined;

describe('REST argument problems', () => {
  it('reports every problem of a value, with its path and the legacy words', () => {
    expect(
      argumentProblems(arg('input'), {
        acceptTerms: 'yes',
        items: [{ name: 'a' }, {}],
        role: 'king',
        extra: 1,
      }),
    ).toEqual([
      { loc: ['input', 'acceptTerms'], msg: 'Input should be a valid boolean', type: 'bool_parsing' },
      { loc: ['input', 'items', 1, 'name'], msg: 'Field required', type: 'missing' },
      { loc: ['input', 'role'], msg: "Input should be 'owner', 'admin' or 'member'", type: 'enum' },
      { loc: ['input', 'extra'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
    ]);
    expect(argumentProblems(arg('input'), undefined)).toEqual([
      { loc: ['input'], msg: 'Field required', type: 'missing' },
    ]);
    expect(argumentProblems(arg('limit'), undefined)).toEqual([]);
  });

  it('reads text from paths and query strings by the argument type', () => {
    expect(fromText(arg('limit'), ['10'])).toEqual({ value: 10 });
    expect(fromText(arg('limit'), ['1.5'])).toMatchObject({
      problem: { loc: ['limit'], type: 'int_parsing' },
    });
    expect(fromText(arg('tags'), ['a', 'b'])).toEqual({ value: ['a', 'b'] });
    expect(fromText(arg('input'), ['{'])).toMatchObject({
      problem: { loc: ['input'], type: 'json_invalid' },
    });
  });

  it('translates a GraphQL coercion error that reaches the bridge, without GraphQL words', () => {
    const problem = (message: string) => problemFromGraphQLError({ message }, typeOf);
    expect(
      problem(
        'Variable "$input" got invalid value "x" at "input.items[2].when"; Expected type "DateTime". DateTime must be an ISO-8601 string',
      ),
    ).toEqual({
      loc: ['input', 'items', 2, 'when'],
      msg: 'Input should be a valid ISO 8601 date-time.',
      type: 'value_error',
    });
    expect(
      problem(
        'Variable "$input" got invalid value "yes" at "input.acceptTerms"; Boolean cannot represent a non boolean value: "yes"',
      ),
    ).toMatchObject({ loc: ['input', 'acceptTerms'], type: 'bool_type' });
    expect(
      problem(
        'Variable "$input" got invalid value {}; Field "name" of required type "String!" was not provided.',
      ),
    ).toEqual({ loc: ['input', 'name'], msg: 'Field required', type: 'missing' });
    expect(problem('Variable "$limit" of required type "Int!" was not provided.')).toEqual({
      loc: ['limit'],
      msg: 'Field required',
      type: 'missing',
    });
    expect(problem('Something else')).toBeNull();
  });
});

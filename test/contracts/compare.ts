/**
 * Compares the REST bridge with the legacy contract, operation by operation: served with the same
 * method and path, a success status the contract declares, and a response schema whose fields
 * have compatible names and types (derived from the GraphQL schema exactly as the bridge converts).
 */
import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { type JsonSchema, RestSchemas } from '../../rest-bridge/json-schema.js';
import { loadContract, rootField, successSchema } from '../../rest-bridge/openapi.js';
import { fieldAliases, routes } from '../../rest-bridge/routes/index.js';
import { restSchema } from '../../rest-bridge/schema.js';
import { streamRoutes } from '../../rest-bridge/streams/index.js';

export interface OperationReport {
  method: string;
  path: string;
  tag: string;
  served: boolean;
  matches: boolean;
  problems: string[];
}

type Resolver = (s: JsonSchema) => JsonSchema;

function resolver(components: Record<string, unknown>): Resolver {
  return (schema) => {
    let s = schema;
    for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
      s = (components[(s.$ref as string).split('/').pop() as string] ?? {}) as JsonSchema;
    }
    return s;
  };
}

function branches(schema: JsonSchema, resolve: Resolver): JsonSchema[] {
  const s = resolve(schema);
  const list = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  return list ? list.flatMap((b) => branches(b, resolve)) : [s];
}

const isNull = (s: JsonSchema) => s.type === 'null';

/** A schema without constraints (annotations aside) accepts anything. */
const isAny = (s: JsonSchema) => Object.keys(s).every((k) => ['title', 'description', 'default'].includes(k));

/** Problems that make `ours` produce values `theirs` would reject (empty = compatible). */
export function shapeProblems(
  ours: JsonSchema,
  theirs: JsonSchema,
  ro: Resolver,
  rt: Resolver,
  at = '$',
): string[] {
  const theirBranches = branches(theirs, rt);
  if (theirBranches.some(isAny)) {
    return [];
  }
  const ourBranches = branches(ours, ro);
  if (ourBranches.some(isAny)) {
    return []; // a JSON scalar: passes through whatever it holds
  }
  const problems: string[] = [];
  for (const ob of ourBranches) {
    const candidates = theirBranches.map((tb) => branchProblems(ob, tb, ro, rt, at));
    if (!candidates.some((c) => c.length === 0)) {
      problems.push(...(candidates.sort((a, b) => a.length - b.length)[0] ?? [`${at}: no contract schema`]));
    }
  }
  return problems;
}

function branchProblems(ob: JsonSchema, tb: JsonSchema, ro: Resolver, rt: Resolver, at: string): string[] {
  if (isNull(ob)) {
    return isNull(tb) ? [] : [`${at}: may be null, the contract does not allow null`];
  }
  const theirType = tb.type;
  if (theirType === 'object' || tb.properties) {
    if (ob.type !== 'object') {
      return [`${at}: is ${String(ob.type)}, the contract has an object`];
    }
    const ourProps = (ob.properties ?? {}) as Record<string, JsonSchema>;
    const theirProps = (tb.properties ?? {}) as Record<string, JsonSchema>;
    const problems: string[] = [];
    for (const key of (tb.required ?? []) as string[]) {
      if (!(key in ourProps)) {
        problems.push(`${at}.${key}: required by the contract, missing`);
      }
    }
    for (const [key, schema] of Object.entries(ourProps)) {
      const theirProp = theirProps[key];
      if (!theirProp) {
        if (tb.additionalProperties === false) {
          problems.push(`${at}.${key}: not allowed by the contract`);
        }
        continue;
      }
      problems.push(...shapeProblems(schema, theirProp, ro, rt, `${at}.${key}`));
    }
    return problems;
  }
  if (theirType === 'array') {
    return ob.type === 'array'
      ? shapeProblems((ob.items ?? {}) as JsonSchema, (tb.items ?? {}) as JsonSchema, ro, rt, `${at}[]`)
      : [`${at}: is ${String(ob.type)}, the contract has an array`];
  }
  if (theirType === 'number' && ob.type === 'integer') {
    return [];
  }
  return ob.type === theirType ? [] : [`${at}: is ${String(ob.type)}, the contract has ${String(theirType)}`];
}

export function compareWithContract(apiSchema: GraphQLSchema): OperationReport[] {
  const contract = loadContract();
  const schema = restSchema(apiSchema);
  const schemas = new RestSchemas(fieldAliases);
  const ours = resolver(schemas.components);
  const theirs = resolver(contract.components.schemas);
  const reports: OperationReport[] = [];
  for (const [path, operations] of Object.entries(contract.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const upper = method.toUpperCase();
      const responses = op.responses as Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0] as string;
      const successCodes = Object.keys(responses).filter((c) => c.startsWith('2'));
      const route = routes.find((r) => r.path === path && r.method === upper);
      const stream = streamRoutes.find((s) => s.path === path && s.method === upper);
      const problems: string[] = [];
      if (stream || route?.sse) {
        // Frames are checked against the contract's event schema by the stream tests.
        if (!responses['200']?.content?.['text/event-stream']) {
          problems.push('the contract does not declare an event stream here');
        }
      } else if (route) {
        const status = String(route.status ?? 200);
        if (!successCodes.includes(status)) {
          problems.push(`status ${status}, the contract has ${successCodes.join('/')}`);
        }
        const theirSchema = responses[status]?.content?.['application/json']?.schema;
        if (status !== '204' && theirSchema) {
          problems.push(
            ...shapeProblems(
              successSchema(schemas, rootField(schema, route), route),
              theirSchema,
              ours,
              theirs,
            ),
          );
        }
      }
      const served = Boolean(route || stream);
      reports.push({ method: upper, path, tag, served, matches: served && problems.length === 0, problems });
    }
  }
  return reports;
}

export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

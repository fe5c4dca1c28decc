import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLField, GraphQLSchema } from 'graphql';
import { projectPath } from '../subgraphs/kernel/paths.js';
import { toSnake } from './casing.js';
import { type JsonSchema, RestSchemas } from './json-schema.js';
import { fieldAliases, routes } from './routes/index.js';
import type { RestRoute } from './routes/types.js';
import { restSchema } from './schema.js';
import { streamRoutes } from './streams/index.js';

export interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown> };
}

/** The legacy REST contract (`contracts/legacy-api-v1.openapi.json`); needed to build, not to run. */
export function loadContract(): OpenApiDocument {
  const path = projectPath('contracts', 'legacy-api-v1.openapi.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the REST contract at ${path}: ${(error as Error).message}`);
  }
}

export function rootField(
  schema: GraphQLSchema,
  route: Pick<RestRoute, 'field'>,
): GraphQLField<unknown, unknown> {
  const [root, name] = route.field.split('.') as ['Query' | 'Mutation', string];
  const field = (root === 'Query' ? schema.getQueryType() : schema.getMutationType())?.getFields()[name];
  if (!field) {
    throw new Error(`no field ${route.field}`);
  }
  return field;
}

const ERROR = { $ref: '#/components/schemas/ErrorResponse' };
const VALIDATION = { $ref: '#/components/schemas/ValidationErrorResponse' };

function errorResponses() {
  const json = (schema: unknown, description: string) => ({
    description,
    content: { 'application/json': { schema } },
  });
  return {
    '400': json(ERROR, 'Bad Request'),
    '401': json(ERROR, 'Unauthorized'),
    '403': json(ERROR, 'Forbidden'),
    '404': json(ERROR, 'Not Found'),
    '409': json(ERROR, 'Conflict'),
    '422': json(VALIDATION, 'Validation Error'),
    '429': json(ERROR, 'Too Many Requests'),
    '500': json(ERROR, 'Internal Server Error'),
    '502': json(ERROR, 'Bad Gateway (a provider such as OpenAI or LiveKit failed)'),
    '503': json(ERROR, 'Service Unavailable (a provider is not configured or unreachable)'),
  };
}

/** The JSON Schema of a route's successful body, as the bridge produces it. */
export function successSchema(
  schemas: RestSchemas,
  field: GraphQLField<unknown, unknown>,
  route: RestRoute,
): JsonSchema {
  const data = schemas.output(field.type);
  if (!route.envelope) {
    return data;
  }
  let payload: JsonSchema = route.envelope.data === 'none' ? { type: 'null' } : data;
  const messageField = route.envelope.messageField;
  if (messageField && route.envelope.data !== 'none') {
    // The message travels in the envelope, not in data.
    const ref = typeof data.$ref === 'string' ? data.$ref.split('/').pop() : undefined;
    const target = (ref ? schemas.components[ref] : data) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    const { [toSnake(messageField)]: _dropped, ...properties } = target.properties ?? {};
    payload = {
      type: 'object',
      properties,
      required: (target.required ?? []).filter((k) => k !== toSnake(messageField)),
    };
  }
  return {
    type: 'object',
    properties: { success: { type: 'boolean' }, message: { type: 'string' }, data: payload },
    required: ['success', 'message', 'data'],
  };
}

/** A multipart form: the file part, and the JSON parts as strings holding JSON. */
function multipartSchema(form: NonNullable<RestRoute['multipart']>) {
  return {
    type: 'object',
    required: [form.file],
    properties: {
      [form.file]: { type: 'string', format: 'binary' },
      ...Object.fromEntries((form.json ?? []).map((name) => [name, { type: 'string', description: 'JSON' }])),
    },
  };
}

/** Our own description of an operation the legacy contract does not have (e.g. /api/tenants/…). */
function generatedOperation(schemas: RestSchemas, field: GraphQLField<unknown, unknown>, route: RestRoute) {
  const pathParams = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] as string);
  const inputArg = field.args.find((a) => a.name === 'input');
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
  const queryArgs = field.args.filter(
    (a) => !pathParams.includes(toSnake(a.name)) && !(hasBody && a === inputArg) && !hasBody,
  );
  const status = String(route.status ?? 200);
  return {
    tags: route.tags,
    summary: route.summary,
    ...(field.description ? { description: field.description } : {}),
    operationId: route.field.replace('.', '_'),
    security: [{ HTTPBearer: [] }],
    parameters: [
      ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...queryArgs.map((a) => ({
        name: toSnake(a.name),
        in: 'query',
        required: false,
        schema: schemas.input(a.type),
      })),
    ],
    ...(route.signed
      ? {
          security: route.signed.credential === 'optional' ? [{ HTTPBearer: [] }, {}] : [],
          parameters: [
            ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
            ...Object.keys(route.signed.headers).map((name) => ({
              name,
              in: 'header',
              required: route.signed?.credential !== 'optional',
              schema: { type: 'string' },
            })),
          ],
          requestBody: {
            required: true,
            content: { [route.signed.contentType]: { schema: { type: 'object' } } },
          },
        }
      : hasBody
        ? {
            requestBody: {
              required: true,
              content: {
                ...(route.multipart
                  ? { 'multipart/form-data': { schema: multipartSchema(route.multipart) } }
                  : {}),
                'application/json': {
                  schema: inputArg
                    ? schemas.input(inputArg.type)
                    : {
                        type: 'object',
                        properties: Object.fromEntries(
                          field.args.map((a) => [toSnake(a.name), schemas.input(a.type)]),
                        ),
                      },
                },
              },
            },
          }
        : {}),
    responses: {
      [status]:
        status === '204'
          ? { description: 'No Content' }
          : {
              description: 'Successful Response',
              content: route.download
                ? { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }
                : route.text
                  ? { [route.text.contentType.split(';')[0] as string]: { schema: { type: 'string' } } }
                  : { 'application/json': { schema: successSchema(schemas, field, route) } },
            },
      ...errorResponses(),
    },
  };
}

function collectRefs(value: unknown, into: Set<string>) {
  if (Array.isArray(value)) {
    for (const v of value) {
      collectRefs(v, into);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        into.add(v.slice('#/components/schemas/'.length));
      } else {
        collectRefs(v, into);
      }
    }
  }
}

const IDEMPOTENCY_KEY_REF = { $ref: '#/components/parameters/IdempotencyKey' };
const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the first answer is kept 24 h per tenant, caller and key, and a retry of the same request gets it back without the effect happening again. The same key with a different request answers 422; a retry while the first is still running answers 409. 1 to 255 visible ASCII characters (a UUID is a good key).',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};

/**
 * The REST face's OpenAPI document (schema/openapi.json, served at /api/v1/openapi.json). An
 * operation that the legacy contract defines is published exactly as the contract has it (statuses,
 * content types, schemas; the tests validate real responses against them); the others are derived
 * from the GraphQL schema with the bridge's own casing rules.
 */
export function buildOpenApiDocument(supergraphSdl: string): Record<string, unknown> {
  const apiSchema = restSchema(Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema());
  const contract = loadContract();
  const schemas = new RestSchemas(fieldAliases);
  const paths: Record<string, Record<string, unknown>> = {};
  const contractRefs = new Set<string>(['ErrorResponse', 'ValidationErrorResponse']);
  const fromContract = (path: string, method: string) => {
    const op = contract.paths[path]?.[method.toLowerCase()];
    if (op) {
      collectRefs(op, contractRefs);
    }
    return op;
  };
  for (const route of routes) {
    const field = rootField(apiSchema, route);
    const described = fromContract(route.path, route.method) ?? generatedOperation(schemas, field, route);
    // Every mutation accepts an Idempotency-Key (subgraphs/kernel/idempotency.ts); an optional header
    // leaves the contract's wire format as it is.
    const operation = route.field.startsWith('Mutation.')
      ? { ...described, parameters: [...((described.parameters as unknown[]) ?? []), IDEMPOTENCY_KEY_REF] }
      : described;
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  for (const stream of streamRoutes) {
    const operation = fromContract(stream.path, stream.method) ?? {
      tags: stream.tags,
      summary: stream.summary,
      responses: {
        '200': {
          description: 'Server-sent events',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
      },
    };
    paths[stream.path] = { ...paths[stream.path], [stream.method.toLowerCase()]: operation };
  }
  // Copy the contract's schemas that the published operations reference, transitively.
  const contractSchemas: Record<string, unknown> = {};
  const pending = [...contractRefs];
  while (pending.length) {
    const name = pending.pop() as string;
    if (contractSchemas[name] || !contract.components.schemas[name]) {
      continue;
    }
    contractSchemas[name] = contract.components.schemas[name];
    const more = new Set<string>();
    collectRefs(contract.components.schemas[name], more);
    pending.push(...more);
  }
  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  const components = { ...schemas.components, ...contractSchemas };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agent platform REST API',
      version: '1.0.0',
      description:
        'The REST face of the federated GraphQL API: /api/v1 (wire-compatible with the legacy contract) and /api/tenants. Errors use the envelope {success:false, error, message, details}.',
    },
    paths: sortedPaths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      parameters: { IdempotencyKey: IDEMPOTENCY_KEY_PARAMETER },
      securitySchemes: { HTTPBearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}

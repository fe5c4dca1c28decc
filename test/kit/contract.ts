import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadContract } from '../../rest-bridge/openapi.js';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** The legacy REST contract, kept in the repository (contracts/). */
export const contract = loadContract() as unknown as OpenApi;

/** The OpenAPI the bridge publishes (schema/openapi.json): the only description of /api/tenants. */
const generated = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'openapi.json'), 'utf8'),
) as OpenApi;

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'contract', components: contract.components });
ajv.addSchema({ $id: 'generated', components: generated.components });

const cache = new Map<string, ReturnType<typeof ajv.compile>>();

/**
 * Checks a REST response against the schema an OpenAPI document gives that operation and status
 * (an error status falls back to `default`). Returns the problems, empty when it matches; throws
 * when the document has no such operation or status.
 */
function problems(
  doc: OpenApi,
  id: string,
  method: string,
  path: string,
  status: number,
  body: unknown,
): string[] {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) {
    throw new Error(`${id} has no ${method} ${path}`);
  }
  const response =
    operation.responses[String(status)] ?? (status >= 400 ? operation.responses.default : undefined);
  if (!response) {
    throw new Error(`${id} has no ${status} for ${method} ${path}`);
  }
  const schema = response.content?.['application/json']?.schema;
  if (status === 204 || !schema) {
    return body === null || body === '' ? [] : [`expected no body, got ${JSON.stringify(body)}`];
  }
  const key = `${id} ${method} ${path} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${id}#/components/`)) as object,
    );
    cache.set(key, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A response of a legacy /api/v1 operation against the contract. */
export function contractProblems(method: string, path: string, status: number, body: unknown): string[] {
  return problems(contract, 'contract', method, path, status, body);
}

/** A response of an operation outside the contract (/api/tenants …) against the published OpenAPI. */
export function openApiProblems(method: string, path: string, status: number, body: unknown): string[] {
  return problems(generated, 'generated', method, path, status, body);
}

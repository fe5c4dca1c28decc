import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The legacy REST contract, shared beside the repository (../shared/contracts). */
export const contractPath = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'contracts',
  'api-v1.openapi.json',
);

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

export const contract = JSON.parse(readFileSync(contractPath, 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'contract', components: contract.components });

const cache = new Map<string, ReturnType<typeof ajv.compile>>();

function rewriteRefs(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"contract#/components/'));
}

/**
 * Checks a REST response against the contract's schema for that operation and status. Returns the
 * problems (empty when it matches); throws when the contract has no such operation or status.
 */
export function contractProblems(method: string, path: string, status: number, body: unknown): string[] {
  const operation = contract.paths[path]?.[method.toLowerCase()];
  if (!operation) {
    throw new Error(`the contract has no ${method} ${path}`);
  }
  const response =
    operation.responses[String(status)] ?? (status >= 400 ? operation.responses.default : undefined);
  if (!response) {
    throw new Error(`the contract has no ${status} for ${method} ${path}`);
  }
  const schema = response.content?.['application/json']?.schema;
  if (status === 204 || !schema) {
    return body === null || body === '' ? [] : [`expected no body, got ${JSON.stringify(body)}`];
  }
  const key = `${method} ${path} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(schema) as object);
    cache.set(key, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

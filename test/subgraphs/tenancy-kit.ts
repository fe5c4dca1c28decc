/** Helpers shared by the tenancy tests (tenants, API keys, members). */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Account, TestStack } from '../kit/stack.js';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** The OpenAPI the bridge generates from its route table (schema/openapi.json). */
const generated = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'openapi.json'), 'utf8'),
) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'generated', components: generated.components });
const cache = new Map<string, ReturnType<typeof ajv.compile>>();

/**
 * Checks a REST response of the /api/tenants surface against the generated OpenAPI for that operation
 * and status (success shapes and error envelopes alike). Empty when it matches.
 */
export function shapeProblems(method: string, path: string, status: number, body: unknown): string[] {
  const operation = generated.paths[path]?.[method.toLowerCase()];
  if (!operation) {
    throw new Error(`the generated OpenAPI has no ${method} ${path}`);
  }
  const response = operation.responses[String(status)];
  if (!response) {
    throw new Error(`the generated OpenAPI has no ${status} for ${method} ${path}`);
  }
  const schema = response.content?.['application/json']?.schema;
  if (status === 204 || !schema) {
    return body === null || body === '' ? [] : [`expected no body, got ${JSON.stringify(body)}`];
  }
  const key = `${method} ${path} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"generated#/components/')) as object,
    );
    cache.set(key, validate);
  }
  // Generated objects list their properties; also refuse keys the schema does not know.
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

export const PASSWORD = 'Correct-Horse-Battery-9';

/** Logs in by email + password (in a given tenant) and returns the access token. */
export async function login(t: TestStack, email: string, tenantId?: string): Promise<string> {
  const res = await t.rest<{ access_token: string }>('POST', '/api/v1/auth/token', {
    body: { email, password: PASSWORD, ...(tenantId ? { tenant_id: tenantId } : {}) },
  });
  if (res.status !== 200) {
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.access_token;
}

/** Makes the account a platform operator (as scripts/grant-operator.ts does) and logs in again. */
export async function makeOperator(t: TestStack, account: Account): Promise<string> {
  await t.stack.kernel.database.prisma.user.update({
    where: { id: account.userId },
    data: { platformRole: 'operator' },
  });
  return login(t, account.email);
}

export interface Member {
  userId: string;
  email: string;
  token: string;
}

/** Creates a new user with a role in the owner's tenant through POST /api/tenants/{id}/users, then logs in. */
export async function addMember(t: TestStack, owner: Account, role: string): Promise<Member> {
  const email = `${role}-${randomUUID()}@example.com`;
  const res = await t.rest<{ user_id: string }>('POST', `/api/tenants/${owner.tenantId}/users`, {
    token: owner.accessToken,
    body: { email, role, password: PASSWORD },
  });
  if (res.status !== 201) {
    throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { userId: res.body.user_id, email, token: await login(t, email) };
}

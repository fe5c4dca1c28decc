/** Helpers of the prompts, tools and runtime-configs tests: REST calls checked against the OpenAPI. */
import { expect } from 'vitest';
import type { RestResult, TestStack } from '../../kit/stack.js';
import { shapeProblems } from '../tenancy-kit.js';
import { insertVersions } from './bindings-kit.js';

export interface Call {
  token?: string;
  body?: unknown;
  query?: string;
}

/**
 * Calls `template` (an OpenAPI path) with its `{params}` filled in, and checks the response (success
 * or error envelope) against the generated OpenAPI document for that operation and status.
 */
export async function call<T = Record<string, unknown>>(
  t: TestStack,
  method: string,
  template: string,
  params: Record<string, string>,
  options: Call = {},
): Promise<RestResult<T>> {
  const path = template.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new Error(`no value for {${name}}`);
    }
    return value;
  });
  const res = await t.rest<T>(method, `${path}${options.query ? `?${options.query}` : ''}`, {
    ...(options.token ? { token: options.token } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  if (res.status !== 204) {
    expect(
      shapeProblems(method, template, res.status, res.body),
      `${method} ${template} ${res.status}`,
    ).toEqual([]);
  }
  return res;
}

/** The REST `loc`s of a 422 body. */
export function locs(body: unknown): unknown[] {
  return ((body as { details?: { loc: unknown }[] }).details ?? []).map((d) => d.loc);
}

/** Creates a tenant API key with the scopes and returns its text. */
export async function apiKey(
  t: TestStack,
  tenantId: string,
  token: string,
  scopes: string[],
): Promise<string> {
  const res = await t.rest<{ key: string }>('POST', `/api/tenants/${tenantId}/keys`, {
    token,
    body: { name: `key ${scopes.join(' ')}`, scopes },
  });
  if (res.status !== 201) {
    throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.key;
}

/**
 * A binding pinning the given versions, written straight to the tables (the bindings module owns
 * the API); returns its id. `toolVersionIds` go to agent_binding_tool.
 */
export async function pinBinding(
  t: TestStack,
  tenantId: string,
  pins: { promptVersionId: string; runtimeConfigVersionId: string; toolVersionIds?: string[] },
): Promise<{ bindingId: string; agentId: string }> {
  const db = t.stack.kernel.database.prisma;
  const agent = await db.agent.create({
    data: { tenantId, key: `pin-${Math.random().toString(36).slice(2, 10)}`, displayName: 'Pinning agent' },
  });
  const binding = await db.agentBinding.create({
    data: {
      tenantId,
      agentId: agent.id,
      promptVersionId: pins.promptVersionId,
      runtimeConfigVersionId: pins.runtimeConfigVersionId,
      tools: {
        create: (pins.toolVersionIds ?? []).map((toolVersionId, position) => ({ toolVersionId, position })),
      },
    },
  });
  return { bindingId: binding.id, agentId: agent.id };
}

/** A prompt version and a runtime config version of the tenant, made straight in the tables (for pins). */
export async function pinnableVersions(t: TestStack, tenantId: string) {
  const { promptVersionId, runtimeConfigVersionId } = await insertVersions(t, tenantId, 0);
  return { promptVersionId, runtimeConfigVersionId };
}

/** Helpers of the binding tests: versions inserted straight into the database, agents over REST. */
import { randomUUID } from 'node:crypto';
import type { Account, TestStack } from '../../kit/stack.js';

export interface Versions {
  promptVersionId: string;
  /** One version of each of `tools` distinct tools. */
  toolVersionIds: string[];
  runtimeConfigVersionId: string;
}

/**
 * Inserts, for the tenant, a prompt with one version, `tools` tools with one version each and a
 * runtime config with one version (the artifacts module's operations are not needed for bindings).
 * The one writer of version rows for the agents tests.
 */
export async function insertVersions(
  t: TestStack,
  tenantId: string,
  tools = 2,
  options: { model?: string; toolName?: string } = {},
): Promise<Versions> {
  const db = t.stack.kernel.database.prisma;
  const tag = randomUUID().slice(0, 8);
  const prompt = await db.prompt.create({
    data: {
      tenantId,
      name: `prompt-${tag}`,
      lastVersion: 1,
      versions: { create: { tenantId, version: 1, template: 'You help with {{topic}}.', variables: [] } },
    },
    include: { versions: true },
  });
  const toolVersionIds: string[] = [];
  for (let i = 0; i < tools; i++) {
    const name = i === 0 && options.toolName ? options.toolName : `tool-${tag}-${i}`;
    toolVersionIds.push(await insertToolVersion(t, tenantId, name));
  }
  const config = await db.runtimeConfig.create({
    data: {
      tenantId,
      name: `config-${tag}`,
      lastVersion: 1,
      versions: { create: { tenantId, version: 1, model: options.model ?? 'gpt-4o-mini', temperature: 0.2 } },
    },
    include: { versions: true },
  });
  return {
    promptVersionId: prompt.versions[0]?.id ?? '',
    toolVersionIds,
    runtimeConfigVersionId: config.versions[0]?.id ?? '',
  };
}

/** A new tool of the tenant with `count` versions (1, 2, …); returns the ids of those versions. */
export async function insertToolVersions(
  t: TestStack,
  tenantId: string,
  name: string,
  count: number,
): Promise<string[]> {
  const tool = await t.stack.kernel.database.prisma.tool.create({
    data: {
      tenantId,
      name,
      lastVersion: count,
      versions: {
        create: Array.from({ length: count }, (_, i) => ({
          tenantId,
          version: i + 1,
          kind: 'builtin',
          config: { name: 'current_time' },
        })),
      },
    },
    include: { versions: { orderBy: { version: 'asc' } } },
  });
  return tool.versions.map((v) => v.id);
}

async function insertToolVersion(t: TestStack, tenantId: string, name: string): Promise<string> {
  const [id] = await insertToolVersions(t, tenantId, name, 1);
  return id ?? '';
}

/** Creates an agent over REST and returns its id. */
export async function createAgent(t: TestStack, owner: Account, key = `agent-${randomUUID().slice(0, 8)}`) {
  const res = await t.rest<{ id: string }>('POST', `/api/tenants/${owner.tenantId}/agents`, {
    token: owner.accessToken,
    body: { key, display_name: key },
  });
  if (res.status !== 201) {
    throw new Error(`create agent failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.id;
}

/** The REST body of a binding of these versions. */
export function bindingBody(v: Versions, notes?: string) {
  return {
    prompt_version_id: v.promptVersionId,
    tool_version_ids: v.toolVersionIds,
    runtime_config_version_id: v.runtimeConfigVersionId,
    ...(notes ? { notes } : {}),
  };
}

export interface BindingJson {
  id: string;
  agent_id: string;
  prompt_version_id: string;
  tool_version_ids: string[];
  runtime_config_version_id: string;
  notes: string | null;
  created_by: string | null;
  created_at: string;
  active: boolean;
}

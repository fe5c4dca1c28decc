/** Rows the agents tests need from sibling modules' tables, written directly (a pinned, active binding). */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../../generated/prisma/client.js';

/** A prompt, runtime config and tool version each, a binding pinning them, activated on the agent. */
export async function pinnedBinding(
  db: PrismaClient,
  tenantId: string,
  agentId: string,
  options: { model?: string; toolName?: string } = {},
) {
  const tag = randomUUID().slice(0, 8);
  const prompt = await db.prompt.create({
    data: { tenantId, name: `prompt-${tag}`, versions: { create: { tenantId, version: 1, template: 'Hi' } } },
    include: { versions: true },
  });
  const config = await db.runtimeConfig.create({
    data: {
      tenantId,
      name: `config-${tag}`,
      versions: { create: { tenantId, version: 1, model: options.model ?? 'gpt-test' } },
    },
    include: { versions: true },
  });
  const tool = await db.tool.create({
    data: {
      tenantId,
      name: options.toolName ?? `tool-${tag}`,
      versions: {
        create: { tenantId, version: 1, kind: 'http', config: { url: 'https://example.com/hook' } },
      },
    },
    include: { versions: true },
  });
  const [promptVersion, configVersion, toolVersion] = [
    prompt.versions[0],
    config.versions[0],
    tool.versions[0],
  ];
  if (!promptVersion || !configVersion || !toolVersion) {
    throw new Error('versions were not created');
  }
  const binding = await db.agentBinding.create({
    data: {
      tenantId,
      agentId,
      promptVersionId: promptVersion.id,
      runtimeConfigVersionId: configVersion.id,
      tools: { create: { toolVersionId: toolVersion.id, position: 0 } },
    },
  });
  await db.agentBindingActivation.create({ data: { tenantId, agentId, bindingId: binding.id } });
  await db.agent.update({ where: { id: agentId }, data: { activeBindingId: binding.id } });
  return {
    bindingId: binding.id,
    promptVersionId: promptVersion.id,
    runtimeConfigVersionId: configVersion.id,
    toolVersionId: toolVersion.id,
  };
}

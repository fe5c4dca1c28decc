/** Rows the agents tests need from sibling modules' tables, written directly (a pinned, active binding). */
import type { TestStack } from '../../kit/stack.js';
import { insertVersions } from './bindings-kit.js';

/** A prompt, runtime config and tool version each, a binding pinning them, activated on the agent. */
export async function pinnedBinding(
  t: TestStack,
  tenantId: string,
  agentId: string,
  options: { model?: string; toolName?: string } = {},
) {
  const db = t.stack.kernel.database.prisma;
  const v = await insertVersions(t, tenantId, 1, {
    model: options.model ?? 'gpt-test',
    toolName: options.toolName,
  });
  const [toolVersionId = ''] = v.toolVersionIds;
  const binding = await db.agentBinding.create({
    data: {
      tenantId,
      agentId,
      promptVersionId: v.promptVersionId,
      runtimeConfigVersionId: v.runtimeConfigVersionId,
      tools: { create: { toolVersionId, position: 0 } },
    },
  });
  await db.agentBindingActivation.create({ data: { tenantId, agentId, bindingId: binding.id } });
  await db.agent.update({ where: { id: agentId }, data: { activeBindingId: binding.id } });
  return {
    bindingId: binding.id,
    promptVersionId: v.promptVersionId,
    runtimeConfigVersionId: v.runtimeConfigVersionId,
    toolVersionId,
  };
}

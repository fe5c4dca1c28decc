import { NotFoundError } from '../../kernel/errors.js';
import { isProviderStatus, providerError, requireOpenAI } from '../../kernel/openai.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx } from '../db.js';

/** Largest container file relayed (the bytes travel base64 in one GraphQL answer). */
const MAX_CONTAINER_FILE_BYTES = 50 * 1024 * 1024;

/**
 * A file of a tenant's code-interpreter container, fetched from the provider (legacy
 * `GET /openai/containers/{container_id}/files/{file_id}/download`, where the container is named by
 * its provider id). Another tenant's or an unknown container is 404 before the provider is called.
 */
export async function containerFileContent(
  ctx: AgentsCtx,
  providerContainerId: string,
  fileId: string,
): Promise<{ filename: string; contentBase64: string }> {
  const acting = actingTenant(ctx);
  const container = await ctx.db.container.findFirst({
    where: { openaiId: providerContainerId, tenantId: acting.tenantId, deletedAt: null },
  });
  if (!container) {
    throw new NotFoundError('Container');
  }
  const openai = requireOpenAI(ctx.config, 'Container file downloads');
  let filename = `${fileId}.bin`;
  try {
    const meta = await openai.containers.files.retrieve(fileId, { container_id: container.openaiId });
    filename = meta.path.split('/').pop() || filename;
  } catch {
    // Metadata is optional: the legacy API fell back to `<id>.bin` too.
  }
  try {
    const response = await openai.containers.files.content.retrieve(fileId, {
      container_id: container.openaiId,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_CONTAINER_FILE_BYTES) {
      throw new NotFoundError('File');
    }
    return { filename, contentBase64: bytes.toString('base64') };
  } catch (error) {
    if (isProviderStatus(error, 404)) {
      throw new NotFoundError('File');
    }
    ctx.log.warn({ err: error }, 'container file download failed');
    throw providerError(error, 'container file download');
  }
}

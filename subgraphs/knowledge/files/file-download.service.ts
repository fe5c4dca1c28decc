import type { KnowledgeCtx } from '../db.js';
import { knowledgeTenant, tenantFile } from './file.service.js';

/** A signed URL to a file's bytes (any file of the caller's tenant; 404 otherwise). */
export async function fileDownload(
  ctx: KnowledgeCtx,
  fileId: string,
): Promise<{ filename: string; mimeType: string; url: string }> {
  const acting = knowledgeTenant(ctx, null, false);
  const file = await tenantFile(ctx.db, acting.tenantId, fileId);
  const signed = await ctx.blobs.presignDownload(
    file.blobKey,
    file.filename,
    ctx.config.STORAGE_SIGNED_URL_TTL_SECONDS,
  );
  return { filename: file.filename, mimeType: file.mimeType, url: signed.url };
}

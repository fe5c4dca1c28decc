import { isDeepStrictEqual } from 'node:util';
import { NotFoundError } from '../../kernel/errors.js';
import { detail, invalid, requireUuid } from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx } from '../db.js';
import { promptKind } from '../prompts/prompt.service.js';
import { runtimeConfigKind } from '../runtime-configs/runtime-config.service.js';
import { toolKind } from '../tools/tool.service.js';
import { type DiffLine, lineDiff } from './line-diff.js';
import { type AnyKind, loadVersion, type VersionRow } from './versioning.js';

const KINDS: readonly AnyKind[] = [promptKind, toolKind, runtimeConfigKind];

/** One field that differs between two versions. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What changed from one version of an artifact to another. */
export interface VersionDiff {
  kind: AnyKind['name'];
  artifactId: string;
  fromVersionId: string;
  toVersionId: string;
  fromVersion: number;
  toVersion: number;
  changes: FieldChange[];
  /** Line diff of the prompt template (empty for tools and runtime configs). */
  templateDiff: DiffLine[];
}

async function findVersion(ctx: AgentsCtx, tenantId: string, id: string) {
  for (const kind of KINDS) {
    const row = await loadVersion<VersionRow & Record<string, unknown>>(ctx, kind, tenantId, id);
    if (row) {
      return { kind, row };
    }
  }
  return null;
}

/**
 * Compares two versions of one artifact of the tenant (a prompt, tool or runtime config, found by
 * version id): the fields that differ and, for prompts, a line diff of the template. Versions of
 * different artifacts answer 422 at `toVersionId`; an unknown or foreign id 404.
 */
export async function artifactVersionDiff(
  ctx: AgentsCtx,
  tenantId: string,
  fromVersionId: string,
  toVersionId: string,
): Promise<VersionDiff> {
  const { tenantId: acting } = actingTenant(ctx, { tenantId, operators: true });
  const fromId = requireUuid(fromVersionId, 'fromVersionId');
  const toId = requireUuid(toVersionId, 'toVersionId');
  const [from, to] = await Promise.all([findVersion(ctx, acting, fromId), findVersion(ctx, acting, toId)]);
  if (!from) {
    throw new NotFoundError('Version', fromVersionId);
  }
  if (!to) {
    throw new NotFoundError('Version', toVersionId);
  }
  const parentKey = from.kind.parentKey;
  if (from.kind !== to.kind || from.row[parentKey] !== to.row[parentKey]) {
    throw invalid([detail(['toVersionId'], 'Both versions must belong to the same artifact.')]);
  }
  const changes = from.kind.diffFields
    .filter((f) => !isDeepStrictEqual(from.row[f] ?? null, to.row[f] ?? null))
    .map((field) => ({ field, from: from.row[field] ?? null, to: to.row[field] ?? null }));
  return {
    kind: from.kind.name,
    artifactId: String(from.row[parentKey]),
    fromVersionId: from.row.id,
    toVersionId: to.row.id,
    fromVersion: from.row.version,
    toVersion: to.row.version,
    changes,
    templateDiff:
      from.kind === promptKind
        ? lineDiff(String(from.row.template ?? ''), String(to.row.template ?? ''))
        : [],
  };
}

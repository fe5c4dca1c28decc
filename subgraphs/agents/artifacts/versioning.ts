/**
 * The versioning shared by prompts, tools and runtime configs: a named artifact per tenant whose
 * content lives in immutable versions numbered 1, 2, 3… Each module describes its tables and how a
 * version is validated (`ArtifactKind`); everything else (tenancy, numbering under concurrency,
 * paging, the pinned-version 409, audit) is here, once.
 */
import { z } from 'zod';
import { recordAudit } from '../../kernel/audit.js';
import {
  AppError,
  BadRequestError,
  ConflictError,
  isUniqueViolation,
  NotFoundError,
  ValidationError,
} from '../../kernel/errors.js';
import { loaderFor } from '../../kernel/loaders.js';
import { keyset, type Page, type PageArgs, pageSize } from '../../kernel/pagination.js';
import {
  type ArgumentPath,
  invalid,
  isUuid,
  parseArgs,
  requireUuid,
  type ValidationDetail,
  zodDetails,
} from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { AgentsCtx, AgentsTx } from '../db.js';

/** The columns every artifact table has. */
export interface ArtifactRow {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  lastVersion: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns every version table has. */
export interface VersionRow {
  id: string;
  tenantId: string;
  version: number;
  notes: string | null;
  createdBy: string | null;
  createdAt: Date;
}

type Where = Record<string, unknown>;

/** The Prisma calls the shared logic makes, typed structurally so one code path serves three tables. */
interface Table<Row> {
  findFirst(args: { where: Where }): Promise<Row | null>;
  findMany(args: { where?: Where; orderBy?: unknown; take?: number; distinct?: string[] }): Promise<Row[]>;
  create(args: { data: Record<string, unknown> }): Promise<Row>;
  update(args: { where: { id: string }; data: Record<string, unknown> }): Promise<Row>;
  delete(args: { where: { id: string } }): Promise<Row>;
}

type AnyDb = AgentsCtx['db'] | AgentsTx;

/** A binding that pins a version (for the 409 that names them). */
export interface PinningBinding {
  bindingId: string;
  agentId: string;
}

/** What a module tells the shared logic about its artifact. */
export interface ArtifactKind<A extends ArtifactRow, V extends VersionRow, Input, Data> {
  /** Audit and diff name: `prompt`, `tool`, `runtime_config`. */
  name: 'prompt' | 'tool' | 'runtime_config';
  /** In messages: `Prompt`, `Tool`, `Runtime config`. */
  label: string;
  /** The version table's column naming its artifact. */
  parentKey: 'promptId' | 'toolId' | 'runtimeConfigId';
  /** The GraphQL argument carrying the artifact id (`promptId`, `toolId`, `configId`). */
  idArgument: string;
  tables(db: AnyDb): { artifact: Table<A>; version: Table<V> };
  /** Validates a version input found at `loc` and returns the columns to store (throws a 422). */
  parseVersion(ctx: AgentsCtx, input: Input, loc: ArgumentPath): Promise<Data>;
  /** Runs in the version's transaction before it is written (tools: the tenant's signing secret). */
  beforeWrite?(tx: AgentsTx, ctx: AgentsCtx, tenantId: string, data: Data): Promise<void>;
  /** The bindings that pin a version. */
  pinnedBy(tx: AgentsTx, versionId: string): Promise<PinningBinding[]>;
  /** Version fields the diff compares, in order. */
  diffFields: readonly (keyof V & string)[];
}

// biome-ignore lint/suspicious/noExplicitAny: the kinds differ only in their version content.
export type AnyKind = ArtifactKind<any, any, any, any>;

const ArtifactName = z
  .string()
  .trim()
  .min(1)
  .max(128)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point.
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'Control characters are not allowed.');

const ArtifactFields = z.object({
  name: ArtifactName,
  description: z.string().max(2000).nullish(),
});

/** The artifact part of a create input; the kind adds `firstVersion`. */
export interface CreateArtifactInput<Input> {
  name: string;
  description?: string | null | undefined;
  firstVersion?: Input | null | undefined;
}

/** The acting tenant: the caller's own (another tenant is 404), or any for platform operators. */
function tenantOf(ctx: AgentsCtx, tenantId: string) {
  return actingTenant(ctx, { tenantId, operators: true });
}

async function writeVersion<V extends VersionRow, Data>(
  tx: AgentsTx,
  ctx: AgentsCtx,
  kind: AnyKind,
  artifact: ArtifactRow,
  data: Data,
  number: number,
  userId: string | null,
): Promise<V> {
  await kind.beforeWrite?.(tx, ctx, artifact.tenantId, data);
  return (await kind.tables(tx).version.create({
    data: {
      ...(data as Record<string, unknown>),
      tenantId: artifact.tenantId,
      [kind.parentKey]: artifact.id,
      version: number,
      createdBy: userId,
    },
  })) as V;
}

/**
 * Creates an artifact, optionally with its version 1 (`firstVersion`) in the same transaction.
 * A name already taken in the tenant answers 409.
 */
export async function createArtifact<A extends ArtifactRow, Input>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  input: CreateArtifactInput<Input>,
): Promise<A> {
  const { tenantId: acting, viewer } = tenantOf(ctx, tenantId);
  const { firstVersion, ...fields } = input;
  // One 422 with every problem, of the artifact and of its first version.
  const head = ArtifactFields.safeParse(fields);
  const problems = head.success ? [] : zodDetails(head.error, fields, ['input']);
  let version: unknown = null;
  try {
    version =
      firstVersion == null ? null : await kind.parseVersion(ctx, firstVersion, ['input', 'firstVersion']);
  } catch (error) {
    if (!(error instanceof ValidationError)) {
      throw error;
    }
    problems.push(...(error.details as ValidationDetail[]));
  }
  if (!head.success || problems.length) {
    throw invalid(problems);
  }
  const data = head.data;
  try {
    return await ctx.db.$transaction(async (tx) => {
      const artifact = (await kind.tables(tx).artifact.create({
        data: {
          tenantId: acting,
          name: data.name,
          description: data.description ?? '',
          lastVersion: version ? 1 : 0,
          createdBy: viewer.userId,
        },
      })) as A;
      await recordAudit(tx, viewer, {
        action: `${kind.name}.created`,
        targetType: kind.name,
        targetId: artifact.id,
        tenantId: acting,
        metadata: { name: artifact.name },
      });
      if (version) {
        const row = await writeVersion(tx, ctx, kind, artifact, version, 1, viewer.userId);
        await recordAudit(tx, viewer, {
          action: `${kind.name}.version.created`,
          targetType: `${kind.name}_version`,
          targetId: row.id,
          tenantId: acting,
          metadata: { [kind.parentKey]: artifact.id, version: 1 },
        });
      }
      return artifact;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError(
        `A ${kind.label.toLowerCase()} named "${data.name}" already exists in this tenant.`,
      );
    }
    throw error;
  }
}

/** The arguments of an artifact list: a page, and an optional name filter. */
export interface ListArtifactsArgs extends PageArgs {
  search?: string | null | undefined;
}

const Search = z.string().trim().max(128).nullish();

/** The tenant's artifacts of a kind, newest first; `search` keeps names containing it (any case). */
export async function listArtifacts<A extends ArtifactRow>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  args: ListArtifactsArgs,
): Promise<Page<A>> {
  const { tenantId: acting } = tenantOf(ctx, tenantId);
  const search = parseArgs(Search, args.search, ['search']);
  const page = keyset(args, 'createdAt', 'desc');
  const rows = (await kind.tables(ctx.db).artifact.findMany({
    where: {
      tenantId: acting,
      ...(search ? { name: { contains: search, mode: 'insensitive' } } : {}),
      ...page.where,
    },
    orderBy: page.orderBy,
    take: page.take,
  })) as A[];
  return page.page(rows);
}

async function findArtifact<A extends ArtifactRow>(db: AnyDb, kind: AnyKind, tenantId: string, id: string) {
  const artifact = (await kind.tables(db).artifact.findFirst({ where: { id, tenantId } })) as A | null;
  if (!artifact) {
    throw new NotFoundError(kind.label, id);
  }
  return artifact;
}

/** One artifact of the tenant; another tenant's id is 404. */
export async function getArtifact<A extends ArtifactRow>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  artifactId: string,
): Promise<A> {
  const { tenantId: acting } = tenantOf(ctx, tenantId);
  return findArtifact<A>(ctx.db, kind, acting, requireUuid(artifactId, kind.idArgument));
}

/**
 * Adds the next version. The number comes from the artifact's counter, incremented in the same
 * transaction: the UPDATE locks the artifact row, so concurrent creates queue and get 1, 2, 3…
 * (never a unique violation), and a deleted version's number is never handed out again.
 */
export async function createVersion<V extends VersionRow, Input>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  artifactId: string,
  input: Input,
): Promise<V> {
  const { tenantId: acting, viewer } = tenantOf(ctx, tenantId);
  const id = requireUuid(artifactId, kind.idArgument);
  await findArtifact(ctx.db, kind, acting, id);
  const data = await kind.parseVersion(ctx, input, ['input']);
  return ctx.db.$transaction(async (tx) => {
    await findArtifact(tx, kind, acting, id);
    const artifact = await kind.tables(tx).artifact.update({
      where: { id },
      data: { lastVersion: { increment: 1 } },
    });
    const row = await writeVersion<V, unknown>(
      tx,
      ctx,
      kind,
      artifact,
      data,
      artifact.lastVersion,
      viewer.userId,
    );
    await recordAudit(tx, viewer, {
      action: `${kind.name}.version.created`,
      targetType: `${kind.name}_version`,
      targetId: row.id,
      tenantId: acting,
      metadata: { [kind.parentKey]: id, version: row.version },
    });
    return row;
  });
}

/** Opaque version cursors: the last version number seen (versions page newest first). */
function versionPage(args: PageArgs) {
  const limit = pageSize(args.limit, 50, 100);
  let before: number | null = null;
  if (args.cursor) {
    try {
      const value = JSON.parse(Buffer.from(args.cursor, 'base64url').toString('utf8')) as { v?: unknown };
      before = typeof value.v === 'number' && Number.isInteger(value.v) ? value.v : null;
    } catch {
      before = null;
    }
    if (before === null) {
      throw new BadRequestError('Invalid pagination cursor.');
    }
  }
  return {
    where: before === null ? {} : { version: { lt: before } },
    take: limit + 1,
    page<V extends VersionRow>(rows: V[]): Page<V> {
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          rows.length > limit && last
            ? Buffer.from(JSON.stringify({ v: last.version })).toString('base64url')
            : null,
      };
    },
  };
}

/** Versions of an artifact already read for the caller (the `versions` field), newest (highest number) first. */
export async function listVersionsOf<V extends VersionRow>(
  ctx: AgentsCtx,
  kind: AnyKind,
  artifact: ArtifactRow,
  args: PageArgs,
): Promise<Page<V>> {
  const page = versionPage(args);
  const rows = (await kind.tables(ctx.db).version.findMany({
    where: { [kind.parentKey]: artifact.id, tenantId: artifact.tenantId, ...page.where },
    orderBy: { version: 'desc' },
    take: page.take,
  })) as V[];
  return page.page(rows);
}

/** Versions of an artifact of the tenant, newest first; another tenant's artifact is 404. */
export async function listVersions<V extends VersionRow>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  artifactId: string,
  args: PageArgs,
): Promise<Page<V>> {
  const artifact = await getArtifact(ctx, kind, tenantId, artifactId);
  return listVersionsOf<V>(ctx, kind, artifact, args);
}

/** One version of one artifact of the tenant; a version of any other artifact (or tenant) is 404. */
export async function getVersion<V extends VersionRow>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  artifactId: string,
  versionId: string,
): Promise<V> {
  const artifact = await getArtifact(ctx, kind, tenantId, artifactId);
  const id = requireUuid(versionId, 'versionId');
  const row = (await kind.tables(ctx.db).version.findFirst({
    where: { id, tenantId: artifact.tenantId, [kind.parentKey]: artifact.id },
  })) as V | null;
  if (!row) {
    throw new NotFoundError(`${kind.label} version`, versionId);
  }
  return row;
}

function pinnedConflict(kind: AnyKind, version: number, bindings: PinningBinding[]): AppError {
  const ids = bindings.map((b) => b.bindingId);
  return new AppError(
    'CONFLICT',
    `${kind.label} version ${version} is pinned by binding${ids.length === 1 ? '' : 's'} ${ids.join(', ')}; delete or change ${ids.length === 1 ? 'it' : 'them'} first.`,
    { bindings: bindings.map((b) => ({ binding_id: b.bindingId, agent_id: b.agentId })) },
  );
}

/** Prisma's foreign-key violation: a binding pinned the version between the check and the delete. */
function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2003';
}

/**
 * Deletes a version no binding pins (204); one that is pinned answers 409 naming the bindings.
 * The artifact's counter is kept, so the number is not reused.
 */
export async function deleteVersion(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  artifactId: string,
  versionId: string,
): Promise<boolean> {
  const { viewer } = tenantOf(ctx, tenantId);
  const row = await getVersion(ctx, kind, tenantId, artifactId, versionId);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const pinned = await kind.pinnedBy(tx, row.id);
      if (pinned.length) {
        throw pinnedConflict(kind, row.version, pinned);
      }
      await kind.tables(tx).version.delete({ where: { id: row.id } });
      await recordAudit(tx, viewer, {
        action: `${kind.name}.version.deleted`,
        targetType: `${kind.name}_version`,
        targetId: row.id,
        tenantId: row.tenantId,
        metadata: { [kind.parentKey]: artifactId, version: row.version },
      });
      return true;
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) {
      throw pinnedConflict(kind, row.version, await kind.pinnedBy(ctx.db as unknown as AgentsTx, row.id));
    }
    throw error;
  }
}

/**
 * A version of the tenant by id alone, batched per request (DataLoader): what bindings resolve
 * their pinned versions with. Null when absent or another tenant's.
 */
export function loadVersion<V extends VersionRow>(
  ctx: AgentsCtx,
  kind: AnyKind,
  tenantId: string,
  versionId: string,
): Promise<V | null> {
  if (!isUuid(versionId)) {
    return Promise.resolve(null);
  }
  return loaderFor<V>(
    ctx,
    `${kind.name}Version:${tenantId}`,
    async (ids) =>
      (await kind.tables(ctx.db).version.findMany({
        where: { id: { in: ids.filter(isUuid).map((i) => i.toLowerCase()) }, tenantId },
      })) as V[],
  ).load(versionId.toLowerCase());
}

/** The number of an artifact's newest existing version (null with none), batched per request. */
export async function latestVersionNumber(
  ctx: AgentsCtx,
  kind: AnyKind,
  artifact: ArtifactRow,
): Promise<number | null> {
  const loader = loaderFor<{ id: string; version: number }>(ctx, `${kind.name}Latest`, async (ids) => {
    const rows = await kind.tables(ctx.db).version.findMany({
      where: { [kind.parentKey]: { in: [...ids] } },
      orderBy: [{ [kind.parentKey]: 'asc' }, { version: 'desc' }],
      distinct: [kind.parentKey],
    });
    return rows.map((r) => ({
      id: (r as unknown as Record<string, string>)[kind.parentKey] as string,
      version: r.version,
    }));
  });
  return (await loader.load(artifact.id))?.version ?? null;
}

import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import type { Tool, ToolVersion } from '../../../generated/prisma/client.js';
import { recordAudit } from '../../kernel/audit.js';
import { randomToken } from '../../kernel/secrets.js';
import { outboundUrlProblem } from '../../kernel/url-policy.js';
import {
  type ArgumentPath,
  detail,
  invalid,
  parseArgs,
  type ValidationDetail,
  zodDetails,
} from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import { type ArtifactKind, loadVersion } from '../artifacts/versioning.js';
import { BUILTIN_TOOL_NAMES, BUILTIN_TOOLS } from '../catalog/builtin-tools.js';
import type { AgentsCtx, AgentsTx } from '../db.js';

export const TOOL_KINDS = ['http', 'builtin'] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

/** Bounds and defaults of an http tool's call limits. */
export const HTTP_TOOL_LIMITS = {
  timeoutMs: { min: 100, max: 30_000, default: 10_000 },
  maxResponseBytes: { min: 1, max: 1_048_576, default: 262_144 },
} as const;

/** Largest `parameters` schema accepted (bytes of JSON). */
const MAX_PARAMETERS_BYTES = 65_536;

const HttpConfig = z.strictObject({
  url: z.string().min(1).max(2048),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  timeout_ms: z
    .number()
    .int()
    .min(HTTP_TOOL_LIMITS.timeoutMs.min)
    .max(HTTP_TOOL_LIMITS.timeoutMs.max)
    .default(HTTP_TOOL_LIMITS.timeoutMs.default),
  max_response_bytes: z
    .number()
    .int()
    .min(HTTP_TOOL_LIMITS.maxResponseBytes.min)
    .max(HTTP_TOOL_LIMITS.maxResponseBytes.max)
    .default(HTTP_TOOL_LIMITS.maxResponseBytes.default),
});
/** The stored config of an `http` tool version. */
export type HttpToolConfig = z.output<typeof HttpConfig>;

const BuiltinConfig = z.strictObject({
  name: z.string().refine((n) => BUILTIN_TOOL_NAMES.includes(n), {
    error: `Unknown built-in tool; one of: ${BUILTIN_TOOL_NAMES.join(', ')}.`,
  }),
});

const ToolVersionInput = z.strictObject({
  kind: z.enum(TOOL_KINDS),
  description: z.string().max(2000).nullish(),
  parameters: z.unknown().optional(),
  config: z.unknown().optional(),
  notes: z.string().max(2000).nullish(),
});
export type ToolVersionInput = z.input<typeof ToolVersionInput>;

interface ToolVersionData {
  kind: ToolKind;
  description: string;
  parameters: object;
  config: object;
  notes: string | null;
}

/** One validator for every check (building one costs ~80 ms); each schema is removed after use. */
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

/** Why `parameters` is not a usable JSON Schema (2020-12 meta-schema, root `type: "object"`), or null. */
export function parametersProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return 'parameters must be a JSON Schema object.';
  }
  if (JSON.stringify(schema).length > MAX_PARAMETERS_BYTES) {
    return `parameters must be at most ${MAX_PARAMETERS_BYTES} bytes of JSON.`;
  }
  try {
    if (!ajv.validateSchema(schema)) {
      return `parameters is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'parameters' })}.`;
    }
    // Compiling also catches what the meta-schema cannot (an unresolvable $ref).
    ajv.compile(schema);
  } catch (error) {
    return `parameters is not a valid JSON Schema: ${(error as Error).message}.`;
  } finally {
    // Forget it again: no cache growth, and no `$id` clash between tenants.
    ajv.removeSchema(schema as object);
  }
  if ((schema as { type?: unknown }).type !== 'object') {
    return 'parameters must describe an object: its root needs "type": "object".';
  }
  return null;
}

/**
 * A version's content. `http`: `config.url` https (see kernel/url-policy.ts), `timeout_ms` and
 * `max_response_bytes` bounded, defaults filled in. `builtin`: `config.name` one of the catalog's,
 * `parameters` defaulting to the built-in's own schema.
 */
export async function parseToolVersion(
  ctx: AgentsCtx,
  input: unknown,
  loc: ArgumentPath,
): Promise<ToolVersionData> {
  const data = parseArgs(ToolVersionInput, input, loc);
  const problems: ValidationDetail[] = [];
  let config: object = {};
  const rawConfig = data.config ?? {};
  if (data.kind === 'http') {
    const parsed = HttpConfig.safeParse(rawConfig);
    if (!parsed.success) {
      problems.push(...zodDetails(parsed.error, rawConfig, [...loc, 'config']));
    } else {
      const urlProblem = await outboundUrlProblem(
        parsed.data.url,
        ctx.config.TOOLS_ALLOW_PRIVATE_URLS === 'true',
      );
      if (urlProblem) {
        problems.push(detail([...loc, 'config', 'url'], urlProblem, 'url_parsing'));
      }
      config = parsed.data;
    }
  } else {
    const parsed = BuiltinConfig.safeParse(rawConfig);
    if (!parsed.success) {
      problems.push(...zodDetails(parsed.error, rawConfig, [...loc, 'config']));
    } else {
      config = parsed.data;
    }
  }
  const builtin =
    data.kind === 'builtin'
      ? BUILTIN_TOOLS.find((t) => t.name === (config as { name?: string }).name)
      : undefined;
  const parameters = data.parameters ?? builtin?.parameters ?? { type: 'object', properties: {} };
  const schemaProblem = parametersProblem(parameters);
  if (schemaProblem) {
    problems.push(detail([...loc, 'parameters'], schemaProblem));
  }
  if (problems.length) {
    throw invalid(problems);
  }
  return {
    kind: data.kind,
    description: data.description ?? builtin?.description ?? '',
    parameters: parameters as object,
    config,
    notes: data.notes ?? null,
  };
}

/** The tenant's signing secret, created on first use (encrypted at rest with the secret box). */
async function ensureSigningSecret(
  tx: AgentsTx,
  ctx: AgentsCtx,
  tenantId: string,
): Promise<{ createdAt: Date }> {
  // ON CONFLICT DO NOTHING, then read: two first tools of a tenant at once agree on one secret.
  await tx.toolSigningSecret.createMany({
    data: [{ tenantId, ciphertext: ctx.secrets.seal(randomToken(32)) }],
    skipDuplicates: true,
  });
  return tx.toolSigningSecret.findUniqueOrThrow({ where: { tenantId } });
}

/** Tools for the shared versioning. */
export const toolKind: ArtifactKind<Tool, ToolVersion, ToolVersionInput, ToolVersionData> = {
  name: 'tool',
  label: 'Tool',
  parentKey: 'toolId',
  idArgument: 'toolId',
  tables: (db) => ({ artifact: db.tool as never, version: db.toolVersion as never }),
  parseVersion: parseToolVersion,
  beforeWrite: async (tx, ctx, tenantId, data) => {
    if (data.kind === 'http') {
      await ensureSigningSecret(tx, ctx, tenantId);
    }
  },
  pinnedBy: async (tx, versionId) =>
    (
      await tx.agentBindingTool.findMany({
        where: { toolVersionId: versionId },
        include: { binding: true },
        orderBy: { bindingId: 'asc' },
      })
    ).map((b) => ({ bindingId: b.bindingId, agentId: b.binding.agentId })),
  diffFields: ['kind', 'description', 'parameters', 'config', 'notes'],
};

/** A tool version of the tenant by id (batched); null when absent or another tenant's. */
export const loadToolVersion = (ctx: AgentsCtx, tenantId: string, versionId: string) =>
  loadVersion<ToolVersion>(ctx, toolKind, tenantId, versionId);

/** The signing secret of a tenant's http tools, in clear (owners and admins only). */
export interface ToolSigningSecretView {
  secret: string;
  createdAt: Date;
}

/** The tenant's signing secret, for the receiver to verify signatures (created on first read). */
export async function getToolSigningSecret(ctx: AgentsCtx, tenantId: string): Promise<ToolSigningSecretView> {
  const { tenantId: acting } = actingTenant(ctx, { tenantId, operators: true });
  const row = await ctx.db.$transaction(async (tx) => {
    await ensureSigningSecret(tx, ctx, acting);
    return tx.toolSigningSecret.findUniqueOrThrow({ where: { tenantId: acting } });
  });
  return { secret: ctx.secrets.open(row.ciphertext), createdAt: row.createdAt };
}

/** Replaces the tenant's signing secret; calls are signed with the new one at once. */
export async function rotateToolSigningSecret(
  ctx: AgentsCtx,
  tenantId: string,
): Promise<ToolSigningSecretView> {
  const { tenantId: acting, viewer } = actingTenant(ctx, { tenantId, operators: true });
  const secret = randomToken(32);
  const row = await ctx.db.$transaction(async (tx) => {
    const now = new Date();
    const saved = await tx.toolSigningSecret.upsert({
      where: { tenantId: acting },
      create: { tenantId: acting, ciphertext: ctx.secrets.seal(secret), createdAt: now },
      update: { ciphertext: ctx.secrets.seal(secret), createdAt: now },
    });
    await recordAudit(tx, viewer, {
      action: 'tool.signing_secret.rotated',
      targetType: 'tool_signing_secret',
      targetId: acting,
      tenantId: acting,
    });
    return saved;
  });
  return { secret, createdAt: row.createdAt };
}

import { z } from 'zod';
import type { Prompt, PromptVersion } from '../../../generated/prisma/client.js';
import { NotFoundError } from '../../kernel/errors.js';
import {
  type ArgumentPath,
  detail,
  invalid,
  parseArgs,
  requireUuid,
  type ValidationDetail,
} from '../../kernel/validation.js';
import { actingTenant } from '../../kernel/viewer.js';
import { type ArtifactKind, loadVersion } from '../artifacts/versioning.js';
import type { AgentsCtx } from '../db.js';
import {
  type PromptVariable,
  parseTemplate,
  renderTemplate,
  VARIABLE_NAME,
  type VariableValue,
} from './template.js';

/** Largest template accepted (characters): keeps rendering and the line diff cheap. */
export const MAX_TEMPLATE_LENGTH = 50_000;

const VariableInput = z.strictObject({
  name: z
    .string()
    .regex(VARIABLE_NAME, 'Use letters, digits and "_", starting with a letter or "_" (at most 64).'),
  required: z.boolean().nullish(),
  default: z.string().max(10_000).nullish(),
});

const PromptVersionInput = z.strictObject({
  template: z.string().min(1).max(MAX_TEMPLATE_LENGTH),
  variables: z.array(VariableInput).max(100).nullish(),
  notes: z.string().max(2000).nullish(),
});
export type PromptVersionInput = z.input<typeof PromptVersionInput>;

interface PromptVersionData {
  template: string;
  variables: PromptVariable[];
  notes: string | null;
}

/**
 * A version's content: the template must be valid, every placeholder declared, declarations
 * unique; `required` defaults to "no default given", and a required variable takes no default.
 */
export function parsePromptVersion(input: unknown, loc: ArgumentPath): PromptVersionData {
  const data = parseArgs(PromptVersionInput, input, loc);
  const problems: ValidationDetail[] = [];
  const variables: PromptVariable[] = [];
  const seen = new Set<string>();
  (data.variables ?? []).forEach((v, i) => {
    if (seen.has(v.name)) {
      problems.push(detail([...loc, 'variables', i, 'name'], `Variable "${v.name}" is declared twice.`));
    }
    seen.add(v.name);
    const required = v.required ?? v.default == null;
    if (required && v.default != null) {
      problems.push(detail([...loc, 'variables', i, 'default'], 'A required variable takes no default.'));
    }
    variables.push({ name: v.name, required, default: v.default ?? null });
  });
  const parsed = parseTemplate(data.template);
  if (!parsed.ok) {
    problems.push(detail([...loc, 'template'], parsed.error));
  } else {
    const undeclared = [...new Set(parsed.placeholders.map((p) => p.name))].filter((n) => !seen.has(n));
    for (const name of undeclared) {
      problems.push(
        detail([...loc, 'template'], `The template uses {{${name}}}, which "variables" does not declare.`),
      );
    }
  }
  if (problems.length) {
    throw invalid(problems);
  }
  return { template: data.template, variables, notes: data.notes ?? null };
}

/** Prompts for the shared versioning. */
export const promptKind: ArtifactKind<Prompt, PromptVersion, PromptVersionInput, PromptVersionData> = {
  name: 'prompt',
  label: 'Prompt',
  parentKey: 'promptId',
  idArgument: 'promptId',
  tables: (db) => ({ artifact: db.prompt as never, version: db.promptVersion as never }),
  parseVersion: async (_ctx, input, loc) => parsePromptVersion(input, loc),
  pinnedBy: async (tx, versionId) =>
    (
      await tx.agentBinding.findMany({ where: { promptVersionId: versionId }, orderBy: { createdAt: 'asc' } })
    ).map((b) => ({ bindingId: b.id, agentId: b.agentId })),
  diffFields: ['template', 'variables', 'notes'],
};

/** A prompt version of the tenant by id (batched); null when absent or another tenant's. */
export const loadPromptVersion = (ctx: AgentsCtx, tenantId: string, versionId: string) =>
  loadVersion<PromptVersion>(ctx, promptKind, tenantId, versionId);

/** The declared variables of a stored version. */
export function variablesOf(version: PromptVersion): PromptVariable[] {
  return Array.isArray(version.variables) ? (version.variables as unknown as PromptVariable[]) : [];
}

/** A rendered prompt. */
export interface RenderedPrompt {
  versionId: string;
  text: string;
  /** The value each declared variable took (given, or its default). */
  values: Record<string, string | null>;
}

/**
 * Renders a prompt version of the tenant with `variables` (name → string, number or boolean):
 * defaults fill what is not given; a missing required variable, an undeclared one, or a value that
 * is not a scalar answers 422 at `['variables', name]`.
 */
export async function renderPrompt(
  ctx: AgentsCtx,
  tenantId: string,
  versionId: string,
  variables: unknown,
): Promise<RenderedPrompt> {
  const { tenantId: acting } = actingTenant(ctx, { tenantId, operators: true });
  const version = await loadPromptVersion(ctx, acting, requireUuid(versionId, 'versionId'));
  if (!version) {
    throw new NotFoundError('Prompt version', versionId);
  }
  const given = variables ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw invalid([detail(['variables'], 'Input should be an object of variable values.', 'model_type')]);
  }
  const declared = variablesOf(version);
  const problems: ValidationDetail[] = [];
  const values: Record<string, VariableValue> = {};
  for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
    if (!declared.some((v) => v.name === name)) {
      problems.push(
        detail(['variables', name], `Variable "${name}" is not declared by this version.`, 'extra_forbidden'),
      );
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[name] = value;
    } else if (value !== null) {
      problems.push(
        detail(['variables', name], 'Input should be a string, number or boolean.', 'string_type'),
      );
    }
  }
  for (const v of declared) {
    if (v.required && values[v.name] === undefined) {
      problems.push(detail(['variables', v.name], `Variable "${v.name}" is required.`, 'missing'));
    }
  }
  if (problems.length) {
    throw invalid(problems);
  }
  const parsed = parseTemplate(version.template);
  const text = parsed.ok
    ? renderTemplate(version.template, parsed.placeholders, declared, values)
    : version.template;
  return {
    versionId: version.id,
    text,
    values: Object.fromEntries(
      declared.map((v) => [v.name, values[v.name] === undefined ? v.default : String(values[v.name])]),
    ),
  };
}

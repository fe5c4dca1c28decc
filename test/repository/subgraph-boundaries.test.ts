/**
 * Boundaries the tools enforce: a subgraph imports only its own folder and the kernel (Biome's
 * noRestrictedImports in biome.json), and its services see only its own tables on `ctx.db` (the
 * per-domain views in subgraphs/<domain>/db.ts, checked by tsc). These tests make the rule and the
 * types fire on a probe, and keep the per-domain table lists equal to prisma/models/<domain>.prisma.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_TX_MODELS, SHARED_MODELS } from '../../subgraphs/kernel/db.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { TENANTS_READS } from '../../subgraphs/tenants/db.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

function run(cmd: string, args: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

/** Writes `files` (repository-relative) for the duration of `check`, then removes them. */
function withProbes<T>(files: Record<string, string>, check: (paths: string[]) => T): T {
  const paths = Object.keys(files).map((f) => join(root, f));
  try {
    for (const [i, path] of paths.entries()) {
      writeFileSync(path, Object.values(files)[i] ?? '');
    }
    return check(paths);
  } finally {
    for (const path of paths) {
      rmSync(path, { force: true });
    }
  }
}

const probeName = `zz-boundary-probe-${process.pid}`;

describe('imports between subgraphs (biome noRestrictedImports)', () => {
  it("refuses a subgraph importing another subgraph's folder, and the kernel importing a subgraph", () => {
    const files = {
      [`subgraphs/identity/${probeName}.ts`]:
        "import { TENANTS_MODELS } from '../tenants/db.js';\nexport const probe = TENANTS_MODELS;\n",
      [`subgraphs/conversations/${probeName}.ts`]:
        "import { IDENTITY_MODELS } from '../../subgraphs/identity/db.js';\nexport const probe = IDENTITY_MODELS;\n",
      [`subgraphs/kernel/${probeName}.ts`]:
        "import { TENANTS_MODELS } from '../tenants/db.js';\nexport const probe = TENANTS_MODELS;\n",
    };
    withProbes(files, (paths) => {
      for (const path of paths) {
        const { code, output } = run(bin('biome'), ['lint', path]);
        expect(code, output).not.toBe(0);
        expect(output).toContain('noRestrictedImports');
      }
    });
  });

  it('accepts imports of the kernel, the own folder and the generated client', () => {
    const files = {
      [`subgraphs/tenants/${probeName}.ts`]: [
        "import type { Prisma } from '../../generated/prisma/client.js';",
        "import { NotFoundError } from '../kernel/errors.js';",
        "import { TENANTS_MODELS } from './db.js';",
        'export const probe: [unknown, unknown, Prisma.ModelName | null] = [NotFoundError, TENANTS_MODELS, null];',
        '',
      ].join('\n'),
    };
    withProbes(files, ([path]) => {
      const { code, output } = run(bin('biome'), ['lint', path as string]);
      expect(code, output).toBe(0);
    });
  });
});

/** Model names of a prisma/models file, as client keys (`ApiKey` → `apiKey`). */
function modelsOf(file: string): string[] {
  const text = readFileSync(join(root, 'prisma', 'models', file), 'utf8');
  return [...text.matchAll(/^model (\w+) \{/gm)].map((m) =>
    (m[1] as string).replace(/^./, (c) => c.toLowerCase()),
  );
}

describe("each domain's tables (typed views of the Prisma client)", () => {
  it('lists exactly the models of its prisma file, less the shared kernel tables', async () => {
    const shared = new Set<string>(SHARED_MODELS);
    const own = (file: string) =>
      modelsOf(file)
        .filter((m) => !shared.has(m))
        .sort();
    // Every registered domain: subgraphs/<name>/db.ts exports its `<NAME>_MODELS`.
    for (const { name } of subgraphs) {
      const db = (await import(/* @vite-ignore */ join(root, 'subgraphs', name, 'db.ts'))) as Record<
        string,
        unknown
      >;
      const models = Object.entries(db).find(([key]) => key.endsWith('_MODELS'))?.[1] as string[] | undefined;
      expect(models, `subgraphs/${name}/db.ts lists its tables`).toBeDefined();
      expect([...(models ?? [])].sort(), name).toEqual(own(`${name}.prisma`));
    }
    const declared = [...modelsOf('identity.prisma'), ...modelsOf('tenants.prisma')];
    expect(SHARED_MODELS.every((m) => declared.includes(m))).toBe(true);
    expect(KERNEL_TX_MODELS.every((m) => modelsOf('kernel.prisma').includes(m))).toBe(true);
    expect(TENANTS_READS.every((m) => modelsOf('identity.prisma').includes(m))).toBe(true);
  });

  it("fails the type check when a service reaches another domain's table, in or out of a transaction", () => {
    const dir = mkdtempSync(join(tmpdir(), 'boundary-'));
    const probe = join(root, 'subgraphs', 'identity', `${probeName}.ts`);
    try {
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: join(root, 'tsconfig.json'),
          compilerOptions: { typeRoots: [join(root, 'node_modules', '@types')] },
          include: [],
          files: [probe],
        }),
      );
      const files = {
        [`subgraphs/identity/${probeName}.ts`]: [
          "import type { IdentityCtx } from './db.js';",
          'export async function probe(ctx: IdentityCtx) {',
          '  await ctx.db.user.findMany();',
          '  await ctx.db.tenant.findMany();',
          '  await ctx.db.apiKey.findMany();',
          '  await ctx.db.$transaction(async (tx) => tx.conversation.count());',
          '}',
          '',
        ].join('\n'),
      };
      withProbes(files, () => {
        const { code, output } = run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')]);
        expect(code).not.toBe(0);
        const errors = output.split('\n').filter((l) => l.includes(probeName));
        // Own (`user`) and shared (`tenant`) tables type-check; the other domains' do not.
        expect(errors).toHaveLength(2);
        expect(errors[0]).toMatch(/Property 'apiKey' does not exist/);
        expect(errors[1]).toMatch(/Property 'conversation' does not exist/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('resolver modules load through schema.ts only', () => {
  it('no service or helper imports a *.graphql.ts module (the builder would see its fields out of order)', () => {
    const files = execFileSync('git', ['ls-files', 'subgraphs'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.graphql.ts') && !/\/(schema|refs)\.ts$/.test(f));
    const offenders = files.filter((f) =>
      /from '[^']*(\.graphql|\/refs)\.js'/.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});

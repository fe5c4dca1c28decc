/**
 * A fresh clone has nothing beside it: no tracked file may read or link a path outside the
 * repository (a sibling folder, a machine's absolute path). Relative paths in quotes, markdown links
 * and `join(here, '..', …)` calls are resolved from their file and must stay inside.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const SKIP = /^(node_modules|generated|dist|\.data|\.git)(\/|$)|package-lock\.json$|^schema\//;
const TEXT = /\.(ts|js|mjs|cjs|json|md|sh|toml|prisma|sql|yml|yaml)$|^\.ci\/run$|^\.gitignore$/;

function trackedFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
  } catch {
    // Not a git checkout (an exported copy): walk the tree instead.
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(join(root, dir))) {
        const path = dir ? `${dir}/${name}` : name;
        if (SKIP.test(path)) {
          continue;
        }
        if (statSync(join(root, path)).isDirectory()) {
          walk(path);
        } else {
          out.push(path);
        }
      }
    };
    walk('');
    return out;
  }
}

const inside = (file: string, target: string) => {
  const rel = relative(root, resolve(root, dirname(file), target));
  return !(rel === '..' || rel.startsWith(`..${sep}`));
};

/** Every path in `text` that leaves the repository, as `line: excerpt`. */
function outsidePaths(file: string, text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const at = `${file}:${index + 1}`;
    // Absolute paths of one machine, and the team's reference shelf by name.
    for (const m of line.matchAll(/(?:^|[\s'"`(=])(\/(?:work|home|Users)\/[\w.-]+)/g)) {
      problems.push(`${at}: ${m[1]}`);
    }
    for (const m of line.matchAll(/\bshared\/(?:reference|contracts|seeds|DESIGN)\b/g)) {
      problems.push(`${at}: ${m[0]}`);
    }
    // Relative paths in quotes or markdown links, resolved from the file's folder (biome.json's are
    // import specifiers of the files it lints, resolved from those).
    for (const m of line.matchAll(/['"`(]((?:\.\.\/)+[^'"`)\s]*)/g)) {
      if (file !== 'biome.json' && !inside(file, m[1] as string)) {
        problems.push(`${at}: ${m[1]}`);
      }
    }
    // join(here, '..', '..', 'x') and the like.
    for (const m of line.matchAll(
      /(?:join|resolve)\((?:import\.meta\.dirname|here|__dirname)((?:\s*,\s*'[^']*')+)\s*\)/g,
    )) {
      const segments = [...(m[1] as string).matchAll(/'([^']*)'/g)].map((s) => s[1] as string);
      if (!inside(file, join(...segments))) {
        problems.push(`${at}: ${m[0]}`);
      }
    }
  });
  return problems;
}

describe('the repository stands alone', () => {
  it('the check catches paths that leave the repository', () => {
    // The probes are assembled so that this file does not itself name the shelf beside the repository.
    const shelf = ['shared', ''].join('/');
    expect(outsidePaths('test/kit/x.ts', `readFileSync('../../../${shelf}contracts/api.json')`)).toHaveLength(
      2,
    );
    expect(outsidePaths('README.md', `see [design](../${shelf}DESIGN.md)`)).toHaveLength(2);
    expect(outsidePaths('bench/README.md', `see \`/work/${shelf}reference/performance.md\``)).not.toEqual([]);
    expect(
      outsidePaths('test/kit/x.ts', "join(import.meta.dirname, '..', '..', '..', 'other')"),
    ).toHaveLength(1);
    expect(outsidePaths('test/kit/x.ts', "join(import.meta.dirname, '..', '..', 'schema')")).toEqual([]);
    expect(outsidePaths('test/kit/x.ts', "import { a } from '../../rest-bridge/openapi.js';")).toEqual([]);
  });

  it('no tracked file names a path outside the repository', () => {
    const problems = trackedFiles()
      .filter((f) => !SKIP.test(f) && TEXT.test(f) && f !== 'test/repository/stands-alone.test.ts')
      .flatMap((f) => outsidePaths(f, readFileSync(join(root, f), 'utf8')));
    expect(problems).toEqual([]);
  });
});

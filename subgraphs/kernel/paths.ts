import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root (the folder of package.json), whether this module runs from its source or
 * compiled into dist/: files that are not code (schema/, contracts/, prisma/migrations, page assets)
 * are always read from the repository, never copied.
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`no package.json above ${from}`);
    }
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the repository: `projectPath('schema', 'supergraph.graphql')`. */
export const projectPath = (...segments: string[]): string => join(projectRoot, ...segments);

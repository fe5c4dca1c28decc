import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../schema/build.js';

describe('generated schema files', () => {
  it('are committed and current (composition succeeds)', () => {
    for (const [path, content] of generatedFiles()) {
      expect(readFileSync(path, 'utf8'), `${path} is stale: run npm run schema:build`).toBe(content);
    }
  });
});

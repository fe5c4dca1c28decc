import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;

beforeAll(async () => {
  t = await bootStack();
});
afterAll(async () => {
  await t?.close();
});

describe('graphql-http audits against the gateway', () => {
  // Every audit runs; MUST audits have to pass. SHOULD/MAY results are recorded, not enforced
  // (CSRF prevention deliberately blocks simple GET requests without a preflight header).
  const audits = serverAudits({ url: () => `${t.url}/graphql` });
  for (const audit of audits) {
    it(audit.name, async () => {
      const result = await audit.fn();
      if (audit.name.startsWith('MUST')) {
        expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
      } else {
        expect(['ok', 'notice', 'warn', 'error']).toContain(result.status);
      }
    });
  }
});

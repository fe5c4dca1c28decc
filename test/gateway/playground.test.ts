import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from '../kit/browser.js';
import { bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;

beforeAll(async () => {
  t = await bootStack();
});
afterAll(async () => {
  await t?.close();
});

describe('playground', () => {
  it('serves GraphQL, not the page, to non-browser clients', async () => {
    const res = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{__typename}')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it.skipIf(!hasChromium)(
    'renders GraphiQL in headless Chromium from local assets and runs a query',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const foreign: string[] = [];
        const failures: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(t.url) && !r.url().startsWith('data:')) {
            foreign.push(r.url());
          }
        });
        page.on('pageerror', (e) => failures.push(e.message));
        await page.goto(`${t.url}/graphql`);
        await page.waitForSelector('.graphiql-container', { timeout: 20_000 });
        await page.click('.graphiql-query-editor .CodeMirror');
        await page.keyboard.press('Control+A');
        await page.keyboard.type('{ __typename }');
        await page.click('.graphiql-execute-button');
        await page.waitForFunction(
          () => document.querySelector('.result-window')?.textContent?.includes('"Query"'),
          null,
          {
            timeout: 20_000,
          },
        );
        expect(foreign).toEqual([]);
        expect(failures).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, type TestStack } from '../kit/stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

  it.skipIf(!existsSync(CHROMIUM))(
    'renders GraphiQL in headless Chromium from local assets and runs a query',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
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

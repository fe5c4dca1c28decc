import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Vite prefers graphql's ESM build while the Apollo packages require() the CJS one; two copies of
    // graphql break `instanceof` checks ("from another module or realm"). Pin everyone to one.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/kit/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file boots its own stack; two at a time on two cores.
    maxWorkers: 2,
  },
});

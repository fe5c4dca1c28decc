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
    // Each file boots its own stack (from the PGlite snapshot global-setup.ts migrated); two at a time
    // on two cores. Files share a worker's module cache: the platform's modules, the compiled PGlite
    // WASM and the snapshot load once per worker, not once per file. So no `vi.mock`/`vi.stubEnv` or
    // other module-level state a later file could inherit (pass settings to bootStack instead).
    maxWorkers: 2,
    isolate: false,
  },
});

import { defineConfig } from 'prisma/config';

// No datasource here on purpose: the Prisma CLI cannot run migrations on machines without its native
// engine, so migrations go through `npm run db:migrate` (prisma/migrate.ts, the WASM schema engine).
export default defineConfig({
  schema: 'prisma',
  migrations: { path: 'prisma/migrations' },
});

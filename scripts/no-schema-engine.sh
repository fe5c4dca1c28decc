#!/bin/sh
# Placeholder for PRISMA_SCHEMA_ENGINE_BINARY: `prisma generate` only checks that it exists.
# Migrations run through the WASM schema engine: use `npm run db:migrate`.
echo "The native Prisma schema engine is not used here; run: npm run db:migrate" >&2
exit 1

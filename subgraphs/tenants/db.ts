import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/**
 * The tables tenants owns: prisma/models/tenants.prisma except `tenant`, a shared kernel table
 * (kernel/db.ts `SHARED_MODELS`). Its services see only these (and the shared ones) on `ctx.db`.
 */
export const TENANTS_MODELS = ['tenantSettings', 'apiKey'] as const;

/** Foreign tables tenants reads (never writes): `user`, to find a new tenant's owner by email. */
export const TENANTS_READS = ['user'] as const;

type Own = (typeof TENANTS_MODELS)[number];
type Read = (typeof TENANTS_READS)[number];

/** The request context of tenants' services. */
export type TenantsCtx = DomainCtx<Own, Read>;
/** A transaction of tenants' services. */
export type TenantsTx = DomainTx<Own, Read>;

import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/** The tables storage owns (prisma/models/storage.prisma); its services see only these on `ctx.db`. */
export const STORAGE_MODELS = ['storageObject'] as const;

type Own = (typeof STORAGE_MODELS)[number];

/** The request context of storage's services. */
export type StorageCtx = DomainCtx<Own>;
/** A transaction of storage's services. */
export type StorageTx = DomainTx<Own>;

import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/**
 * The tables activity owns (prisma/models/activity.prisma): each reader's receipts and checkpoint.
 * The entries themselves are the kernel's `activityEvent` (every domain records them).
 */
export const ACTIVITY_MODELS = ['activityReceipt', 'activityCheckpoint'] as const;

type Own = (typeof ACTIVITY_MODELS)[number];

/** The request context of activity's services. */
export type ActivityCtx = DomainCtx<Own>;
/** A transaction of activity's services. */
export type ActivityTx = DomainTx<Own>;

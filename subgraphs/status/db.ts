import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/** The tables status owns (prisma/models/status.prisma); its services see only these on `ctx.db`. */
export const STATUS_MODELS = ['statusIncident', 'statusSubscription'] as const;

type Own = (typeof STATUS_MODELS)[number];

/** The request context of status's services. */
export type StatusCtx = DomainCtx<Own>;
/** A transaction of status's services. */
export type StatusTx = DomainTx<Own>;

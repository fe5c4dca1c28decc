import type { UsageCounter } from '../../../generated/prisma/client.js';
import { actingTenant } from '../../kernel/viewer.js';
import type { PlatformCtx } from '../db.js';

/** The counters the legacy API returned at most. */
const MAX_COUNTERS = 100;

/**
 * The caller's tenant's usage counters (daily and monthly, UTC), newest period first, at most 100.
 * Every member may read them (the legacy route's viewer-only check locked owners out; fixed there too).
 */
export async function listUsage(ctx: PlatformCtx): Promise<UsageCounter[]> {
  const acting = actingTenant(ctx);
  return ctx.db.usageCounter.findMany({
    where: { tenantId: acting.tenantId },
    orderBy: [{ periodStart: 'desc' }, { granularity: 'asc' }],
    take: MAX_COUNTERS,
  });
}

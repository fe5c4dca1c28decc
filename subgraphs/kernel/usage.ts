import type { DbTx } from './db.js';

/** What one piece of work used. */
export interface UsageInput {
  tenantId: string;
  requests?: number;
  inputTokens?: number;
  outputTokens?: number;
  storageBytes?: number;
}

export type UsageGranularity = 'day' | 'month';

/** The first day (UTC) of the day and of the month `at` falls in. */
export function usagePeriods(at: Date): Record<UsageGranularity, Date> {
  return {
    day: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())),
    month: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)),
  };
}

/**
 * Adds work to the tenant's counters of today and of this month (UTC), inside the transaction that
 * does the work, so a counter never holds what was rolled back. One row per tenant and period,
 * incremented in SQL: concurrent writers queue on its row lock and none is lost.
 */
export async function countUsage(tx: DbTx, input: UsageInput, at = new Date()): Promise<void> {
  const add = {
    requests: BigInt(input.requests ?? 0),
    inputTokens: BigInt(input.inputTokens ?? 0),
    outputTokens: BigInt(input.outputTokens ?? 0),
    storageBytes: BigInt(input.storageBytes ?? 0),
  };
  for (const [granularity, periodStart] of Object.entries(usagePeriods(at))) {
    // ON CONFLICT, not a read-then-write: two first writers of a period must not collide.
    await tx.$executeRaw`
      INSERT INTO usage_counter (id, "tenantId", "periodStart", granularity, requests, "inputTokens", "outputTokens", "storageBytes", "updatedAt")
      VALUES (gen_random_uuid(), ${input.tenantId}::uuid, ${periodStart.toISOString().slice(0, 10)}::date, ${granularity},
              ${add.requests}, ${add.inputTokens}, ${add.outputTokens}, ${add.storageBytes}, now())
      ON CONFLICT ("tenantId", granularity, "periodStart") DO UPDATE SET
        requests = usage_counter.requests + EXCLUDED.requests,
        "inputTokens" = usage_counter."inputTokens" + EXCLUDED."inputTokens",
        "outputTokens" = usage_counter."outputTokens" + EXCLUDED."outputTokens",
        "storageBytes" = usage_counter."storageBytes" + EXCLUDED."storageBytes",
        "updatedAt" = now()`;
  }
}

import type { UsageCounter } from '../../../generated/prisma/client.js';
import { builder } from '../builder.js';
import { listUsage } from './usage.service.js';

const UsageCounterRef = builder.objectRef<UsageCounter>('UsageCounter').implement({
  description: 'What the tenant used in one period: chat runs, their tokens, bytes of storage uploaded.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Counter id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'The tenant (UUID).' }),
    userId: t.exposeID('userId', {
      nullable: true,
      description: 'Always null: counters are the whole tenant’s.',
    }),
    periodStart: t.string({
      description: 'The period’s first day, `YYYY-MM-DD` (UTC).',
      resolve: (c) => c.periodStart.toISOString().slice(0, 10),
    }),
    granularity: t.exposeString('granularity', { description: '`day` or `month`.' }),
    requests: t.expose('requests', { type: 'Count', description: 'Chat runs completed.' }),
    inputTokens: t.expose('inputTokens', { type: 'Count', description: 'Model input tokens of those runs.' }),
    outputTokens: t.expose('outputTokens', {
      type: 'Count',
      description: 'Model output tokens of those runs.',
    }),
    storageBytes: t.expose('storageBytes', {
      type: 'Count',
      description: 'Bytes of storage objects uploaded (and checked) in the period.',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last counted.' }),
  }),
});

builder.queryField('usage', (t) =>
  t.field({
    type: [UsageCounterRef],
    description:
      'Usage counters of the caller’s tenant, daily and monthly (UTC), newest period first, at most 100.',
    authScopes: { scope: 'usage:read' },
    resolve: (_root, _args, ctx) => listUsage(ctx),
  }),
);

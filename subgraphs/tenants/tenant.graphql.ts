import { builder } from './builder.js';
import { getCurrentTenant, getTenantRef } from './tenant.service.js';

type TenantShape = { id: string; name: string; slug: string; status: string; createdAt: Date };

export const TenantRef = builder.objectRef<TenantShape>('Tenant').implement({
  description: 'A tenant account: the unit of isolation for every tenant-owned resource.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Tenant id (UUID).' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    slug: t.exposeString('slug', { description: 'URL-safe unique slug derived from the name.' }),
    status: t.exposeString('status', { description: 'Lifecycle status (active, suspended).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
  }),
});

builder.asEntity(TenantRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => getTenantRef(ctx, ref.id),
});

builder.queryField('currentTenant', (t) =>
  t.field({
    type: TenantRef,
    nullable: true,
    description: 'The tenant of the calling credential.',
    authScopes: { tenantMember: true },
    resolve: (_root, _args, ctx) => getCurrentTenant(ctx),
  }),
);

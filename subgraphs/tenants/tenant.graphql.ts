import { legacyEnum } from '../kernel/builder.js';
import { builder } from './builder.js';
import {
  createTenant,
  getCurrentTenant,
  getTenant,
  getTenantRef,
  TENANT_STATUSES,
  type TenantView,
  updateTenant,
} from './tenant.service.js';

const TenantStatus = legacyEnum(builder, 'TenantStatus', TENANT_STATUSES, 'Lifecycle status of a tenant.');

export const TenantRef = builder.objectRef<TenantView>('Tenant').implement({
  description: 'A tenant account: the unit of isolation for every tenant-owned resource.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Tenant id (UUID).' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    slug: t.exposeString('slug', { description: 'URL-safe unique slug derived from the name.' }),
    status: t.field({
      type: TenantStatus,
      description: 'Lifecycle status.',
      resolve: (tenant) => tenant.status as (typeof TENANT_STATUSES)[number],
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last update time.' }),
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

const CreateTenantInput = builder.inputType('CreateTenantInput', {
  description: 'A new tenant (platform operators only).',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name (2–128 characters).' }),
    slug: t.string({
      description:
        'Unique slug (2–60 lowercase letters, digits, inner hyphens); derived from the name if omitted.',
    }),
    ownerEmail: t.string({ description: 'Email of an existing user who becomes the tenant’s owner.' }),
  }),
});

const UpdateTenantInput = builder.inputType('UpdateTenantInput', {
  description: 'Changes to a tenant; omitted fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: 'New display name (2–128 characters).' }),
    status: t.field({ type: TenantStatus, description: 'New status (platform operators only).' }),
  }),
});

builder.queryField('tenant', (t) =>
  t.field({
    type: TenantRef,
    description: 'A tenant by id: visible to its own members and API keys, and to platform operators.',
    authScopes: { authenticated: true },
    args: { tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }) },
    resolve: (_root, args, ctx) => getTenant(ctx, String(args.tenantId)),
  }),
);

builder.mutationField('createTenant', (t) =>
  t.field({
    type: TenantRef,
    description: 'Create a tenant, optionally with an existing user as its owner (platform operators only).',
    authScopes: { platformOperator: true },
    args: { input: t.arg({ type: CreateTenantInput, required: true }) },
    resolve: (_root, { input }, ctx) => createTenant(ctx, input),
  }),
);

builder.mutationField('updateTenant', (t) =>
  t.field({
    type: TenantRef,
    description: 'Rename a tenant (its owners and admins, or operators) or change its status (operators).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: UpdateTenantInput, required: true }),
    },
    resolve: (_root, args, ctx) => updateTenant(ctx, String(args.tenantId), args.input),
  }),
);

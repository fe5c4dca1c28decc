import type { TenantRole } from '../kernel/viewer.js';
import { builder } from './builder.js';
import { TenantRoleEnum } from './enums.graphql.js';
import {
  addTenantUser,
  getTenantUser,
  listTenantUsers,
  removeTenantUser,
  type TenantUserView,
  updateTenantUser,
} from './members.service.js';

const TenantUser = builder.objectRef<TenantUserView>('TenantUser').implement({
  description: 'A user as a member of one tenant, with their role in it.',
  fields: (t) => ({
    userId: t.exposeID('userId', { description: 'User id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant id (UUID).' }),
    email: t.exposeString('email', { description: 'Sign-in email.' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'Display name.' }),
    role: t.field({
      type: TenantRoleEnum,
      description: 'Role in the tenant.',
      resolve: (u) => u.role as TenantRole,
    }),
    status: t.exposeString('status', { description: 'Account status (active, disabled …).' }),
    emailVerified: t.exposeBoolean('emailVerified', { description: 'Whether the email is verified.' }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime', description: 'When the user joined the tenant.' }),
  }),
});

const TenantUserPage = builder
  .objectRef<{ items: TenantUserView[]; nextCursor: string | null }>('TenantUserPage')
  .implement({
    description: 'A page of tenant members, oldest first.',
    fields: (t) => ({
      items: t.field({ type: [TenantUser], description: 'Members of this page.', resolve: (p) => p.items }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

const AddTenantUserInput = builder.inputType('AddTenantUserInput', {
  description: 'Add an existing user by email (no password), or create one with a password.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The user’s email.' }),
    role: t.field({
      type: TenantRoleEnum,
      required: true,
      description: 'Role; only owners may grant the owner role.',
    }),
    password: t.string({
      description: 'Only to create a new account: at least 14 characters, two character classes.',
    }),
    displayName: t.string({ description: 'Display name of a new account (1–128 characters).' }),
  }),
});

const UpdateTenantUserInput = builder.inputType('UpdateTenantUserInput', {
  description: 'A member’s new role.',
  fields: (t) => ({
    role: t.field({ type: TenantRoleEnum, required: true, description: 'New role.' }),
  }),
});

builder.mutationField('addTenantUser', (t) =>
  t.field({
    type: TenantUser,
    description: 'Add a user to a tenant with a role (its owners and admins, or operators).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: AddTenantUserInput, required: true }),
    },
    resolve: (_root, args, ctx) => addTenantUser(ctx, String(args.tenantId), args.input),
  }),
);

builder.queryField('tenantUsers', (t) =>
  t.field({
    type: TenantUserPage,
    description: 'Members of a tenant, oldest first (its owners and admins, or operators).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, args, ctx) => listTenantUsers(ctx, String(args.tenantId), args),
  }),
);

builder.queryField('tenantUser', (t) =>
  t.field({
    type: TenantUser,
    description: 'One member of a tenant (its owners and admins, or operators).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      userId: t.arg.id({ required: true, description: 'User id (UUID).' }),
    },
    resolve: (_root, args, ctx) => getTenantUser(ctx, String(args.tenantId), String(args.userId)),
  }),
);

builder.mutationField('updateTenantUser', (t) =>
  t.field({
    type: TenantUser,
    description: 'Change a member’s role; demoting the last owner is refused (409).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      userId: t.arg.id({ required: true, description: 'User id (UUID).' }),
      input: t.arg({ type: UpdateTenantUserInput, required: true }),
    },
    resolve: (_root, args, ctx) =>
      updateTenantUser(ctx, String(args.tenantId), String(args.userId), args.input),
  }),
);

builder.mutationField('removeTenantUser', (t) =>
  t.field({
    type: 'Boolean',
    description:
      'Remove a member from a tenant (the account stays); removing the last owner is refused (409).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      userId: t.arg.id({ required: true, description: 'User id (UUID).' }),
    },
    resolve: (_root, args, ctx) => removeTenantUser(ctx, String(args.tenantId), String(args.userId)),
  }),
);

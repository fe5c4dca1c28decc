import { builder } from './builder.js';
import { getTenantSettings, type TenantSettingsView, updateTenantSettings } from './settings.service.js';

type Contact = TenantSettingsView['billingContacts'][number];

const BillingContact = builder.objectRef<Contact>('BillingContact').implement({
  description: 'A person who receives billing notices for the tenant.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Contact name.' }),
    email: t.exposeString('email', { description: 'Contact email address.' }),
    role: t.string({ nullable: true, description: 'Role or title.', resolve: (c) => c.role ?? null }),
    phone: t.string({ nullable: true, description: 'Phone number.', resolve: (c) => c.phone ?? null }),
    notifyBilling: t.exposeBoolean('notifyBilling', {
      description: 'Whether billing notices are sent to this contact.',
    }),
  }),
});

const TenantSettings = builder.objectRef<TenantSettingsView>('TenantSettings').implement({
  description: 'Tenant-level settings: billing contacts, webhook, plan metadata and feature flags.',
  fields: (t) => ({
    tenantId: t.exposeID('tenantId', { description: 'Tenant id.' }),
    billingContacts: t.field({
      type: [BillingContact],
      description: 'Billing contacts (at most 10).',
      resolve: (s) => s.billingContacts,
    }),
    billingWebhookUrl: t.exposeString('billingWebhookUrl', {
      nullable: true,
      description: 'Webhook receiving billing events.',
    }),
    planMetadata: t.field({
      type: 'JSON',
      description: 'String map of plan metadata.',
      resolve: (s) => s.planMetadata,
    }),
    flags: t.field({ type: 'JSON', description: 'Boolean map of feature flags.', resolve: (s) => s.flags }),
    version: t.exposeInt('version', {
      description: 'Monotonic version, incremented on every update (0 before the first).',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true, description: 'Last update time.' }),
  }),
});

const BillingContactInput = builder.inputType('BillingContactInput', {
  description: 'A billing contact.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Contact name (1–128 characters).' }),
    email: t.string({ required: true, description: 'Contact email address.' }),
    role: t.string({ description: 'Role or title (at most 64 characters).' }),
    phone: t.string({ description: 'Phone number (at most 64 characters).' }),
    notifyBilling: t.boolean({ description: 'Send billing notices to this contact (default true).' }),
  }),
});

const UpdateTenantSettingsInput = builder.inputType('UpdateTenantSettingsInput', {
  description: 'The full new settings; omitted optional fields are cleared.',
  fields: (t) => ({
    billingContacts: t.field({
      type: [BillingContactInput],
      required: true,
      description: 'Billing contacts (at most 10).',
    }),
    billingWebhookUrl: t.string({ description: 'http(s) URL receiving billing events.' }),
    planMetadata: t.field({
      type: 'JSON',
      required: true,
      description: 'Plan metadata; values are stored as strings.',
    }),
    flags: t.field({
      type: 'JSON',
      required: true,
      description: 'Feature flags; values are stored as booleans.',
    }),
  }),
});

builder.queryField('tenantSettings', (t) =>
  t.field({
    type: TenantSettings,
    description: 'Settings of the caller’s tenant (owners and admins).',
    authScopes: { $all: { tenantRole: ['owner', 'admin'], scope: 'tenant:settings' } },
    resolve: (_root, _args, ctx) => getTenantSettings(ctx),
  }),
);

builder.mutationField('updateTenantSettings', (t) =>
  t.field({
    type: TenantSettings,
    description: 'Replace the settings of the caller’s tenant (owners and admins).',
    authScopes: { $all: { tenantRole: ['owner', 'admin'], scope: 'tenant:settings' } },
    args: { input: t.arg({ type: UpdateTenantSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      updateTenantSettings(ctx, {
        billingContacts: input.billingContacts.map((c) => ({ ...c, notifyBilling: c.notifyBilling ?? true })),
        billingWebhookUrl: input.billingWebhookUrl ?? null,
        planMetadata: input.planMetadata as Record<string, unknown>,
        flags: input.flags as Record<string, unknown>,
      }),
  }),
);

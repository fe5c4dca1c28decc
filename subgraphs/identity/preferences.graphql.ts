import { builder } from './builder.js';
import {
  type ConsentView,
  listConsents,
  listNotificationPreferences,
  type NotificationPreferenceView,
  recordConsent,
  setNotificationPreference,
} from './preferences.service.js';

const Consent = builder.objectRef<ConsentView>('Consent').implement({
  description: 'A policy version the user accepted.',
  fields: (t) => ({
    policyKey: t.exposeString('policyKey', { description: 'Policy identifier (terms, privacy …).' }),
    version: t.exposeString('version', { description: 'Accepted policy version.' }),
    acceptedAt: t.expose('acceptedAt', { type: 'DateTime', description: 'When it was first accepted.' }),
  }),
});

const NotificationPreference = builder
  .objectRef<NotificationPreferenceView>('NotificationPreference')
  .implement({
    description: 'Whether the user receives one category of notifications on one channel, per tenant.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'Preference id (UUID).' }),
      channel: t.exposeString('channel', { description: 'Delivery channel (email, sms, push …).' }),
      category: t.exposeString('category', { description: 'Notification category.' }),
      enabled: t.exposeBoolean('enabled', { description: 'Whether notifications are sent.' }),
      tenantId: t.exposeID('tenantId', { nullable: true, description: 'Tenant the preference applies to.' }),
    }),
  });

const RecordConsentInput = builder.inputType('RecordConsentInput', {
  description: 'A policy version the caller accepts.',
  fields: (t) => ({
    policyKey: t.string({ required: true, description: 'Policy identifier (1–64 characters).' }),
    version: t.string({ required: true, description: 'Policy version (1–32 characters).' }),
    ipHash: t.string({ description: 'Hash of the client IP at acceptance (≤ 128 characters).' }),
    userAgentHash: t.string({ description: 'Hash of the user agent at acceptance (≤ 128 characters).' }),
  }),
});

const SetNotificationPreferenceInput = builder.inputType('SetNotificationPreferenceInput', {
  description: 'One notification preference of the caller in the caller’s tenant.',
  fields: (t) => ({
    channel: t.string({ required: true, description: 'Delivery channel (1–16 characters).' }),
    category: t.string({ required: true, description: 'Notification category (1–64 characters).' }),
    enabled: t.boolean({ description: 'Send these notifications (default true).' }),
    tenantId: t.id({ description: 'Must be the caller’s tenant when given (else FORBIDDEN).' }),
  }),
});

builder.mutationField('recordConsent', (t) =>
  t.field({
    type: Consent,
    description: 'Record that the caller accepted a policy version (idempotent).',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RecordConsentInput, required: true }) },
    resolve: (_root, { input }, ctx) => recordConsent(ctx, input),
  }),
);

builder.queryField('consents', (t) =>
  t.field({
    type: [Consent],
    description: 'The caller’s accepted policies, newest first (at most 50).',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => listConsents(ctx),
  }),
);

builder.mutationField('setNotificationPreference', (t) =>
  t.field({
    type: NotificationPreference,
    description: 'Create or update one of the caller’s notification preferences in the caller’s tenant.',
    authScopes: { tenantMember: true },
    args: { input: t.arg({ type: SetNotificationPreferenceInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      setNotificationPreference(ctx, {
        ...input,
        tenantId: input.tenantId == null ? null : String(input.tenantId),
      }),
  }),
);

builder.queryField('notificationPreferences', (t) =>
  t.field({
    type: [NotificationPreference],
    description: 'The caller’s notification preferences in the caller’s tenant.',
    authScopes: { tenantMember: true },
    resolve: (_root, _args, ctx) => listNotificationPreferences(ctx),
  }),
);

import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  answerChallenge,
  CHANNELS,
  createSubscription,
  deleteSubscription,
  listSubscriptions,
  resendIncident,
  SEVERITY_FILTERS,
  type SubscriptionView,
  verifySubscription,
} from './subscription.service.js';

const SeverityFilter = legacyEnum(
  builder,
  'StatusSeverityFilter',
  SEVERITY_FILTERS,
  'Which incidents a subscriber hears of: all, major, maintenance.',
);
const Channel = legacyEnum(builder, 'StatusChannel', CHANNELS, 'How a subscriber is told: email or webhook.');

const SubscriptionRef = builder.objectRef<SubscriptionView>('StatusSubscription').implement({
  description: 'Someone told about incidents.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Subscription id (UUID).' }),
    channel: t.exposeString('channel', { description: '`email` or `webhook`.' }),
    severityFilter: t.exposeString('severityFilter', { description: '`all`, `major` or `maintenance`.' }),
    status: t.exposeString('status', { description: '`pending_verification`, `active` or `revoked`.' }),
    targetMasked: t.exposeString('targetMasked', { description: 'The address or URL, masked.' }),
    tenantId: t.exposeID('tenantId', {
      nullable: true,
      description: 'The subscriber’s tenant, if signed in.',
    }),
    createdBy: t.exposeString('createdBy', { description: 'The user id, or `public`.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    webhookSecret: t.exposeString('webhookSecret', {
      nullable: true,
      description: 'The webhook’s signing secret (`X-Status-Signature`), on creation only.',
    }),
  }),
});

const SubscriptionPageRef = builder
  .objectRef<{ items: SubscriptionView[]; nextCursor: string | null }>('StatusSubscriptionPage')
  .implement({
    description: 'A page of subscriptions.',
    fields: (t) => ({
      items: t.field({ type: [SubscriptionRef], description: 'Newest first.', resolve: (p) => p.items }),
      nextCursor: t.exposeString('nextCursor', { nullable: true, description: 'The next page’s offset.' }),
    }),
  });

const CreateInput = builder.inputType('CreateStatusSubscriptionInput', {
  description: 'Who to tell, and of what.',
  fields: (t) => ({
    channel: t.field({ type: Channel, required: true, description: 'email or webhook.' }),
    target: t.string({ required: true, description: 'The address, or the https URL.' }),
    severityFilter: t.field({ type: SeverityFilter, description: 'Default major.' }),
    metadata: t.field({ type: 'JSON', description: 'Labels (an object, up to 4 KiB).' }),
  }),
});

const TokenInput = builder.inputType('StatusSubscriptionTokenInput', {
  description: 'A token from a confirmation link or a webhook challenge.',
  fields: (t) => ({ token: t.string({ required: true, description: 'The token.' }) }),
});

const ResendInput = builder.inputType('StatusIncidentResendInput', {
  description: 'Who hears it again.',
  fields: (t) => ({
    severity: t.field({
      type: SeverityFilter,
      description: 'Subscriptions whose filter takes this (default major).',
    }),
    tenantId: t.id({ description: 'Only this tenant’s subscriptions.' }),
  }),
});

const ResendRef = builder.objectRef<{ dispatched: number }>('StatusIncidentResend').implement({
  description: 'How many subscribers were told.',
  fields: (t) => ({
    dispatched: t.exposeInt('dispatched', {
      description: 'Notices queued for delivery (one per matching subscriber).',
    }),
  }),
});

builder.mutationField('createStatusSubscription', (t) =>
  t.field({
    type: SubscriptionRef,
    description:
      'Subscribes an email address (no credential needed; a confirmation link is mailed) or an https webhook (status:manage; a signed challenge is posted to it). RATE_LIMITED per client IP; CONFLICT when the same is active.',
    // Email is public; the service asks for status:manage on webhooks.
    authScopes: { public: true },
    args: { input: t.arg({ type: CreateInput, required: true, description: 'The subscription.' }) },
    resolve: (_root, { input }, ctx) => createSubscription(ctx, input),
  }),
);

builder.mutationField('verifyStatusSubscription', (t) =>
  t.field({
    type: SubscriptionRef,
    description:
      'Confirms an email subscription with its link’s token (NOT_FOUND unknown; GONE expired or revoked).',
    authScopes: { public: true },
    args: { input: t.arg({ type: TokenInput, required: true, description: 'The token.' }) },
    resolve: (_root, { input }, ctx) => verifySubscription(ctx, input.token),
  }),
);

builder.mutationField('answerStatusSubscriptionChallenge', (t) =>
  t.field({
    type: SubscriptionRef,
    description: 'Confirms a webhook subscription with the challenge posted to it.',
    authScopes: { public: true },
    args: { input: t.arg({ type: TokenInput, required: true, description: 'The challenge.' }) },
    resolve: (_root, { input }, ctx) => answerChallenge(ctx, input.token),
  }),
);

builder.queryField('statusSubscriptions', (t) =>
  t.field({
    type: SubscriptionPageRef,
    description: 'Subscriptions (platform operators); a tenant-bound token sees its tenant’s unless `all`.',
    authScopes: { scope: 'status:manage' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–100, default 20).' }),
      cursor: t.arg.string({ description: '`nextCursor` of the previous page.' }),
      tenantId: t.arg.id({ description: 'Only this tenant’s.' }),
      all: t.arg.boolean({ description: 'Every tenant’s, and the public ones.' }),
    },
    resolve: (_root, args, ctx) =>
      listSubscriptions(ctx, {
        limit: args.limit,
        cursor: args.cursor,
        tenantId: args.tenantId == null ? null : String(args.tenantId),
        all: args.all,
      }),
  }),
);

builder.mutationField('deleteStatusSubscription', (t) =>
  t.boolean({
    description: 'Ends a subscription: with its unsubscribe token (no credential), or as an operator.',
    // The token or status:manage, checked by the service.
    authScopes: { public: true },
    args: {
      subscriptionId: t.arg.id({ required: true, description: 'Subscription id (UUID).' }),
      token: t.arg.string({ description: 'The unsubscribe token mailed to the address.' }),
    },
    resolve: (_root, args, ctx) => deleteSubscription(ctx, String(args.subscriptionId), args.token),
  }),
);

builder.mutationField('resendStatusIncident', (t) =>
  t.field({
    type: ResendRef,
    description: 'Tells the matching active subscribers of an incident again (platform operators).',
    authScopes: { scope: 'status:manage' },
    args: {
      incidentId: t.arg.id({ required: true, description: 'Incident id (UUID).' }),
      input: t.arg({ type: ResendInput, description: 'Who.' }),
    },
    resolve: (_root, args, ctx) =>
      resendIncident(ctx, String(args.incidentId), {
        severity: args.input?.severity,
        tenantId: args.input?.tenantId == null ? null : String(args.input.tenantId),
      }),
  }),
);

import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  ACTIVITY_STATUSES,
  type ActivityPage,
  type ActivityStreamView,
  type ActivityView,
  listActivity,
  markAllRead,
  READ_STATES,
  setReceipt,
  subscribeActivity,
} from './feed.service.js';

builder.subscriptionType({ description: 'Live event streams.' });

const ActivityStatus = legacyEnum(
  builder,
  'ActivityStatus',
  ACTIVITY_STATUSES,
  'How what was done ended: success, failure, or pending (started, not over).',
);

const ActivityReadState = legacyEnum(
  builder,
  'ActivityReadState',
  READ_STATES,
  'The reader’s state of an entry: unread, read (marked, or before “mark all read”), dismissed.',
);

/** The fields of an entry, shared by the feed's items and the live stream's events. */
const ActivityEntryRef = builder.interfaceRef<ActivityView>('ActivityEntry').implement({
  description: 'Who did what to which object of the tenant, and when.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Entry id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'The tenant (UUID).' }),
    action: t.exposeString('action', {
      description: 'What was done: `auth.login.success`, `conversation.created`, `storage.file.deleted` …',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was done.' }),
    actorId: t.exposeString('actorId', {
      nullable: true,
      description: 'Who did it: the user’s, API key’s or agent run’s id; null for the platform.',
    }),
    actorType: t.exposeString('actorType', {
      nullable: true,
      description: '`user`, `api_key`, `agent` or `system`.',
    }),
    actorRole: t.exposeString('actorRole', { nullable: true, description: 'The user’s tenant role then.' }),
    objectType: t.exposeString('objectType', {
      nullable: true,
      description: 'The kind of object it was done to (`conversation`, `storage_object` …).',
    }),
    objectId: t.exposeString('objectId', { nullable: true, description: 'The object’s id.' }),
    objectName: t.exposeString('objectName', { nullable: true, description: 'The object’s name then.' }),
    status: t.field({ type: ActivityStatus, description: 'How it ended.', resolve: (e) => e.status }),
    source: t.exposeString('source', {
      nullable: true,
      description: '`api` (a request) or `system` (the platform’s own work).',
    }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The request that did it.' }),
    metadata: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Details of the action (an object).',
      resolve: (e) => e.metadata,
    }),
    readState: t.field({
      type: ActivityReadState,
      description: 'The reader’s state of it.',
      resolve: (e) => e.readState,
    }),
  }),
});

const ActivityEventRef = builder.objectRef<ActivityView>('ActivityEvent').implement({
  description: 'One entry of the tenant’s activity feed: who did what to which object, and when.',
  interfaces: [ActivityEntryRef],
  fields: (t) => ({
    ipHash: t.exposeString('ipHash', {
      nullable: true,
      description: 'SHA-256 of the client’s IP address, if the request had one.',
    }),
    userAgent: t.exposeString('userAgent', { nullable: true, description: 'The client’s User-Agent.' }),
  }),
});

const ActivityStreamEventRef = builder.objectRef<ActivityStreamView>('ActivityStreamEvent').implement({
  description:
    'An entry of the tenant’s activity feed as it is recorded (no client details; `readState` is always unread).',
  interfaces: [ActivityEntryRef],
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Resume point: pass it as `after` (SSE `Last-Event-ID`).',
    }),
  }),
});

const ActivityPageRef = builder.objectRef<ActivityPage>('ActivityPage').implement({
  description: 'A page of the activity feed, with the reader’s unread count.',
  fields: (t) => ({
    items: t.field({
      type: [ActivityEventRef],
      description: 'Entries, newest first.',
      resolve: (p) => p.items,
    }),
    nextCursor: t.exposeString('nextCursor', {
      nullable: true,
      description: 'Cursor of the next page; null on the last.',
    }),
    unreadCount: t.exposeInt('unreadCount', {
      description: 'Entries of the whole feed the reader has not read or dismissed.',
    }),
  }),
});

const ActivityReceiptRef = builder.objectRef<{ unreadCount: number }>('ActivityReceipt').implement({
  description: 'The reader’s unread count after marking.',
  fields: (t) => ({
    unreadCount: t.exposeInt('unreadCount', { description: 'Entries still unread.' }),
  }),
});

builder.queryField('activity', (t) =>
  t.field({
    type: ActivityPageRef,
    description: 'The activity feed of the caller’s tenant, newest first, with the caller’s read state.',
    authScopes: { scope: 'activity:read' },
    args: {
      limit: t.arg.int({ description: 'Page size (1–200, default 50).' }),
      cursor: t.arg.string({ description: '`nextCursor` of the previous page.' }),
      action: t.arg.string({ description: 'Only this action.' }),
      actorId: t.arg.string({ description: 'Only what this actor did.' }),
      objectType: t.arg.string({ description: 'Only what was done to objects of this kind.' }),
      objectId: t.arg.string({ description: 'Only what was done to this object.' }),
      status: t.arg({ type: ActivityStatus, description: 'Only entries that ended so.' }),
      requestId: t.arg.string({ description: 'Only what this request did.' }),
      createdAfter: t.arg({ type: 'DateTime', description: 'Only entries at or after this time.' }),
      createdBefore: t.arg({ type: 'DateTime', description: 'Only entries at or before this time.' }),
    },
    resolve: (_root, args, ctx) => listActivity(ctx, args),
  }),
);

builder.mutationField('markActivityRead', (t) =>
  t.field({
    type: ActivityReceiptRef,
    description: 'Marks one entry read for the caller (a dismissed one stays dismissed).',
    authScopes: { scope: 'activity:read' },
    args: { eventId: t.arg.id({ required: true, description: 'Entry id (UUID).' }) },
    resolve: (_root, { eventId }, ctx) => setReceipt(ctx, String(eventId), 'read'),
  }),
);

builder.mutationField('dismissActivity', (t) =>
  t.field({
    type: ActivityReceiptRef,
    description: 'Dismisses one entry for the caller.',
    authScopes: { scope: 'activity:read' },
    args: { eventId: t.arg.id({ required: true, description: 'Entry id (UUID).' }) },
    resolve: (_root, { eventId }, ctx) => setReceipt(ctx, String(eventId), 'dismissed'),
  }),
);

builder.mutationField('markAllActivityRead', (t) =>
  t.field({
    type: ActivityReceiptRef,
    description: 'Marks every entry up to the newest read for the caller.',
    authScopes: { scope: 'activity:read' },
    resolve: (_root, _args, ctx) => markAllRead(ctx),
  }),
);

builder.subscriptionField('activityEvents', (t) =>
  t.field({
    type: ActivityStreamEventRef,
    description:
      'Entries of the caller’s tenant’s feed as they are recorded. Pass the last seen `cursor` as `after` to resume without loss (`0`: from the start); without it, the last day’s entries (at most 2,048) come first.',
    authScopes: { scope: 'activity:read' },
    args: { after: t.arg.string({ description: 'Replay entries after this cursor first.' }) },
    subscribe: (_root, args, ctx) => subscribeActivity(ctx, args.after),
    resolve: (event) => event,
  }),
);

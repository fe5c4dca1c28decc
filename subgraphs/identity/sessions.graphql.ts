import { builder } from './builder.js';
import {
  type LogoutAllResult,
  type LogoutResult,
  listSessions,
  logoutAllSessions,
  logoutSession,
  revokeSession,
  type SessionClient,
  type SessionItem,
  type SessionList,
} from './sessions.service.js';

const SessionLogoutResult = builder.objectRef<LogoutResult>('SessionLogoutResult').implement({
  description: 'Outcome of revoking one session.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'Human-readable summary of the result.' }),
    revoked: t.exposeBoolean('revoked', { description: 'Whether this request revoked the session.' }),
  }),
});

const SessionLogoutAllResult = builder.objectRef<LogoutAllResult>('SessionLogoutAllResult').implement({
  description: 'Outcome of revoking every session of the caller.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'Human-readable summary of the result.' }),
    revoked: t.exposeInt('revoked', { description: 'Number of sessions revoked by this request.' }),
  }),
});

const SessionClientInfo = builder.objectRef<SessionClient>('SessionClientInfo').implement({
  description: 'Client details recorded for a session.',
  fields: (t) => ({
    platform: t.exposeString('platform', {
      nullable: true,
      description: 'Operating system guessed from the user agent.',
    }),
    browser: t.exposeString('browser', {
      nullable: true,
      description: 'Browser family guessed from the user agent.',
    }),
    device: t.exposeString('device', {
      nullable: true,
      description: 'Device class: desktop, mobile, tablet or bot.',
    }),
    userAgent: t.exposeString('userAgent', {
      nullable: true,
      description: 'Raw user agent captured at login.',
    }),
  }),
});

type Location = { city: string | null; region: string | null; country: string | null };

const SessionLocationInfo = builder.objectRef<Location>('SessionLocationInfo').implement({
  description: 'Approximate location of a session (no GeoIP source is configured, so always null today).',
  fields: (t) => ({
    city: t.exposeString('city', { nullable: true, description: 'City.' }),
    region: t.exposeString('region', { nullable: true, description: 'Region or subdivision.' }),
    country: t.exposeString('country', { nullable: true, description: 'Country code.' }),
  }),
});

const UserSession = builder.objectRef<SessionItem>('UserSession').implement({
  description: 'A sign-in session (device) of the current user.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Session id (the token claim `sid`).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant the session is signed in to.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the session started.' }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last login or refresh in this session.',
    }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was revoked.',
    }),
    ipAddressMasked: t.exposeString('ipAddressMasked', {
      nullable: true,
      description: 'Client IP with the last part masked.',
    }),
    fingerprint: t.exposeString('fingerprint', {
      nullable: true,
      description: 'Fingerprint of the masked IP and user agent.',
    }),
    client: t.field({ type: SessionClientInfo, description: 'Client details.', resolve: (s) => s.client }),
    location: t.field({
      type: SessionLocationInfo,
      nullable: true,
      description: 'Approximate location, when known.',
      resolve: (s) => s.location,
    }),
    current: t.exposeBoolean('current', { description: 'True for the session of the calling token.' }),
  }),
});

const UserSessionList = builder.objectRef<SessionList>('UserSessionList').implement({
  description: 'One page of the current user’s sessions.',
  fields: (t) => ({
    sessions: t.field({
      type: [UserSession],
      description: 'Sessions of this page.',
      resolve: (l) => l.sessions,
    }),
    total: t.exposeInt('total', { description: 'Sessions matching the filter.' }),
    limit: t.exposeInt('limit', { description: 'Page size applied.' }),
    offset: t.exposeInt('offset', { description: 'Offset applied.' }),
  }),
});

const LogoutSessionInput = builder.inputType('LogoutSessionInput', {
  description: 'The refresh token of the session to end.',
  fields: (t) => ({
    refreshToken: t.string({ required: true, description: 'A refresh token of the current user.' }),
  }),
});

builder.mutationField('logoutSession', (t) =>
  t.field({
    type: SessionLogoutResult,
    description: 'Revoke one refresh token of the current user and its session.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: LogoutSessionInput, required: true }) },
    resolve: (_root, { input }, ctx) => logoutSession(ctx, input),
  }),
);

builder.mutationField('logoutAllSessions', (t) =>
  t.field({
    type: SessionLogoutAllResult,
    description: 'Revoke every session and refresh token of the current user, in every tenant.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => logoutAllSessions(ctx),
  }),
);

builder.queryField('userSessions', (t) =>
  t.field({
    type: UserSessionList,
    description: 'The current user’s sessions, most recently active first.',
    authScopes: { authenticated: true },
    args: {
      includeRevoked: t.arg.boolean({ description: 'Include revoked sessions (default false).' }),
      limit: t.arg.int({ description: 'Page size, 1–100 (default 20).' }),
      offset: t.arg.int({ description: 'Sessions to skip (default 0).' }),
      tenantId: t.arg.id({ description: 'Only sessions of this tenant.' }),
    },
    resolve: (_root, args, ctx) =>
      listSessions(ctx, { ...args, tenantId: args.tenantId == null ? null : String(args.tenantId) }),
  }),
);

builder.mutationField('revokeUserSession', (t) =>
  t.field({
    type: SessionLogoutResult,
    description: 'Revoke one of the current user’s sessions (another user’s session is not found).',
    authScopes: { authenticated: true },
    args: { sessionId: t.arg.id({ required: true, description: 'The session to revoke.' }) },
    resolve: (_root, { sessionId }, ctx) => revokeSession(ctx, String(sessionId)),
  }),
);

import type { VoiceSession } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import { SESSION_STATUSES, type SessionStatus } from '../lifecycle.js';
import { VoiceJoinTokenRef } from '../tokens/token.graphql.js';
import {
  attachVoiceSession,
  createVoiceSession,
  deleteVoiceSession,
  getVoiceSession,
  listVoiceSessions,
  startVoiceSession,
  stopVoiceSession,
} from './session.service.js';

const VoiceSessionStatus = legacyEnum(
  builder,
  'VoiceSessionStatus',
  SESSION_STATUSES,
  'Where a voice session is: created (no room yet), starting (room made, agent dispatched), active (the agent joined), ended or failed.',
);

export const VoiceSessionRef = builder.objectRef<VoiceSession>('VoiceSession').implement({
  description: 'One agent in one LiveKit room that people join with a token.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Session id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant id (UUID).' }),
    agentId: t.exposeID('agentId', { description: 'The agent that answers (UUID).' }),
    agentKey: t.exposeString('agentKey', {
      description: 'The agent’s key (as it was when the session was created or last started).',
    }),
    roomName: t.exposeString('roomName', {
      description: 'The LiveKit room: `t-<tenant id>-session-<session id>`.',
    }),
    conversationId: t.exposeID('conversationId', {
      description: 'The conversation the transcript is written into (created with its first line).',
    }),
    status: t.field({
      type: VoiceSessionStatus,
      description: 'created, starting, active, ended or failed.',
      resolve: (s) => s.status as SessionStatus,
    }),
    statusReason: t.exposeString('statusReason', {
      nullable: true,
      description: 'Why it ended or failed (stopped, room_finished, agent_not_joined …).',
    }),
    dispatchId: t.exposeString('dispatchId', {
      nullable: true,
      description: 'The LiveKit agent dispatch (`AD_…`) of the start.',
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'Free-form key/values given at create.',
      resolve: (s) => s.metadata,
    }),
    createdByUserId: t.exposeID('createdByUserId', {
      nullable: true,
      description: 'The user who created it (null for an API key).',
    }),
    apiKeyId: t.exposeID('apiKeyId', {
      nullable: true,
      description: 'The API key that created it, if one did.',
    }),
    startedAt: t.expose('startedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was started (room made, agent dispatched).',
    }),
    agentJoinedAt: t.expose('agentJoinedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the agent joined the room.',
    }),
    endedAt: t.expose('endedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it ended or failed.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

const VoiceSessionPage = builder
  .objectRef<{ items: VoiceSession[]; nextCursor: string | null }>('VoiceSessionPage')
  .implement({
    description: 'A page of a tenant’s voice sessions.',
    fields: (t) => ({
      items: t.field({
        type: [VoiceSessionRef],
        description: 'Sessions, newest first.',
        resolve: (p) => p.items,
      }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

builder.queryField('voiceSessions', (t) =>
  t.field({
    type: VoiceSessionPage,
    description: 'The tenant’s voice sessions, newest first (works without LiveKit).',
    authScopes: { scope: 'voice:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      status: t.arg({ type: VoiceSessionStatus, description: 'Only sessions in this state.' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, { tenantId, ...args }, ctx) => listVoiceSessions(ctx, String(tenantId), args),
  }),
);

builder.queryField('voiceSession', (t) =>
  t.field({
    type: VoiceSessionRef,
    description: 'One voice session of the tenant (works without LiveKit).',
    authScopes: { scope: 'voice:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      sessionId: t.arg.id({ required: true, description: 'Session id (UUID).' }),
    },
    resolve: (_root, { tenantId, sessionId }, ctx) =>
      getVoiceSession(ctx, String(tenantId), String(sessionId)),
  }),
);

const CreateVoiceSessionInput = builder.inputType('CreateVoiceSessionInput', {
  description: 'A new voice session with one of the tenant’s agents.',
  fields: (t) => ({
    agentId: t.id({
      required: true,
      description: 'The agent (UUID): active, with a live binding carrying its voice settings.',
    }),
    metadata: t.field({ type: 'JSON', description: 'Free-form key/values (an object, up to 16 KiB).' }),
  }),
});

builder.mutationField('createVoiceSession', (t) =>
  t.field({
    type: VoiceSessionRef,
    description:
      'Records a session in the `created` state (its room name and conversation fixed; no LiveKit call). An unknown agent is a validation error at `agentId`, an inactive one CONFLICT.',
    authScopes: { scope: 'voice:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: CreateVoiceSessionInput, required: true, description: 'The session.' }),
    },
    resolve: (_root, { tenantId, input }, ctx) =>
      createVoiceSession(ctx, String(tenantId), { agentId: String(input.agentId), metadata: input.metadata }),
  }),
);

builder.mutationField('startVoiceSession', (t) =>
  t.field({
    type: VoiceSessionRef,
    description:
      'Creates the session’s LiveKit room and dispatches the agent (explicit dispatch with its binding and voice settings): `created` → `starting`. CONFLICT unless created; SERVICE_UNAVAILABLE without LiveKit; a LiveKit failure leaves it `created` with no room.',
    authScopes: { scope: 'voice:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      sessionId: t.arg.id({ required: true, description: 'Session id (UUID).' }),
    },
    resolve: (_root, { tenantId, sessionId }, ctx) =>
      startVoiceSession(ctx, String(tenantId), String(sessionId)),
  }),
);

builder.mutationField('stopVoiceSession', (t) =>
  t.field({
    type: VoiceSessionRef,
    description:
      'Ends the session (reason `stopped`), deleting its room when it has one (SERVICE_UNAVAILABLE without LiveKit then). CONFLICT when it already ended or failed.',
    authScopes: { scope: 'voice:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      sessionId: t.arg.id({ required: true, description: 'Session id (UUID).' }),
    },
    resolve: (_root, { tenantId, sessionId }, ctx) =>
      stopVoiceSession(ctx, String(tenantId), String(sessionId)),
  }),
);

const AttachVoiceSessionInput = builder.inputType('AttachVoiceSessionInput', {
  description: 'Who joins the session’s room.',
  fields: (t) => ({
    identity: t.string({
      description:
        'Participant identity (1–128 letters, digits, `.`, `_`, `:`, `@`, `-`; `agent-` and `sip-` reserved). Default `user-<user id>` or `key-<API key id>`.',
    }),
    name: t.string({ description: 'Display name (1–128 characters).' }),
    ttlSeconds: t.int({
      description:
        'Token lifetime in seconds: 60 up to VOICE_TOKEN_MAX_TTL_SECONDS (default VOICE_TOKEN_TTL_SECONDS).',
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'Participant metadata: a string, or an object sent as its JSON (at most 16 KiB).',
    }),
  }),
});

builder.mutationField('attachVoiceSession', (t) =>
  t.field({
    type: VoiceJoinTokenRef,
    description:
      'A participant token (publish, subscribe, data) for the session’s room and the URL to join at. CONFLICT unless starting or active; SERVICE_UNAVAILABLE without LiveKit.',
    authScopes: { scope: 'voice:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      sessionId: t.arg.id({ required: true, description: 'Session id (UUID).' }),
      input: t.arg({ type: AttachVoiceSessionInput, description: 'Who joins (all optional).' }),
    },
    resolve: (_root, { tenantId, sessionId, input }, ctx) =>
      attachVoiceSession(ctx, String(tenantId), String(sessionId), input),
  }),
);

builder.mutationField('deleteVoiceSession', (t) =>
  t.field({
    type: 'Boolean',
    description:
      'Deletes a session; a starting or active one is stopped first (its room deleted; SERVICE_UNAVAILABLE without LiveKit then).',
    authScopes: { scope: 'voice:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      sessionId: t.arg.id({ required: true, description: 'Session id (UUID).' }),
    },
    resolve: (_root, { tenantId, sessionId }, ctx) =>
      deleteVoiceSession(ctx, String(tenantId), String(sessionId)),
  }),
);

import type { VoiceCall } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import type { Page } from '../../kernel/pagination.js';
import { builder } from '../builder.js';
import { CALL_STATUSES, type CallStatus } from '../lifecycle.js';
import {
  CALL_DIRECTIONS,
  type CallDirection,
  createVoiceCall,
  getVoiceCall,
  listVoiceCalls,
  startVoiceCall,
  stopVoiceCall,
} from './call.service.js';

const VoiceCallStatus = legacyEnum(
  builder,
  'VoiceCallStatus',
  CALL_STATUSES,
  'Where a call is: created → dialing → ringing → active → ended | failed.',
);

const VoiceCallDirection = legacyEnum(
  builder,
  'VoiceCallDirection',
  CALL_DIRECTIONS,
  'Outbound (placed through a SIP trunk) or inbound (routed by an inbound mapping).',
);

export const VoiceCallRef = builder.objectRef<VoiceCall>('VoiceCall').implement({
  description: 'A phone call with an agent in a LiveKit room: outbound (dialled) or inbound (routed).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Call id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'The tenant (UUID).' }),
    direction: t.field({
      type: VoiceCallDirection,
      description: 'outbound or inbound.',
      resolve: (c) => c.direction as CallDirection,
    }),
    agentId: t.exposeID('agentId', { description: 'The agent on the call (UUID).' }),
    agentKey: t.exposeString('agentKey', { description: 'The agent’s key when the call was created.' }),
    toNumber: t.exposeString('toNumber', { description: 'The number called (E.164).' }),
    fromNumber: t.exposeString('fromNumber', {
      nullable: true,
      description: 'The caller ID (E.164); null: the trunk’s number.',
    }),
    trunkId: t.exposeString('trunkId', {
      nullable: true,
      description: 'The LiveKit SIP trunk (`ST_…`) the call goes through.',
    }),
    mappingId: t.exposeID('mappingId', {
      nullable: true,
      description: 'The inbound mapping that routed an inbound call.',
    }),
    roomName: t.exposeString('roomName', { description: 'The LiveKit room (`t-<tenant>-call-<id>`).' }),
    conversationId: t.exposeID('conversationId', {
      description: 'The conversation the transcript is written to (UUID).',
    }),
    status: t.field({
      type: VoiceCallStatus,
      description: 'created, dialing, ringing, active, ended or failed.',
      resolve: (c) => c.status as CallStatus,
    }),
    statusReason: t.exposeString('statusReason', {
      nullable: true,
      description:
        'Why it ended or failed: stopped, hangup, room_finished, busy, no_answer, rejected, invalid_number, carrier_error, sip_<code>, agent_not_joined, dial_interrupted, livekit_error.',
    }),
    sipStatusCode: t.exposeInt('sipStatusCode', {
      nullable: true,
      description: 'SIP response code of a failed dial (486, 480, 603 …).',
    }),
    sipStatus: t.exposeString('sipStatus', {
      nullable: true,
      description: 'SIP reason phrase (Busy Here …).',
    }),
    sipCallId: t.exposeString('sipCallId', {
      nullable: true,
      description: 'LiveKit’s SIP call id (`SCL_…`).',
    }),
    participantIdentity: t.exposeString('participantIdentity', {
      nullable: true,
      description: 'The callee’s participant identity in the room (set when the dial is placed).',
    }),
    dispatchId: t.exposeString('dispatchId', {
      nullable: true,
      description: 'The agent dispatch (`AD_…`) of the start.',
    }),
    createdByUserId: t.exposeID('createdByUserId', {
      nullable: true,
      description: 'User who created it (null when created with an API key).',
    }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true, description: 'API key that created it, if any.' }),
    dialStartedAt: t.expose('dialStartedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was started (the dial enqueued).',
    }),
    answeredAt: t.expose('answeredAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the callee answered.',
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

const VoiceCallPage = builder.objectRef<Page<VoiceCall>>('VoiceCallPage').implement({
  description: 'A page of calls, newest first.',
  fields: (t) => ({
    items: t.field({ type: [VoiceCallRef], description: 'Calls of this page.', resolve: (p) => p.items }),
    nextCursor: t.exposeString('nextCursor', {
      nullable: true,
      description: 'Cursor of the next page; null on the last.',
    }),
  }),
});

const TenantArg = { required: true, description: 'Tenant id (UUID).' } as const;
const CallArg = { required: true, description: 'Call id (UUID).' } as const;

builder.queryField('voiceCalls', (t) =>
  t.field({
    type: VoiceCallPage,
    description: 'The tenant’s calls, newest first.',
    authScopes: { scope: 'voice:read' },
    args: {
      tenantId: t.arg.id(TenantArg),
      status: t.arg({ type: VoiceCallStatus, description: 'Only calls in this state.' }),
      direction: t.arg({ type: VoiceCallDirection, description: 'Only calls of this direction.' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, args, ctx) =>
      listVoiceCalls(ctx, String(args.tenantId), { status: args.status, direction: args.direction }, args),
  }),
);

builder.queryField('voiceCall', (t) =>
  t.field({
    type: VoiceCallRef,
    description: 'One call of the tenant.',
    authScopes: { scope: 'voice:read' },
    args: { tenantId: t.arg.id(TenantArg), callId: t.arg.id(CallArg) },
    resolve: (_root, args, ctx) => getVoiceCall(ctx, String(args.tenantId), String(args.callId)),
  }),
);

const CreateVoiceCallInput = builder.inputType('CreateVoiceCallInput', {
  description: 'An outbound call to place with an agent.',
  fields: (t) => ({
    agentId: t.id({ required: true, description: 'The tenant’s active agent to put on the call (UUID).' }),
    toNumber: t.string({ required: true, description: 'The number to call (E.164, `+15551234567`).' }),
    fromNumber: t.string({ description: 'Caller ID (E.164); default: the trunk’s number.' }),
    trunkId: t.string({
      description: 'LiveKit SIP outbound trunk (`ST_…`); default: LIVEKIT_SIP_OUTBOUND_TRUNK_ID.',
    }),
  }),
});

builder.mutationField('createVoiceCall', (t) =>
  t.field({
    type: VoiceCallRef,
    description: 'Creates an outbound call (`created`); `startVoiceCall` dials it.',
    authScopes: { scope: 'calls:write' },
    args: {
      tenantId: t.arg.id(TenantArg),
      input: t.arg({ type: CreateVoiceCallInput, required: true, description: 'The call.' }),
    },
    resolve: (_root, args, ctx) =>
      createVoiceCall(ctx, String(args.tenantId), {
        agentId: String(args.input.agentId),
        toNumber: args.input.toNumber,
        fromNumber: args.input.fromNumber,
        trunkId: args.input.trunkId,
      }),
  }),
);

builder.mutationField('startVoiceCall', (t) =>
  t.field({
    type: VoiceCallRef,
    description:
      'Starts a created call: its room is made, the agent dispatched, and the callee dialled in the background (`dialing`; then `active` or `failed` with the SIP status).',
    authScopes: { scope: 'calls:write' },
    args: { tenantId: t.arg.id(TenantArg), callId: t.arg.id(CallArg) },
    resolve: (_root, args, ctx) => startVoiceCall(ctx, String(args.tenantId), String(args.callId)),
  }),
);

builder.mutationField('stopVoiceCall', (t) =>
  t.field({
    type: VoiceCallRef,
    description: 'Ends a call (`ended`, reason `stopped`): its room is deleted, hanging up the callee.',
    authScopes: { scope: 'calls:write' },
    args: { tenantId: t.arg.id(TenantArg), callId: t.arg.id(CallArg) },
    resolve: (_root, args, ctx) => stopVoiceCall(ctx, String(args.tenantId), String(args.callId)),
  }),
);

import { builder } from '../builder.js';
import { createVoiceToken, type VoiceJoinToken } from './token.service.js';

export const VoiceJoinTokenRef = builder.objectRef<VoiceJoinToken>('VoiceJoinToken').implement({
  description: 'A LiveKit participant token for one of the tenant’s rooms, and where to connect with it.',
  fields: (t) => ({
    token: t.exposeString('token', {
      description:
        'The access token (a JWT signed with the LiveKit API secret): pass it to the LiveKit client.',
    }),
    url: t.exposeString('url', { description: 'The LiveKit URL to connect to (`wss://…`).' }),
    room: t.exposeString('room', {
      description: 'The full room name the token joins (`t-<tenant id>-<name>`).',
    }),
    identity: t.exposeString('identity', { description: 'The participant identity the token carries.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      description: 'When the token stops being accepted.',
    }),
  }),
});

const VoiceTokenGrantsInput = builder.inputType('VoiceTokenGrantsInput', {
  description:
    'What the participant may do in the room. Publish, subscribe and data default to true; `roomJoin` and `room` are always set by the platform.',
  fields: (t) => ({
    canPublish: t.boolean({ description: 'May publish tracks (default true).' }),
    canSubscribe: t.boolean({ description: 'May subscribe to others’ tracks (default true).' }),
    canPublishData: t.boolean({ description: 'May send data messages (default true).' }),
    canUpdateOwnMetadata: t.boolean({ description: 'May change its own name, metadata and attributes.' }),
    canPublishSources: t.stringList({
      description:
        'Only these sources may be published: `camera`, `microphone`, `screen_share`, `screen_share_audio` (supersedes canPublish).',
    }),
    hidden: t.boolean({
      description: 'Invisible to other participants (needs calls:write: owners and admins).',
    }),
    roomAdmin: t.boolean({
      description: 'May administer this room: remove and mute others (needs calls:write: owners and admins).',
    }),
    roomRecord: t.boolean({
      description: 'Never granted: recording reaches the whole LiveKit project (FORBIDDEN).',
    }),
    roomCreate: t.boolean({
      description: 'Never granted: creating rooms reaches the whole LiveKit project (FORBIDDEN).',
    }),
    roomList: t.boolean({
      description: 'Never granted: listing rooms reaches the whole LiveKit project (FORBIDDEN).',
    }),
  }),
});

const CreateVoiceTokenInput = builder.inputType('CreateVoiceTokenInput', {
  description: 'Who joins which room of the tenant, for how long, with what grants.',
  fields: (t) => ({
    room: t.string({
      required: true,
      description:
        'The room: a bare name (1–128 letters, digits, `.`, `_`, `-`) is put in the tenant’s namespace; a full `t-<tenant id>-…` name must be the tenant’s own (NOT_FOUND otherwise).',
    }),
    identity: t.string({
      required: true,
      description:
        'Participant identity (1–128 letters, digits, `.`, `_`, `:`, `@`, `-`); `agent-` and `sip-` are reserved.',
    }),
    name: t.string({ description: 'Display name (1–128 characters).' }),
    ttlSeconds: t.int({
      description:
        'Lifetime in seconds: 60 up to VOICE_TOKEN_MAX_TTL_SECONDS (default VOICE_TOKEN_TTL_SECONDS).',
    }),
    metadata: t.field({
      type: 'JSON',
      description: 'Participant metadata: a string, or an object sent as its JSON (at most 16 KiB).',
    }),
    grants: t.field({ type: VoiceTokenGrantsInput, description: 'What the participant may do.' }),
  }),
});

builder.mutationField('createVoiceToken', (t) =>
  t.field({
    type: VoiceJoinTokenRef,
    description:
      'Signs a LiveKit participant token for one of the tenant’s rooms (nothing stored, no LiveKit call; SERVICE_UNAVAILABLE without LiveKit). Room-admin and hidden grants need calls:write; project-wide grants are FORBIDDEN.',
    authScopes: { scope: 'voice:write' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: CreateVoiceTokenInput, required: true, description: 'The token to sign.' }),
    },
    resolve: (_root, { tenantId, input }, ctx) => createVoiceToken(ctx, String(tenantId), input),
  }),
);

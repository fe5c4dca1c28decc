import { AccessToken, TrackSource, type VideoGrant } from 'livekit-server-sdk';
import { z } from 'zod';
import { recordAudit } from '../../kernel/audit.js';
import type { Config } from '../../kernel/config.js';
import { ForbiddenError } from '../../kernel/errors.js';
import { parseArgs } from '../../kernel/validation.js';
import { actingTenant, hasScope, type Viewer } from '../../kernel/viewer.js';
import type { VoiceCtx } from '../db.js';
import { type LiveKit, requireLiveKit } from '../livekit.js';
import { tenantRoomName } from '../rooms.js';

/** A participant token for one room: what a client connects to LiveKit with. */
export interface VoiceJoinToken {
  /** The signed JWT. */
  token: string;
  /** Where to connect (LIVEKIT_URL as a websocket URL). */
  url: string;
  /** The full (tenant-namespaced) room name. */
  room: string;
  identity: string;
  expiresAt: Date;
}

/**
 * Participant identities: 1–128 letters, digits, `.`, `_`, `:`, `@`, `-`. `agent-` and `sip-` are
 * LiveKit's names for agents and phone callers, so no token may claim them (nobody impersonates the
 * agent or the caller in a transcript).
 */
export const Identity = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'Identities are letters, digits, ".", "_", ":", "@" or "-".')
  .refine(
    (s) => !/^(agent|sip)-/i.test(s),
    'Identities starting with "agent-" or "sip-" are reserved for agents and phone callers.',
  );

/** The display name of a participant. */
export const ParticipantName = z.string().trim().min(1).max(128);

/** Participant metadata: a string as LiveKit keeps it, or an object sent as its JSON (at most 16 KiB). */
export const ParticipantMetadata = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .refine(
    (m) => (typeof m === 'string' ? m : JSON.stringify(m)).length <= 16384,
    'At most 16 KiB of metadata.',
  );

/** Token lifetime in seconds: 60 up to VOICE_TOKEN_MAX_TTL_SECONDS. */
export const ttlSeconds = (config: Config) =>
  z.number().int().min(60).max(config.VOICE_TOKEN_MAX_TTL_SECONDS);

const SOURCES = {
  camera: TrackSource.CAMERA,
  microphone: TrackSource.MICROPHONE,
  screen_share: TrackSource.SCREEN_SHARE,
  screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
} as const;
export const TRACK_SOURCES = Object.keys(SOURCES) as (keyof typeof SOURCES)[];

const Grants = z.object({
  canPublish: z.boolean().nullish(),
  canSubscribe: z.boolean().nullish(),
  canPublishData: z.boolean().nullish(),
  canUpdateOwnMetadata: z.boolean().nullish(),
  canPublishSources: z.array(z.enum(TRACK_SOURCES as [string, ...string[]])).nullish(),
  hidden: z.boolean().nullish(),
  roomAdmin: z.boolean().nullish(),
  roomRecord: z.boolean().nullish(),
  roomCreate: z.boolean().nullish(),
  roomList: z.boolean().nullish(),
});
export type VoiceTokenGrantsInput = z.input<typeof Grants>;

/** Grants that reach the whole LiveKit project (every tenant's rooms): never in a tenant's token. */
const PROJECT_WIDE = ['roomCreate', 'roomList', 'roomRecord'] as const;
/** Grants over the room itself and its other participants: owners and admins (calls:write) only. */
const PRIVILEGED = ['roomAdmin', 'hidden'] as const;

/** Signs a participant token for `room` with `grant` (roomJoin and room are always ours). */
export async function signJoinToken(
  livekit: LiveKit,
  options: {
    room: string;
    identity: string;
    name?: string | null | undefined;
    ttlSeconds: number;
    metadata?: string | Record<string, unknown> | null | undefined;
    grant: Omit<VideoGrant, 'roomJoin' | 'room'>;
  },
): Promise<VoiceJoinToken> {
  const metadata =
    options.metadata == null
      ? undefined
      : typeof options.metadata === 'string'
        ? options.metadata
        : JSON.stringify(options.metadata);
  const at = new AccessToken(livekit.apiKey, livekit.apiSecret, {
    identity: options.identity,
    ttl: options.ttlSeconds,
    ...(options.name ? { name: options.name } : {}),
    ...(metadata ? { metadata } : {}),
  });
  at.addGrant({ ...options.grant, roomJoin: true, room: options.room });
  const token = await at.toJwt();
  // The expiry exactly as signed (the SDK counts the TTL from its own clock reading).
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp: number;
  };
  return {
    token,
    url: livekit.url,
    room: options.room,
    identity: options.identity,
    expiresAt: new Date(claims.exp * 1000),
  };
}

/** The identity a caller joins as when none is given: `user-<id>` or `key-<api key id>`. */
export function defaultIdentity(viewer: Viewer): string | null {
  if (viewer.kind === 'user') {
    return `user-${viewer.userId}`;
  }
  if (viewer.kind === 'api-key') {
    return `key-${viewer.apiKeyId}`;
  }
  return null;
}

const tokenInput = (config: Config) =>
  z.object({
    room: z.string().min(1).max(256),
    identity: Identity,
    name: ParticipantName.nullish(),
    ttlSeconds: ttlSeconds(config).nullish(),
    metadata: ParticipantMetadata.nullish(),
    grants: Grants.nullish(),
  });
/** As GraphQL passes it (metadata is JSON, checked here). */
export type CreateVoiceTokenInput = Omit<z.input<ReturnType<typeof tokenInput>>, 'metadata'> & {
  metadata?: unknown;
};

/**
 * A LiveKit participant token for one of the tenant's rooms, signed here (nothing is stored, no
 * LiveKit call): a bare room name is put in the tenant's namespace, another tenant's room is 404.
 * Participant grants (publish, subscribe, data, own metadata, sources) are anyone's with
 * voice:write; `roomAdmin` and `hidden` need calls:write (owners, admins); the project-wide
 * `roomCreate`, `roomList` and `roomRecord` are never given.
 */
export async function createVoiceToken(
  ctx: VoiceCtx,
  tenantId: string,
  input: CreateVoiceTokenInput,
): Promise<VoiceJoinToken> {
  const acting = actingTenant(ctx, { tenantId, operators: true });
  const livekit = requireLiveKit(ctx.config, 'Voice tokens');
  const data = parseArgs(tokenInput(ctx.config), input, ['input']);
  const ttl = data.ttlSeconds ?? ctx.config.VOICE_TOKEN_TTL_SECONDS;
  const room = tenantRoomName(acting.tenantId, data.room, ['input', 'room']);
  const g = data.grants ?? {};
  const never = PROJECT_WIDE.filter((k) => g[k]);
  if (never.length) {
    throw new ForbiddenError(
      `The ${never.join(', ')} grant${never.length > 1 ? 's reach' : ' reaches'} every room of the LiveKit project, not only this tenant's: never granted in a token.`,
    );
  }
  const privileged = PRIVILEGED.filter((k) => g[k]);
  if (privileged.length && !hasScope(acting.viewer, 'calls:write')) {
    throw new ForbiddenError(
      `The ${privileged.join(' and ')} grant${privileged.length > 1 ? 's need' : ' needs'} the calls:write scope (tenant owners and admins).`,
    );
  }
  const grant: Omit<VideoGrant, 'roomJoin' | 'room'> = {
    canPublish: g.canPublish ?? true,
    canSubscribe: g.canSubscribe ?? true,
    canPublishData: g.canPublishData ?? true,
    ...(g.canUpdateOwnMetadata != null ? { canUpdateOwnMetadata: g.canUpdateOwnMetadata } : {}),
    ...(g.canPublishSources
      ? { canPublishSources: g.canPublishSources.map((s) => SOURCES[s as keyof typeof SOURCES]) }
      : {}),
    ...(g.roomAdmin ? { roomAdmin: true } : {}),
    ...(g.hidden ? { hidden: true } : {}),
  };
  const minted = await signJoinToken(livekit, {
    room,
    identity: data.identity,
    name: data.name,
    ttlSeconds: ttl,
    metadata: data.metadata,
    grant,
  });
  if (privileged.length) {
    // Tokens are not stored; the ones that can admin a room or hide in it are at least on record.
    await ctx.db.$transaction((tx) =>
      recordAudit(tx, acting.viewer, {
        action: 'voice.token.privileged',
        targetType: 'voice_room',
        targetId: room,
        tenantId: acting.tenantId,
        metadata: { identity: data.identity, grants: privileged, ttlSeconds: ttl },
      }),
    );
  }
  return minted;
}

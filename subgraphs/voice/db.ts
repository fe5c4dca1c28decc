import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/** The tables voice owns (prisma/models/voice.prisma); its services see only these on `ctx.db`. */
export const VOICE_MODELS = [
  'voiceSession',
  'voiceCall',
  'voiceInboundMapping',
  'voiceWebhookEvent',
] as const;

type Own = (typeof VOICE_MODELS)[number];

/** The request context of voice's services. */
export type VoiceCtx = DomainCtx<Own>;
/** A transaction of voice's services. */
export type VoiceTx = DomainTx<Own>;

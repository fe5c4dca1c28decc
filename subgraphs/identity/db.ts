import type { DomainCtx } from '../kernel/context.js';
import type { DomainTx } from '../kernel/db.js';

/**
 * The tables identity owns: prisma/models/identity.prisma except `membership`, a shared kernel table
 * (kernel/db.ts `SHARED_MODELS`). Its services see only these (and the shared ones) on `ctx.db`.
 */
export const IDENTITY_MODELS = [
  'user',
  'session',
  'refreshToken',
  'passwordHistory',
  'mfaMethod',
  'recoveryCode',
  'mfaChallenge',
  'emailToken',
  'signupRequest',
  'signupInvite',
  'serviceAccountToken',
  'consent',
  'notificationPreference',
] as const;

type Own = (typeof IDENTITY_MODELS)[number];

/** The request context of identity's services. */
export type IdentityCtx = DomainCtx<Own>;
/** A transaction of identity's services. */
export type IdentityTx = DomainTx<Own>;

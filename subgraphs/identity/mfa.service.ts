import type { Ctx } from '../kernel/context.js';
import type { SessionSubject } from './session.service.js';

/** What login answers instead of a session when the user has a verified second factor. */
export interface MfaLoginChallenge {
  mfaRequired: true;
  challengeToken: string;
  methods: {
    id: string;
    methodType: string;
    label: string | null;
    verifiedAt: Date | null;
    lastUsedAt: Date | null;
    revokedAt: Date | null;
  }[];
}

/**
 * The MFA challenge for a login, or null when the user has no verified, unrevoked method.
 * (TOTP enrolment and challenges arrive with the MFA module.)
 */
export async function mfaChallengeFor(_ctx: Ctx, _who: SessionSubject): Promise<MfaLoginChallenge | null> {
  return null;
}

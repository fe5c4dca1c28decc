import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import { AppError, BadRequestError, NotFoundError } from '../kernel/errors.js';
import { mailLink } from '../kernel/mailer.js';
import { parseArgs } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx } from './db.js';
import { isWellFormedEmailToken, mintEmailToken, redeemEmailToken, voidEmailTokens } from './email-token.js';
import { revokeUserSessions } from './sessions.service.js';

/** Verification tokens live this long (legacy EMAIL_VERIFICATION_TOKEN_TTL_MINUTES). */
export const EMAIL_VERIFICATION_TTL_MINUTES = 60;

export interface EmailVerificationSendResult {
  message: string;
  emailVerified: boolean;
}

/** Mails the caller a verification link, unless the email is already verified (202 either way). */
export async function sendEmailVerification(ctx: IdentityCtx): Promise<EmailVerificationSendResult> {
  const viewer = requireUser(ctx.viewer);
  const user = await ctx.db.user.findUnique({ where: { id: viewer.userId } });
  if (!user) {
    throw new NotFoundError('User');
  }
  if (viewer.emailVerified || user.emailVerifiedAt) {
    return { message: 'Email already verified.', emailVerified: true };
  }
  await ctx.limits.consume(
    'email_verification_user',
    user.id,
    [{ points: ctx.config.AUTH_EMAIL_VERIFICATION_USER_PER_HOUR, duration: 3600 }],
    'Too many verification emails requested. Try again later.',
  );
  await ctx.limits.consume(
    'email_verification_ip',
    ctx.client.ip ?? 'unknown',
    [{ points: ctx.config.AUTH_EMAIL_VERIFICATION_IP_PER_HOUR, duration: 3600 }],
    'Too many verification emails requested. Try again later.',
  );
  const token = await ctx.db.$transaction(async (tx) => {
    const minted = await mintEmailToken(tx, user.id, 'email_verification', EMAIL_VERIFICATION_TTL_MINUTES);
    await recordAudit(tx, viewer, {
      action: 'auth.email_verification.sent',
      targetType: 'user',
      targetId: user.id,
    });
    return minted;
  });
  const link = mailLink(ctx.config, '/verify-email', { token });
  const delivered = await ctx.mailer.send({
    to: user.email,
    subject: 'Verify your email address',
    purpose: 'email_verification',
    link,
    text: [
      'Confirm your email address by opening this link:',
      link,
      '',
      `Or use this verification token: ${token}`,
      `It expires in ${EMAIL_VERIFICATION_TTL_MINUTES} minutes. If you did not ask for it, ignore this mail.`,
    ].join('\n'),
  });
  if (!delivered) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Unable to send verification email. Please try again shortly.');
  }
  return { message: 'Verification email sent.', emailVerified: false };
}

const VerifyInput = z.object({ token: z.string().min(1).max(512) });

/**
 * Redeems a verification token: marks the email verified and revokes every session, so the next
 * login carries `email_verified: true`.
 */
export async function verifyEmail(ctx: IdentityCtx, input: { token: string }): Promise<{ message: string }> {
  const token = parseArgs(VerifyInput, input, ['input']).token.trim();
  if (!isWellFormedEmailToken(token)) {
    throw new BadRequestError('Verification token is malformed.');
  }
  const done = await ctx.db.$transaction(async (tx) => {
    const redeemed = await redeemEmailToken(tx, token, 'email_verification');
    if (!redeemed) {
      return false;
    }
    await tx.user.update({
      where: { id: redeemed.userId },
      data: { emailVerifiedAt: new Date() },
    });
    await voidEmailTokens(tx, redeemed.userId, 'email_verification');
    await revokeUserSessions(tx, redeemed.userId, 'email_verified');
    await recordAudit(tx, null, {
      action: 'auth.email_verified',
      targetType: 'user',
      targetId: redeemed.userId,
    });
    return true;
  });
  if (!done) {
    throw new BadRequestError('Verification token is invalid or expired.');
  }
  return { message: 'Email verified successfully.' };
}

import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import { AppError, BadRequestError, UnauthenticatedError } from '../kernel/errors.js';
import { mailLink } from '../kernel/mailer.js';
import { detail, invalid, zodDetails } from '../kernel/validation.js';
import { requireUser } from '../kernel/viewer.js';
import type { IdentityCtx, IdentityTx } from './db.js';
import { mintEmailToken, redeemEmailToken, voidEmailTokens } from './email-token.js';
import {
  hashPassword,
  passwordProblems,
  recordPasswordHistory,
  verifyPassword,
  wasRecentlyUsed,
} from './password.js';
import { revokeUserSessions } from './sessions.service.js';

/** Password reset tokens live this long (legacy PASSWORD_RESET_TOKEN_TTL_MINUTES). */
export const PASSWORD_RESET_TTL_MINUTES = 30;

export interface PasswordFlowResult {
  message: string;
}

/** zod issues plus the password policy of `newPassword`, as one 422. */
function validate<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  const details = parsed.success ? [] : zodDetails(parsed.error, input, ['input']);
  const candidate = (input as { newPassword?: unknown } | null)?.newPassword;
  if (typeof candidate === 'string' && !details.some((d) => d.loc[1] === 'newPassword')) {
    details.push(...passwordProblems(candidate).map((msg) => detail(['input', 'newPassword'], msg)));
  }
  if (!parsed.success || details.length) {
    throw invalid(details);
  }
  return parsed.data;
}

const RECENTLY_USED = 'Password was recently used.';

/**
 * Sets a new password: refuses one of the last five (400), stores it in the history, clears the
 * lockout and revokes sessions (all, or all but `keepSessionId`).
 */
async function setPassword(
  tx: IdentityTx,
  user: { id: string; passwordHash: string },
  password: string,
  reason: string,
  keepSessionId?: string | null,
): Promise<void> {
  if (await wasRecentlyUsed(tx, user, password)) {
    throw new BadRequestError(RECENTLY_USED);
  }
  const passwordHash = await hashPassword(password);
  await tx.user.update({
    where: { id: user.id },
    data: { passwordHash, failedLogins: 0, lastFailedAt: null, lockedUntil: null },
  });
  await recordPasswordHistory(tx, user.id, passwordHash);
  await revokeUserSessions(tx, user.id, reason, keepSessionId);
}

const ForgotInput = z.object({ email: z.email().max(320) });

const FORGOT_ANSWER = 'If the account exists, password reset instructions have been sent.';

/**
 * Starts a password reset. The answer never depends on whether the account exists: the token and
 * the mail are made after the response, off the request path (so timing does not tell either).
 */
export async function requestPasswordReset(
  ctx: IdentityCtx,
  input: { email: string },
): Promise<PasswordFlowResult> {
  const { email: raw } = validate(ForgotInput, input);
  const email = raw.trim().toLowerCase();
  const message = 'Too many password reset requests. Try again later.';
  await ctx.limits.consume(
    'password_forgot_email',
    email,
    [{ points: ctx.config.AUTH_PASSWORD_FORGOT_EMAIL_PER_HOUR, duration: 3600 }],
    message,
  );
  await ctx.limits.consume(
    'password_forgot_ip',
    ctx.client.ip ?? 'unknown',
    [{ points: ctx.config.AUTH_PASSWORD_FORGOT_IP_PER_HOUR, duration: 3600 }],
    message,
  );
  void mailPasswordReset(ctx, email).catch((error: unknown) =>
    ctx.log.error({ err: error }, 'password reset mail not sent'),
  );
  return { message: FORGOT_ANSWER };
}

async function mailPasswordReset(ctx: IdentityCtx, email: string): Promise<void> {
  const user = await ctx.db.user.findUnique({ where: { email } });
  if (user?.status !== 'active') {
    return;
  }
  const token = await ctx.db.$transaction(async (tx) => {
    const minted = await mintEmailToken(tx, user.id, 'password_reset', PASSWORD_RESET_TTL_MINUTES);
    await recordAudit(tx, null, {
      action: 'auth.password_reset.requested',
      targetType: 'user',
      targetId: user.id,
    });
    return minted;
  });
  const link = mailLink(ctx.config, '/reset-password', { token });
  const delivered = await ctx.mailer.send({
    to: user.email,
    subject: 'Reset your password',
    purpose: 'password_reset',
    link,
    text: [
      'Someone asked to reset the password of your account. To choose a new one, open:',
      link,
      '',
      `Or use this reset token: ${token}`,
      `It expires in ${PASSWORD_RESET_TTL_MINUTES} minutes. If you did not ask for it, ignore this mail.`,
    ].join('\n'),
  });
  if (!delivered) {
    ctx.log.error({ userId: user.id }, 'password reset mail delivery failed');
  }
}

const ConfirmInput = z.object({
  token: z.string().min(1).max(512),
  newPassword: z.string().min(14).max(256),
});

/** Redeems a reset token: sets the password and revokes every session. */
export async function confirmPasswordReset(
  ctx: IdentityCtx,
  input: { token: string; newPassword: string },
): Promise<PasswordFlowResult> {
  const data = validate(ConfirmInput, input);
  await ctx.db.$transaction(async (tx) => {
    const redeemed = await redeemEmailToken(tx, data.token.trim(), 'password_reset');
    const user = redeemed ? await tx.user.findUnique({ where: { id: redeemed.userId } }) : null;
    if (!user) {
      throw new BadRequestError('Password reset token is invalid or expired.');
    }
    await setPassword(tx, user, data.newPassword, 'password_reset_token');
    await voidEmailTokens(tx, user.id, 'password_reset');
    await recordAudit(tx, null, { action: 'auth.password_reset', targetType: 'user', targetId: user.id });
  });
  return { message: 'Password has been reset successfully.' };
}

const ChangeInput = z.object({
  currentPassword: z.string().min(8).max(256),
  newPassword: z.string().min(14).max(256),
});

/** Changes the caller's password (current one required, 401 otherwise); other sessions are revoked. */
export async function changePassword(
  ctx: IdentityCtx,
  input: { currentPassword: string; newPassword: string },
): Promise<PasswordFlowResult> {
  const viewer = requireUser(ctx.viewer);
  const data = validate(ChangeInput, input);
  await ctx.limits.consume(
    'password_change',
    viewer.userId,
    [{ points: ctx.config.AUTH_LOGIN_EMAIL_MAX_ATTEMPTS, duration: ctx.config.AUTH_LOGIN_WINDOW_SECONDS }],
    'Too many password change attempts. Try again later.',
  );
  const user = await ctx.db.user.findUnique({ where: { id: viewer.userId } });
  if (!user || !(await verifyPassword(user.passwordHash, data.currentPassword))) {
    throw new UnauthenticatedError('Invalid current password.');
  }
  await ctx.db.$transaction(async (tx) => {
    await setPassword(tx, user, data.newPassword, 'password_change', viewer.sessionId);
    await recordAudit(tx, viewer, { action: 'auth.password_change', targetType: 'user', targetId: user.id });
  });
  return { message: 'Password updated successfully' };
}

const AdminResetInput = z.object({ userId: z.uuid(), newPassword: z.string().min(14).max(256) });

/** A tenant admin (scope support:read) sets a member's password; non-members are 404. */
export async function adminResetPassword(
  ctx: IdentityCtx,
  input: { userId: string; newPassword: string },
): Promise<PasswordFlowResult> {
  const viewer = requireUser(ctx.viewer);
  if (!viewer.tenantId) {
    throw new BadRequestError('Tenant context is required for this operation.');
  }
  const data = validate(AdminResetInput, input);
  await ctx.db.$transaction(async (tx) => {
    const membership = await tx.membership.findUnique({
      where: { userId_tenantId: { userId: data.userId, tenantId: viewer.tenantId as string } },
      include: { user: true },
    });
    if (!membership) {
      throw new AppError('NOT_FOUND', 'User not found.');
    }
    await setPassword(tx, membership.user, data.newPassword, 'admin_reset');
    await recordAudit(tx, viewer, {
      action: 'auth.password_admin_reset',
      targetType: 'user',
      targetId: data.userId,
    });
  });
  return { message: 'Password reset successfully' };
}

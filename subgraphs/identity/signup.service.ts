import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { recordAudit } from '../kernel/audit.js';
import type { Ctx } from '../kernel/context.js';
import { ConflictError, ForbiddenError, isUniqueViolation, ValidationError } from '../kernel/errors.js';
import { hashPassword, passwordProblems } from './password.js';
import { type IssuedSession, startSession } from './session.service.js';

export const RegisterInput = z.object({
  email: z.email().max(320),
  password: z.string().max(256),
  tenantName: z.string().trim().min(2).max(128),
  displayName: z.string().trim().max(128).nullish(),
  planCode: z.string().max(64).nullish(),
  trialDays: z.number().int().min(0).max(365).nullish(),
  acceptTerms: z.literal(true, { error: 'Terms of service must be accepted.' }),
  inviteToken: z.string().max(512).nullish(),
});
export type RegisterInput = z.input<typeof RegisterInput>;

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'tenant';
}

/**
 * Public signup: creates the tenant, the user and the owner membership in one transaction, then
 * opens a session. Other signup policies need an invite (not available yet: 403 with the reason).
 */
export async function registerAccount(
  ctx: Ctx,
  input: RegisterInput,
): Promise<IssuedSession & { tenantSlug: string }> {
  const parsed = RegisterInput.safeParse(input);
  const problems = passwordProblems(input.password ?? '');
  if (!parsed.success || problems.length) {
    const details = [
      ...(parsed.success
        ? []
        : parsed.error.issues.map((i) => ({
            loc: ['body', ...i.path.map(String)],
            msg: i.message,
            type: i.code,
          }))),
      ...problems.map((msg) => ({ loc: ['body', 'password'], msg, type: 'value_error' })),
    ];
    throw new ValidationError('Request validation failed.', details);
  }
  const data = parsed.data;
  if (ctx.config.SIGNUP_ACCESS_POLICY !== 'public') {
    throw new ForbiddenError('Invite token is required for signup.');
  }
  const email = data.email.toLowerCase();
  const passwordHash = await hashPassword(data.password);
  const base = slugify(data.tenantName);
  try {
    return await ctx.db.$transaction(async (tx) => {
      let slug = base;
      for (let attempt = 0; await tx.tenant.findUnique({ where: { slug } }); attempt++) {
        if (attempt >= 10) {
          throw new ConflictError('Could not allocate a unique tenant slug.');
        }
        slug = `${base}-${randomBytes(2).toString('hex')}`;
      }
      const tenant = await tx.tenant.create({ data: { name: data.tenantName, slug } });
      const user = await tx.user.create({
        data: { email, passwordHash, displayName: data.displayName ?? null },
      });
      await tx.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'owner' } });
      const who = {
        userId: user.id,
        tenantId: tenant.id,
        role: 'owner',
        emailVerified: false,
        platformRole: null,
      };
      await recordAudit(tx, null, {
        action: 'auth.signup',
        targetType: 'user',
        targetId: user.id,
        tenantId: tenant.id,
      });
      return { ...(await startSession(ctx, tx, who)), tenantSlug: tenant.slug };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError('Email already registered.');
    }
    throw error;
  }
}

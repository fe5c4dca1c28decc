import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../kernel/errors.js';
import { hourly } from '../../kernel/rate-limit.js';
import { parseArgs } from '../../kernel/validation.js';
import type { PlatformCtx } from '../db.js';

const ContactInput = z.object({
  name: z.string().trim().max(120).nullish(),
  email: z.email().max(254),
  company: z.string().trim().max(120).nullish(),
  topic: z.string().trim().max(80).nullish(),
  message: z.string().trim().min(10).max(2000),
  honeypot: z.string().max(64).nullish(),
});
export type ContactInput = z.input<typeof ContactInput>;

export interface ContactSubmission {
  referenceId: string;
  /** The mail left the platform over SMTP (false when it is only in the outbox, or suppressed). */
  delivered: boolean;
  messageId: string | null;
  /** A bot filled the honeypot: accepted, not sent. */
  suppressed: boolean;
}

/** Subjects stay short (the mailer keeps them on one line). */
const MAX_SUBJECT = 200;

/**
 * Mails a visitor's message to CONTACT_EMAIL_TO (503 naming it when unset), at most 3 an hour per
 * sender and 20 per client IP (429). A filled honeypot is accepted and dropped. A mail the SMTP
 * server refused is 502, so the visitor knows to try again.
 */
export async function submitContact(ctx: PlatformCtx, input: ContactInput): Promise<ContactSubmission> {
  const form = parseArgs(ContactInput, input, ['input']);
  const to = ctx.config.CONTACT_EMAIL_TO;
  if (!to) {
    throw new AppError('SERVICE_UNAVAILABLE', 'The contact form is not configured: set CONTACT_EMAIL_TO.');
  }
  const email = form.email.toLowerCase();
  const message = 'Rate limit exceeded. Try again later.';
  await ctx.limits.consume(
    'contact_email_hour',
    email,
    hourly(ctx.config, ctx.config.CONTACT_RATE_LIMIT_PER_EMAIL_HOUR, 3),
    message,
  );
  await ctx.limits.consume(
    'contact_ip_hour',
    ctx.client.ip ?? 'unknown',
    hourly(ctx.config, ctx.config.CONTACT_RATE_LIMIT_PER_IP_HOUR, 20),
    message,
  );
  const referenceId = randomUUID();
  if (form.honeypot?.trim()) {
    ctx.log.info({ referenceId }, 'contact form: honeypot filled, not sent');
    return { referenceId, delivered: false, messageId: null, suppressed: true };
  }
  const sent = await ctx.mailer.send({
    to,
    subject: `Contact: ${form.topic || 'general'} from ${form.name || email}`.slice(0, MAX_SUBJECT),
    text: [
      `From: ${form.name || '(no name)'} <${email}>`,
      `Company: ${form.company || '-'}`,
      `Topic: ${form.topic || '-'}`,
      `Reference: ${referenceId}`,
      '',
      form.message,
    ].join('\n'),
    purpose: 'contact',
  });
  if (!sent) {
    throw new AppError('BAD_GATEWAY', 'Your message could not be delivered. Please try again later.');
  }
  return { referenceId, delivered: ctx.mailer.delivers, messageId: null, suppressed: false };
}

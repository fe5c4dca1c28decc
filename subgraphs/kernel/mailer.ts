import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { Db } from './db.js';
import type { Logger } from './logger.js';

export interface Mail {
  to: string;
  /** One line: line breaks in it (user text in a subject) become spaces, so no header can be injected. */
  subject: string;
  /** The body; it holds live tokens, so it is stored in the outbox and sent, never logged. */
  text: string;
  /** What the mail is for (email_verification, password_reset, invite …), for the outbox and logs. */
  purpose: string;
  /** The link in the mail (see `mailLink`), logged at debug level when the mail stays in the outbox. */
  link?: string;
}

/**
 * A link for a mail: `FRONTEND_URL` when set (another frontend serves the page), else `PUBLIC_URL`
 * (the gateway's own pages, gateway/pages/), then `path` and the URL-encoded `query`.
 */
export function mailLink(
  config: Pick<Config, 'FRONTEND_URL' | 'PUBLIC_URL'>,
  path: string,
  query: Record<string, string>,
): string {
  const base = (config.FRONTEND_URL ?? config.PUBLIC_URL).replace(/\/+$/, '');
  return `${base}${path}?${new URLSearchParams(query)}`;
}

/**
 * Refuses a production configuration that cannot deliver mail: without SMTP_URL every verification,
 * reset and invite would stay in the outbox unseen, unless MAIL_OUTBOX_ONLY=true says so on purpose.
 */
export function assertMailDeliverable(
  config: Pick<Config, 'NODE_ENV' | 'SMTP_URL' | 'MAIL_OUTBOX_ONLY'>,
): void {
  if (config.NODE_ENV === 'production' && !config.SMTP_URL && config.MAIL_OUTBOX_ONLY !== 'true') {
    throw new Error(
      'SMTP_URL is not set: with NODE_ENV=production, verification, password reset and invite mail ' +
        'would never be delivered. Set SMTP_URL (smtp://user:pass@host:port), or MAIL_OUTBOX_ONLY=true ' +
        'to keep mail in the email_outbox table only.',
    );
  }
}

const loadNodemailer = () => createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');

/**
 * Sends email over SMTP (nodemailer) when SMTP_URL is set; otherwise only records it in the
 * `email_outbox` table (the embedded default). Every mail is recorded either way; logs name the
 * recipient and purpose, never the body (it holds live tokens).
 */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    assertMailDeliverable(config);
    // nodemailer loads only where SMTP is configured (the embedded default records mail only).
    this.transport = config.SMTP_URL ? loadNodemailer().createTransport(config.SMTP_URL) : null;
  }

  /** Whether mail leaves the platform (SMTP_URL is set); otherwise it is only recorded in the outbox. */
  get delivers(): boolean {
    return this.transport !== null;
  }

  /** Sends (or records) a mail; resolves false when SMTP delivery failed. */
  async send(message: Mail): Promise<boolean> {
    const mail = { ...message, subject: message.subject.replace(/[\r\n]+/g, ' ') };
    const row = await this.db.emailOutbox.create({
      data: {
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        purpose: mail.purpose,
        status: this.transport ? 'pending' : 'logged',
      },
    });
    if (!this.transport) {
      this.log.info(
        { to: mail.to, subject: mail.subject, purpose: mail.purpose, outboxId: row.id },
        'email recorded in email_outbox (not sent: SMTP_URL is not set)',
      );
      // Developers follow links from here (LOG_LEVEL=debug) or from the outbox table.
      this.log.debug({ outboxId: row.id, link: mail.link }, 'email link');
      return true;
    }
    try {
      await this.transport.sendMail({
        from: this.config.MAIL_FROM,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
      });
      await this.db.emailOutbox.update({
        where: { id: row.id },
        data: { status: 'sent', sentAt: new Date() },
      });
      return true;
    } catch (error) {
      this.log.error({ err: error, to: mail.to, purpose: mail.purpose }, 'email delivery failed');
      await this.db.emailOutbox.update({
        where: { id: row.id },
        data: { status: 'failed', error: String((error as Error).message) },
      });
      return false;
    }
  }

  close(): void {
    this.transport?.close();
  }
}

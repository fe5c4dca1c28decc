import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { Db } from './db.js';
import type { Logger } from './logger.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** What the mail is for (email_verification, password_reset, invite …), for the outbox and logs. */
  purpose: string;
}

/**
 * Sends email over SMTP (nodemailer) when SMTP_URL is set; otherwise records it in the
 * `email_outbox` table and the log (the embedded default). Every mail is recorded either way.
 */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.transport = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : null;
  }

  /** Sends (or records) a mail; resolves false when SMTP delivery failed. */
  async send(mail: Mail): Promise<boolean> {
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
        { to: mail.to, subject: mail.subject, purpose: mail.purpose, text: mail.text },
        'email (not sent: SMTP_URL is not set)',
      );
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

import { builder } from '../builder.js';
import { type ContactSubmission, submitContact } from './contact.service.js';

const ContactSubmissionRef = builder.objectRef<ContactSubmission>('ContactSubmission').implement({
  description: 'A contact form message, accepted.',
  fields: (t) => ({
    referenceId: t.exposeString('referenceId', { description: 'Quote it to follow up (UUID).' }),
    delivered: t.exposeBoolean('delivered', {
      description: 'Sent over SMTP; false when it is only in the mail outbox (no SMTP_URL) or suppressed.',
    }),
    messageId: t.exposeString('messageId', { nullable: true, description: 'Always null (no provider id).' }),
    suppressed: t.exposeBoolean('suppressed', {
      description: 'True when the spam trap was filled: accepted, not sent.',
    }),
  }),
});

const ContactInput = builder.inputType('ContactInput', {
  description: 'A visitor’s message.',
  fields: (t) => ({
    name: t.string({ description: 'Full name (up to 120 characters).' }),
    email: t.string({ required: true, description: 'Where to answer.' }),
    company: t.string({ description: 'Company (up to 120 characters).' }),
    topic: t.string({ description: 'Topic (up to 80 characters).' }),
    message: t.string({ required: true, description: 'The message (10–2,000 characters).' }),
    honeypot: t.string({ description: 'Spam trap: leave it empty.' }),
  }),
});

builder.mutationField('submitContactForm', (t) =>
  t.field({
    type: ContactSubmissionRef,
    description:
      'Mails a visitor’s message to the team (CONTACT_EMAIL_TO; 503 when unset). No credential. RATE_LIMITED past 3 an hour per sender or 20 per client IP.',
    authScopes: { public: true },
    args: { input: t.arg({ type: ContactInput, required: true, description: 'The message.' }) },
    resolve: (_root, { input }, ctx) => submitContact(ctx, input),
  }),
);

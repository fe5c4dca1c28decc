import { builder } from './builder.js';
import {
  type EmailVerificationSendResult,
  sendEmailVerification,
  verifyEmail,
} from './email-verification.service.js';

const EmailVerificationSend = builder
  .objectRef<EmailVerificationSendResult>('EmailVerificationSendResult')
  .implement({
    description: 'Outcome of asking for a verification email.',
    fields: (t) => ({
      message: t.exposeString('message', { description: 'Human-readable summary of the result.' }),
      emailVerified: t.exposeBoolean('emailVerified', {
        description: 'Whether the email was already verified (no mail is sent then).',
      }),
    }),
  });

const EmailVerifyResult = builder.objectRef<{ message: string }>('EmailVerifyResult').implement({
  description: 'Outcome of redeeming a verification token.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'Human-readable summary of the result.' }),
  }),
});

const VerifyEmailInput = builder.inputType('VerifyEmailInput', {
  description: 'A verification token from the email.',
  fields: (t) => ({
    token: t.string({
      required: true,
      description: 'The `<id>.<secret>` token from the verification email.',
    }),
  }),
});

builder.mutationField('sendEmailVerification', (t) =>
  t.field({
    type: EmailVerificationSend,
    description: 'Mail the current user a link that verifies their email address.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => sendEmailVerification(ctx),
  }),
);

builder.mutationField('verifyEmail', (t) =>
  t.field({
    type: EmailVerifyResult,
    description: 'Verify an email address with the emailed token; every session of the user is revoked.',
    authScopes: { public: true },
    args: { input: t.arg({ type: VerifyEmailInput, required: true }) },
    resolve: (_root, { input }, ctx) => verifyEmail(ctx, input),
  }),
);

import { builder } from './builder.js';
import {
  completeMfaLogin,
  enrollTotp,
  listMfaMethods,
  regenerateRecoveryCodes,
  revokeMfaMethod,
  type TotpEnrollment as TotpEnrollmentShape,
  verifyTotp,
} from './mfa.service.js';
import { AuthSession, MfaMethod } from './types.graphql.js';

const TotpEnrollment = builder.objectRef<TotpEnrollmentShape>('TotpEnrollment').implement({
  description: 'A pending TOTP method: add the secret to an authenticator app, then verify a code.',
  fields: (t) => ({
    secret: t.exposeString('secret', {
      description: 'Base32 TOTP secret (20 random bytes, no padding); shown only once.',
    }),
    methodId: t.exposeID('methodId', { description: 'Id of the new, not yet verified method.' }),
    otpauthUrl: t.exposeString('otpauthUrl', {
      description: 'otpauth:// URL for QR codes (issuer Agent Platform, SHA1, 6 digits, 30 s).',
    }),
  }),
});

const RecoveryCodes = builder.objectRef<{ codes: string[] }>('RecoveryCodes').implement({
  description: 'One-time recovery codes, shown only once.',
  fields: (t) => ({
    codes: t.exposeStringList('codes', {
      description: 'Ten codes; each completes one MFA login in place of a TOTP code.',
    }),
  }),
});

const VerifyTotpInput = builder.inputType('VerifyTotpInput', {
  description: 'A code from the authenticator app for one of the caller’s TOTP methods.',
  fields: (t) => ({
    methodId: t.id({ required: true, description: 'The method to verify (UUID).' }),
    code: t.string({ required: true, description: 'The current 6-digit code.' }),
  }),
});

const CompleteMfaLoginInput = builder.inputType('CompleteMfaLoginInput', {
  description: 'The challenge from login and a second-factor code.',
  fields: (t) => ({
    challengeToken: t.string({ required: true, description: 'The challenge token login returned.' }),
    methodId: t.id({ required: true, description: 'One of the challenge’s methods (UUID).' }),
    code: t.string({
      required: true,
      description: 'The current 6-digit TOTP code of that method, or an unused recovery code.',
    }),
  }),
});

builder.queryField('mfaMethods', (t) =>
  t.field({
    type: [MfaMethod],
    description: 'The caller’s second factors, including pending and revoked ones, oldest first.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => listMfaMethods(ctx),
  }),
);

builder.mutationField('enrollTotp', (t) =>
  t.field({
    type: TotpEnrollment,
    description: 'Start a TOTP enrolment; the method counts once a code is verified with verifyTotp.',
    authScopes: { authenticated: true },
    args: {
      label: t.arg.string({ description: 'A name for the method, unique per user (≤ 64 characters).' }),
    },
    resolve: (_root, { label }, ctx) => enrollTotp(ctx, { label: label ?? null }),
  }),
);

builder.mutationField('verifyTotp', (t) =>
  t.field({
    type: MfaMethod,
    description: 'Confirm a TOTP enrolment (or test a method) with a current code; rate limited.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: VerifyTotpInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      verifyTotp(ctx, { methodId: String(input.methodId), code: input.code }),
  }),
);

builder.mutationField('revokeMfaMethod', (t) =>
  t.field({
    type: MfaMethod,
    description: 'Revoke one of the caller’s second factors (another user’s id answers NOT_FOUND).',
    authScopes: { authenticated: true },
    args: { methodId: t.arg.id({ required: true, description: 'The method to revoke (UUID).' }) },
    resolve: (_root, { methodId }, ctx) => revokeMfaMethod(ctx, { methodId: String(methodId) }),
  }),
);

builder.mutationField('regenerateRecoveryCodes', (t) =>
  t.field({
    type: RecoveryCodes,
    description: 'Replace the caller’s recovery codes with ten new ones (the old ones stop working).',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => regenerateRecoveryCodes(ctx),
  }),
);

builder.mutationField('completeMfaLogin', (t) =>
  t.field({
    type: AuthSession,
    description: 'Finish a login that answered an MFA challenge; each challenge works once.',
    authScopes: { public: true },
    args: { input: t.arg({ type: CompleteMfaLoginInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      completeMfaLogin(ctx, {
        challengeToken: input.challengeToken,
        methodId: String(input.methodId),
        code: input.code,
      }),
  }),
);

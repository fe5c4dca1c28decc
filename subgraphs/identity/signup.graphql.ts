import { builder } from './builder.js';
import type { IssuedSession } from './session.service.js';
import { registerAccount } from './signup.service.js';
import { type Fields, sessionFields } from './types.graphql.js';

const RegisteredAccount = builder
  .objectRef<IssuedSession & { tenantSlug: string }>('RegisteredAccount')
  .implement({
    description: 'The session of a newly registered owner, with the new tenant’s slug.',
    fields: (t) => ({
      ...sessionFields(t as unknown as Fields),
      tenantSlug: t.exposeString('tenantSlug', { description: 'Slug of the tenant created at signup.' }),
    }),
  });

const RegisterInput = builder.inputType('RegisterInput', {
  description: 'Public signup: a new tenant with its owner.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Owner email, used to sign in.' }),
    password: t.string({
      required: true,
      description: 'At least 14 characters, mixing two character classes.',
    }),
    tenantName: t.string({
      required: true,
      description: 'Display name of the new tenant (2–128 characters).',
    }),
    displayName: t.string({ description: 'Owner display name.' }),
    planCode: t.string({ description: 'Requested billing plan.' }),
    trialDays: t.int({ description: 'Trial length hint (0–365); ignored unless the deployment allows it.' }),
    acceptTerms: t.boolean({ description: 'Must be true.' }),
    inviteToken: t.string({ description: 'Invite token, for invite-only and approval deployments.' }),
  }),
});

builder.mutationField('register', (t) =>
  t.field({
    type: RegisteredAccount,
    description: 'Create a tenant and its owner account, and sign the owner in.',
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      registerAccount(ctx, { ...input, acceptTerms: input.acceptTerms ?? false } as never),
  }),
);

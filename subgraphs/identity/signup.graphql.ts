import { builder } from './builder.js';
import { SignupAccessPolicy } from './enums.graphql.js';
import type { IssuedSession } from './session.service.js';
import { registerAccount, requestSignupAccess, type SignupPolicy, signupPolicy } from './signup.service.js';
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
  description:
    'Signup: a new tenant with its owner (with an invite under the invite_only and approval policies).',
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
    // Open as the sign-up policy allows (checked by the service).
    authScopes: { public: true },
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      registerAccount(ctx, { ...input, acceptTerms: input.acceptTerms ?? false } as never),
  }),
);

const SignupPolicyRef = builder.objectRef<SignupPolicy>('SignupPolicy').implement({
  description: 'How this deployment admits new tenants.',
  fields: (t) => ({
    policy: t.expose('policy', { type: SignupAccessPolicy, description: 'Signup access policy.' }),
    inviteRequired: t.exposeBoolean('inviteRequired', {
      description: 'Whether signup needs an invite token.',
    }),
    requestAccessEnabled: t.exposeBoolean('requestAccessEnabled', {
      description: 'Whether the access-request workflow is offered (invite_only and approval).',
    }),
  }),
});

builder.queryField('signupPolicy', (t) =>
  t.field({
    type: SignupPolicyRef,
    description: 'The deployment’s signup policy (public).',
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => signupPolicy(ctx),
  }),
);

const RequestSignupAccessInput = builder.inputType('RequestSignupAccessInput', {
  description: 'A request for access, reviewed by platform operators.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Email of the requester.' }),
    organization: t.string({ required: true, description: 'Organization name (2–128 characters).' }),
    fullName: t.string({ required: true, description: 'Requester’s full name (2–128 characters).' }),
    message: t.string({ description: 'Optional context on the intended use (up to 1000 characters).' }),
    acceptTerms: t.boolean({ description: 'Must be true.' }),
    honeypot: t.string({ description: 'Hidden form field; must stay empty (bots fill it).' }),
  }),
});

builder.mutationField('requestSignupAccess', (t) =>
  t.field({
    type: SignupPolicyRef,
    description: 'Ask for access (public); operators approve or reject the request. Returns the policy.',
    authScopes: { public: true },
    args: { input: t.arg({ type: RequestSignupAccessInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      requestSignupAccess(ctx, { ...input, acceptTerms: input.acceptTerms ?? false } as never),
  }),
);

import type { ObjectFieldBuilder } from '@pothos/core';
import type { SchemaTypes } from '../kernel/builder.js';
import { builder } from './builder.js';
import { type IssuedSession, login, refreshSession, registerAccount } from './session.service.js';

type Fields = PothosSchemaTypes.ObjectFieldBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>,
  IssuedSession
>;

/** The fields of every token-issuing result (login, signup, refresh). */
function sessionFields(
  t: Fields | ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>, IssuedSession>,
) {
  return {
    accessToken: t.exposeString('accessToken', { description: 'Signed JWT access token (EdDSA).' }),
    refreshToken: t.exposeString('refreshToken', {
      description: 'Signed JWT refresh token; rotates on every use.',
    }),
    tokenType: t.exposeString('tokenType', {
      description: 'Token type for the Authorization header: bearer.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the access token expires.' }),
    refreshExpiresAt: t.expose('refreshExpiresAt', {
      type: 'DateTime',
      description: 'When the refresh token expires.',
    }),
    kid: t.exposeString('kid', { description: 'Key id that signed the access token.' }),
    refreshKid: t.exposeString('refreshKid', { description: 'Key id that signed the refresh token.' }),
    scopes: t.exposeStringList('scopes', { description: 'Scopes granted to the session.' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant the tokens are bound to.' }),
    userId: t.exposeID('userId', { description: 'User the tokens were issued to.' }),
    emailVerified: t.exposeBoolean('emailVerified', { description: 'Whether the user’s email is verified.' }),
    sessionId: t.exposeID('sessionId', { description: 'Session id; refresh tokens rotate within it.' }),
  };
}

const AuthSession = builder.objectRef<IssuedSession>('AuthSession').implement({
  description: 'Tokens of a signed-in session.',
  fields: (t) => sessionFields(t),
});

const RegisteredAccount = builder
  .objectRef<IssuedSession & { tenantSlug: string }>('RegisteredAccount')
  .implement({
    description: 'The session of a newly registered owner, with the new tenant’s slug.',
    fields: (t) => ({
      ...sessionFields(t as unknown as Fields),
      tenantSlug: t.exposeString('tenantSlug', { description: 'Slug of the tenant created at signup.' }),
    }),
  });

type MfaMethodShape = {
  id: string;
  methodType: string;
  label: string | null;
  verifiedAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const MfaMethod = builder.objectRef<MfaMethodShape>('MfaMethod').implement({
  description: 'A second authentication factor of the user (TOTP).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Method id (UUID).' }),
    methodType: t.exposeString('methodType', { description: 'Kind of factor: totp.' }),
    label: t.exposeString('label', { nullable: true, description: 'Label chosen at enrolment.' }),
    verifiedAt: t.expose('verifiedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When enrolment was confirmed.',
    }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last successful use.',
    }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was removed.',
    }),
  }),
});

type Challenge = { mfaRequired: true; challengeToken: string; methods: MfaMethodShape[] };

const MfaChallenge = builder.objectRef<Challenge>('MfaChallenge').implement({
  description: 'Returned by login when the account has a second factor: complete it to get a session.',
  fields: (t) => ({
    mfaRequired: t.exposeBoolean('mfaRequired', { description: 'Always true.' }),
    challengeToken: t.exposeString('challengeToken', {
      description: 'Short-lived, single-use challenge token.',
    }),
    methods: t.field({
      type: [MfaMethod],
      description: 'The verified second factors.',
      resolve: (c) => c.methods,
    }),
  }),
});

const LoginResult = builder.unionType('LoginResult', {
  description: 'A session, or an MFA challenge when the account has a second factor.',
  types: [AuthSession, MfaChallenge],
  resolveType: (value) => ('mfaRequired' in value ? MfaChallenge : AuthSession),
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

const LoginInput = builder.inputType('LoginInput', {
  description: 'Email and password credentials.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Account email.' }),
    password: t.string({ required: true, description: 'Account password.' }),
    tenantId: t.id({ description: 'Tenant to sign in to, required when the user belongs to several.' }),
  }),
});

const RefreshInput = builder.inputType('RefreshInput', {
  description: 'A refresh token to rotate.',
  fields: (t) => ({
    refreshToken: t.string({ required: true, description: 'The most recent refresh token of the session.' }),
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

builder.mutationField('login', (t) =>
  t.field({
    type: LoginResult,
    description: 'Sign in with email and password.',
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) => login(ctx, input),
  }),
);

builder.mutationField('refreshSession', (t) =>
  t.field({
    type: AuthSession,
    description: 'Exchange a refresh token for a new token pair (the old refresh token stops working).',
    args: { input: t.arg({ type: RefreshInput, required: true }) },
    resolve: (_root, { input }, ctx) => refreshSession(ctx, input.refreshToken),
  }),
);

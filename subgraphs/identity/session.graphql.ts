import { builder } from './builder.js';
import { login, refreshSession } from './session.service.js';
import { AuthSession, MfaChallenge } from './types.graphql.js';

const LoginResult = builder.unionType('LoginResult', {
  description: 'A session, or an MFA challenge when the account has a second factor.',
  types: [AuthSession, MfaChallenge],
  resolveType: (value) => ('mfaRequired' in value ? MfaChallenge : AuthSession),
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

builder.mutationField('login', (t) =>
  t.field({
    type: LoginResult,
    description:
      'Sign in with email and password. Every call counts against the rate limits, aliases included.',
    // The credential is the body: email and password.
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) => login(ctx, input),
  }),
);

builder.mutationField('refreshSession', (t) =>
  t.field({
    type: AuthSession,
    description: 'Exchange a refresh token for a new token pair (the old refresh token stops working).',
    // The credential is the body: the refresh token.
    authScopes: { public: true },
    args: { input: t.arg({ type: RefreshInput, required: true }) },
    resolve: (_root, { input }, ctx) => refreshSession(ctx, input.refreshToken),
  }),
);

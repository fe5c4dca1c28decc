/** GraphQL types shared by the identity modules (sessions, MFA, signup). */
import type { ObjectFieldBuilder } from '@pothos/core';
import type { SchemaTypes } from '../kernel/builder.js';
import { builder } from './builder.js';
import { MfaMethodType } from './enums.graphql.js';
import type { MfaLoginChallenge, MfaMethodView } from './mfa.service.js';
import type { IssuedSession } from './session.service.js';

export type Fields = PothosSchemaTypes.ObjectFieldBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>,
  IssuedSession
>;

/** The fields of every token-issuing result (login, signup, refresh). */
export function sessionFields(
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

export const AuthSession = builder.objectRef<IssuedSession>('AuthSession').implement({
  description: 'Tokens of a signed-in session.',
  fields: (t) => sessionFields(t),
});

export const MfaMethod = builder.objectRef<MfaMethodView>('MfaMethod').implement({
  description: 'A second authentication factor of the user (TOTP).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Method id (UUID).' }),
    methodType: t.field({
      type: MfaMethodType,
      description: 'Kind of factor.',
      resolve: (m) => m.methodType as 'totp',
    }),
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

export const MfaChallenge = builder.objectRef<MfaLoginChallenge>('MfaChallenge').implement({
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

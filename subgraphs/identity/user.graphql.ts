import { builder } from './builder.js';
import { getCurrentUser, getUserRef } from './user.service.js';

type UserShape = {
  id: string;
  email: string;
  displayName: string | null;
  emailVerifiedAt: Date | null;
  createdAt: Date;
};

export const UserRef = builder.objectRef<UserShape>('User').implement({
  description: 'A person who signs in. Visible to members of the tenants the user belongs to.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'User id (UUID).' }),
    email: t.exposeString('email', { description: 'Sign-in email.' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'Display name.' }),
    emailVerified: t.boolean({
      description: 'Whether the email is verified.',
      resolve: (u) => u.emailVerifiedAt !== null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Signup time.' }),
  }),
});

builder.asEntity(UserRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => getUserRef(ctx, ref.id),
});

const CurrentUser = builder.objectRef<{ userId: string; tokenPayload: unknown }>('CurrentUser').implement({
  description: 'The caller, as the presented access token describes them.',
  fields: (t) => ({
    userId: t.exposeID('userId', { description: 'The caller’s user id.' }),
    tokenPayload: t.field({
      type: 'JSON',
      description: 'All claims of the access token.',
      resolve: (c) => c.tokenPayload,
    }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The caller’s user record.',
      resolve: (c, _args, ctx) => getUserRef(ctx, c.userId),
    }),
  }),
});

builder.queryField('me', (t) =>
  t.field({
    type: CurrentUser,
    description: 'The caller (any valid access token; no email-verification gate).',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => getCurrentUser(ctx),
  }),
);

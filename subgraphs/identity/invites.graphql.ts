import type { SchemaTypes } from '../kernel/builder.js';
import { builder } from './builder.js';
import { type SIGNUP_INVITE_STATUSES, SignupInviteStatus } from './enums.graphql.js';
import {
  createInvite,
  type IssuedSignupInvite,
  listInvites,
  revokeInvite,
  type SignupInviteView,
} from './invites.service.js';

type InviteFields = PothosSchemaTypes.ObjectFieldBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>,
  SignupInviteView
>;

function inviteFields(t: InviteFields) {
  return {
    id: t.exposeID('id', { description: 'Invite id (UUID).' }),
    tokenHint: t.exposeString('tokenHint', { description: 'First 8 characters of the token.' }),
    invitedEmail: t.exposeString('invitedEmail', {
      nullable: true,
      description: 'The only email that may redeem the invite, if restricted.',
    }),
    status: t.field({
      type: SignupInviteStatus,
      description: 'State of the invite.',
      resolve: (i) => i.status as (typeof SIGNUP_INVITE_STATUSES)[number],
    }),
    maxRedemptions: t.exposeInt('maxRedemptions', { description: 'How many signups the invite allows.' }),
    redeemedCount: t.exposeInt('redeemedCount', { description: 'How many signups used it so far.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it expires (null: never).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was issued.' }),
    signupRequestId: t.exposeID('signupRequestId', {
      nullable: true,
      description: 'The approved signup request it was issued for, if any.',
    }),
    note: t.exposeString('note', { nullable: true, description: 'Operator note.' }),
  };
}

export const SignupInvite = builder.objectRef<SignupInviteView>('SignupInvite').implement({
  description: 'A signup invite (the token itself is never shown again after issuance).',
  fields: (t) => inviteFields(t),
});

export const IssuedSignupInviteRef = builder.objectRef<IssuedSignupInvite>('IssuedSignupInvite').implement({
  description: 'A newly issued signup invite, with its plaintext token (returned only this once).',
  fields: (t) => ({
    ...inviteFields(t as unknown as InviteFields),
    inviteToken: t.exposeString('inviteToken', {
      description: 'Plaintext invite token (only returned once).',
    }),
  }),
});

const SignupInviteList = builder
  .objectRef<{ invites: SignupInviteView[]; total: number }>('SignupInviteList')
  .implement({
    description: 'A page of signup invites.',
    fields: (t) => ({
      invites: t.field({
        type: [SignupInvite],
        description: 'Invites, newest first.',
        resolve: (p) => p.invites,
      }),
      total: t.exposeInt('total', { description: 'Number of invites matching the filters.' }),
    }),
  });

builder.queryField('signupInvites', (t) =>
  t.field({
    type: SignupInviteList,
    description: 'Signup invites (scope auth:invites).',
    authScopes: { scope: 'auth:invites' },
    args: {
      status: t.arg({ type: SignupInviteStatus, description: 'Only invites in this state.' }),
      email: t.arg.string({ description: 'Invited email (exact, case-insensitive).' }),
      requestId: t.arg.id({ description: 'Signup request the invites were issued for.' }),
      limit: t.arg.int({ description: 'Page size (1–200, default 50).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
    },
    resolve: (_root, args, ctx) => listInvites(ctx, { ...args, requestId: args.requestId?.toString() }),
  }),
);

const CreateSignupInviteInput = builder.inputType('CreateSignupInviteInput', {
  description: 'A new signup invite.',
  fields: (t) => ({
    invitedEmail: t.string({ description: 'Restrict the invite to this email.' }),
    maxRedemptions: t.int({ description: 'Signups allowed (1–10, default 1).' }),
    expiresInHours: t.int({ description: 'Validity in hours (1–336, default 72; null: no expiry).' }),
    note: t.string({ description: 'Operator note (up to 512 characters).' }),
    signupRequestId: t.id({ description: 'Signup request this invite answers.' }),
    sendEmail: t.boolean({ description: 'Also email the invite to invitedEmail (default false).' }),
  }),
});

builder.mutationField('createSignupInvite', (t) =>
  t.field({
    type: IssuedSignupInviteRef,
    description: 'Issue a signup invite (scope auth:invites); the token is returned once.',
    authScopes: { scope: 'auth:invites' },
    args: { input: t.arg({ type: CreateSignupInviteInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createInvite(ctx, { ...input, signupRequestId: input.signupRequestId?.toString() ?? null }),
  }),
);

builder.mutationField('revokeSignupInvite', (t) =>
  t.field({
    type: SignupInvite,
    description: 'Revoke a signup invite (scope auth:invites).',
    authScopes: { scope: 'auth:invites' },
    args: { inviteId: t.arg.id({ required: true, description: 'Invite id.' }) },
    resolve: (_root, { inviteId }, ctx) => revokeInvite(ctx, String(inviteId)),
  }),
);

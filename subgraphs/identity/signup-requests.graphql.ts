import { builder } from './builder.js';
import { type SIGNUP_REQUEST_STATUSES, SignupRequestStatus } from './enums.graphql.js';
import { IssuedSignupInviteRef } from './invites.graphql.js';
import {
  approveSignupRequest,
  listSignupRequests,
  rejectSignupRequest,
  type SignupRequestDecision,
  type SignupRequestView,
} from './signup-requests.service.js';

const SignupRequest = builder.objectRef<SignupRequestView>('SignupRequest').implement({
  description: 'A request for access, awaiting or past an operator’s decision.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Request id (UUID).' }),
    email: t.exposeString('email', { description: 'Requester email.' }),
    organization: t.exposeString('organization', { nullable: true, description: 'Organization name.' }),
    fullName: t.exposeString('fullName', { nullable: true, description: 'Requester’s full name.' }),
    message: t.exposeString('message', { nullable: true, description: 'Context given by the requester.' }),
    status: t.field({
      type: SignupRequestStatus,
      description: 'State of the request.',
      resolve: (r) => r.status as (typeof SIGNUP_REQUEST_STATUSES)[number],
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was submitted.' }),
    decisionReason: t.exposeString('decisionReason', {
      nullable: true,
      description: 'Approval note or rejection reason.',
    }),
    decidedAt: t.expose('decidedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was decided.',
    }),
    inviteTokenHint: t.exposeString('inviteTokenHint', {
      nullable: true,
      description: 'First characters of the invite issued on approval.',
    }),
  }),
});

const SignupRequestList = builder
  .objectRef<{ requests: SignupRequestView[]; total: number }>('SignupRequestList')
  .implement({
    description: 'A page of signup requests.',
    fields: (t) => ({
      requests: t.field({
        type: [SignupRequest],
        description: 'Requests, newest first.',
        resolve: (p) => p.requests,
      }),
      total: t.exposeInt('total', { description: 'Number of requests matching the filter.' }),
    }),
  });

const SignupRequestDecisionRef = builder.objectRef<SignupRequestDecision>('SignupRequestDecision').implement({
  description: 'The outcome of an operator’s decision on a signup request.',
  fields: (t) => ({
    request: t.field({ type: SignupRequest, description: 'The decided request.', resolve: (p) => p.request }),
    invite: t.field({
      type: IssuedSignupInviteRef,
      nullable: true,
      description: 'The invite issued on approval, with its token (null on rejection).',
      resolve: (p) => p.invite,
    }),
  }),
});

builder.queryField('signupRequests', (t) =>
  t.field({
    type: SignupRequestList,
    description: 'Signup requests (scope auth:signup_requests).',
    authScopes: { scope: 'auth:signup_requests' },
    args: {
      status: t.arg({ type: SignupRequestStatus, description: 'Only requests in this state.' }),
      limit: t.arg.int({ description: 'Page size (1–200, default 50).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
    },
    resolve: (_root, args, ctx) => listSignupRequests(ctx, args),
  }),
);

const ApproveSignupRequestInput = builder.inputType('ApproveSignupRequestInput', {
  description: 'Options of an approval.',
  fields: (t) => ({
    note: t.string({ description: 'Note recorded with the decision and the invite (up to 512 characters).' }),
    inviteExpiresInHours: t.int({ description: 'Invite validity in hours (1–336, default 72).' }),
    sendEmail: t.boolean({ description: 'Also email the invite to the requester (default false).' }),
  }),
});

const RejectSignupRequestInput = builder.inputType('RejectSignupRequestInput', {
  description: 'Options of a rejection.',
  fields: (t) => ({
    reason: t.string({ description: 'Reason recorded with the decision (up to 512 characters).' }),
  }),
});

builder.mutationField('approveSignupRequest', (t) =>
  t.field({
    type: SignupRequestDecisionRef,
    description:
      'Approve a pending request: issues a single-use invite bound to its email (scope auth:signup_requests).',
    authScopes: { scope: 'auth:signup_requests' },
    args: {
      requestId: t.arg.id({ required: true, description: 'Request id.' }),
      input: t.arg({ type: ApproveSignupRequestInput, description: 'Approval options.' }),
    },
    resolve: (_root, { requestId, input }, ctx) => approveSignupRequest(ctx, String(requestId), input),
  }),
);

builder.mutationField('rejectSignupRequest', (t) =>
  t.field({
    type: SignupRequestDecisionRef,
    description: 'Reject a pending request (scope auth:signup_requests).',
    authScopes: { scope: 'auth:signup_requests' },
    args: {
      requestId: t.arg.id({ required: true, description: 'Request id.' }),
      input: t.arg({ type: RejectSignupRequestInput, description: 'Rejection options.' }),
    },
    resolve: (_root, { requestId, input }, ctx) => rejectSignupRequest(ctx, String(requestId), input),
  }),
);

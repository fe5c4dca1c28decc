import { builder } from './builder.js';
import {
  adminResetPassword,
  changePassword,
  confirmPasswordReset,
  type PasswordFlowResult,
  requestPasswordReset,
} from './password-flows.service.js';

const PasswordFlowResultType = builder.objectRef<PasswordFlowResult>('PasswordFlowResult').implement({
  description: 'Outcome of a password operation.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'Human-readable summary of the result.' }),
  }),
});

const RequestPasswordResetInput = builder.inputType('RequestPasswordResetInput', {
  description: 'The account to send reset instructions to.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Email of the account.' }),
  }),
});

const ConfirmPasswordResetInput = builder.inputType('ConfirmPasswordResetInput', {
  description: 'A reset token and the new password.',
  fields: (t) => ({
    token: t.string({ required: true, description: 'The `<id>.<secret>` token from the reset email.' }),
    newPassword: t.string({
      required: true,
      description: 'New password (policy: 14+ characters, 2 classes).',
    }),
  }),
});

const ChangePasswordInput = builder.inputType('ChangePasswordInput', {
  description: 'The current password and the new one.',
  fields: (t) => ({
    currentPassword: t.string({ required: true, description: 'The current password.' }),
    newPassword: t.string({
      required: true,
      description: 'New password (policy: 14+ characters, 2 classes).',
    }),
  }),
});

const AdminResetPasswordInput = builder.inputType('AdminResetPasswordInput', {
  description: 'A member of the caller’s tenant and their new password.',
  fields: (t) => ({
    userId: t.id({ required: true, description: 'The member whose password is reset.' }),
    newPassword: t.string({
      required: true,
      description: 'New password (policy: 14+ characters, 2 classes).',
    }),
  }),
});

builder.mutationField('requestPasswordReset', (t) =>
  t.field({
    type: PasswordFlowResultType,
    description: 'Email password reset instructions; answers the same whether or not the account exists.',
    authScopes: { public: true },
    args: { input: t.arg({ type: RequestPasswordResetInput, required: true }) },
    resolve: (_root, { input }, ctx) => requestPasswordReset(ctx, input),
  }),
);

builder.mutationField('confirmPasswordReset', (t) =>
  t.field({
    type: PasswordFlowResultType,
    description: 'Set a new password with an emailed reset token; every session is revoked.',
    authScopes: { public: true },
    args: { input: t.arg({ type: ConfirmPasswordResetInput, required: true }) },
    resolve: (_root, { input }, ctx) => confirmPasswordReset(ctx, input),
  }),
);

builder.mutationField('changePassword', (t) =>
  t.field({
    type: PasswordFlowResultType,
    description: 'Change the current user’s password; the user’s other sessions are revoked.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: ChangePasswordInput, required: true }) },
    resolve: (_root, { input }, ctx) => changePassword(ctx, input),
  }),
);

builder.mutationField('adminResetPassword', (t) =>
  t.field({
    type: PasswordFlowResultType,
    description: 'Reset the password of a member of the caller’s tenant (scope support:read).',
    authScopes: { scope: 'support:read' },
    args: { input: t.arg({ type: AdminResetPasswordInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      adminResetPassword(ctx, { userId: String(input.userId), newPassword: input.newPassword }),
  }),
);

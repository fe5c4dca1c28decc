import type { SchemaTypes } from '../kernel/builder.js';
import { builder } from './builder.js';
import { ServiceAccountTokenStatus } from './enums.graphql.js';
import {
  browserIssueServiceAccountToken,
  type IssuedServiceAccountToken,
  issueServiceAccountToken,
  listServiceAccountTokens,
  revokeServiceAccountToken,
  type ServiceAccountTokenView,
} from './service-accounts.service.js';

const IssuedToken = builder.objectRef<IssuedServiceAccountToken>('ServiceAccountTokenIssued').implement({
  description: 'A newly issued service-account refresh token (shown only this once).',
  fields: (t) => ({
    refreshToken: t.exposeString('refreshToken', {
      description: 'Signed refresh JWT of the service account.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the token expires.' }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime', description: 'When it was issued.' }),
    scopes: t.exposeStringList('scopes', { description: 'Scopes the token carries.' }),
    tenantId: t.exposeID('tenantId', { nullable: true, description: 'Tenant of a tenant-scoped account.' }),
    kid: t.exposeString('kid', { description: 'Key id that signed the token.' }),
    account: t.exposeString('account', { description: 'Service account name.' }),
    tokenUse: t.exposeString('tokenUse', { description: 'Always refresh.' }),
    sessionId: t.exposeID('sessionId', { nullable: true, description: 'Always null (no human session).' }),
  }),
});

const TokenItem = builder.objectRef<ServiceAccountTokenView>('ServiceAccountToken').implement({
  description: 'A stored service-account token (its secret is never shown again).',
  fields: (t) => ({
    jti: t.exposeID('jti', { description: 'Token id (JWT jti).' }),
    account: t.exposeString('account', { description: 'Service account name.' }),
    tenantId: t.exposeID('tenantId', { nullable: true, description: 'Tenant, for tenant-scoped accounts.' }),
    scopes: t.exposeStringList('scopes', { description: 'Scopes the token carries.' }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime', description: 'When it was issued.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it expires.' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was revoked.',
    }),
    revokedReason: t.exposeString('revokedReason', { nullable: true, description: 'Why it was revoked.' }),
    fingerprint: t.exposeString('fingerprint', {
      nullable: true,
      description: 'Caller-provided machine or pipeline identifier.',
    }),
    signingKid: t.exposeString('signingKid', { description: 'Key id that signed it.' }),
  }),
});

const TokenList = builder
  .objectRef<{ items: ServiceAccountTokenView[]; total: number; limit: number; offset: number }>(
    'ServiceAccountTokenList',
  )
  .implement({
    description: 'A page of service-account tokens.',
    fields: (t) => ({
      items: t.field({ type: [TokenItem], description: 'Tokens, newest first.', resolve: (p) => p.items }),
      total: t.exposeInt('total', { description: 'Number of tokens matching the filters.' }),
      limit: t.exposeInt('limit', { description: 'Page size used.' }),
      offset: t.exposeInt('offset', { description: 'Offset used.' }),
    }),
  });

const Revocation = builder.objectRef<{ jti: string }>('ServiceAccountTokenRevocation').implement({
  description: 'The revoked token.',
  fields: (t) => ({ jti: t.exposeID('jti', { description: 'Id of the revoked token.' }) }),
});

const issueFields = (
  t: PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>, 'InputObject'>,
) => ({
  account: t.string({ required: true, description: 'Service account name (see the catalog).' }),
  scopes: t.stringList({ required: true, description: 'Scopes requested (a subset of the account’s).' }),
  tenantId: t.id({ description: 'Tenant, required by tenant-scoped accounts.' }),
  lifetimeMinutes: t.int({ description: 'Token lifetime in minutes (default and maximum per account).' }),
  fingerprint: t.string({ description: 'Machine or pipeline identifier, for auditing.' }),
  force: t.boolean({ description: 'Replace an active token with the same account, tenant and scopes.' }),
});

const IssueServiceAccountTokenInput = builder.inputType('IssueServiceAccountTokenInput', {
  description: 'A service-account token request.',
  fields: (t) => issueFields(t),
});

const BrowserIssueServiceAccountTokenInput = builder.inputType('BrowserIssueServiceAccountTokenInput', {
  description: 'A service-account token request from the console, with a justification.',
  fields: (t) => ({
    ...issueFields(t),
    reason: t.string({ required: true, description: 'Justification for auditing (10–512 characters).' }),
  }),
});

builder.mutationField('issueServiceAccountToken', (t) =>
  t.field({
    type: IssuedToken,
    description:
      'Machine issuance with a Vault-signed credential (not available here: 503; `Bearer dev-local` only when SERVICE_ACCOUNT_DEV_LOCAL_ISSUANCE=true).',
    authScopes: { public: true },
    args: { input: t.arg({ type: IssueServiceAccountTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      issueServiceAccountToken(ctx, { ...input, tenantId: input.tenantId?.toString() ?? null }),
  }),
);

builder.mutationField('browserIssueServiceAccountToken', (t) =>
  t.field({
    type: IssuedToken,
    description:
      'Issue a service-account token as a tenant owner/admin (own tenant) or as an operator (override headers).',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: BrowserIssueServiceAccountTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      browserIssueServiceAccountToken(ctx, { ...input, tenantId: input.tenantId?.toString() ?? null }),
  }),
);

builder.queryField('serviceAccountTokens', (t) =>
  t.field({
    type: TokenList,
    description: 'Service-account tokens (tenant owner/admin: own tenant only; operators: all).',
    authScopes: { authenticated: true },
    args: {
      account: t.arg.string({ description: 'Account name contains (case-insensitive).' }),
      fingerprint: t.arg.string({ description: 'Exact fingerprint.' }),
      status: t.arg({
        type: ServiceAccountTokenStatus,
        description: 'Which tokens: active ones (default), revoked ones or all.',
      }),
      tenantId: t.arg.id({ description: 'Tenant filter (operators; admins may only repeat theirs).' }),
      includeGlobal: t.arg.boolean({ description: 'Operators: with tenantId, also list global tokens.' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 20).' }),
      offset: t.arg.int({ description: 'Rows to skip (default 0).' }),
    },
    resolve: (_root, args, ctx) =>
      listServiceAccountTokens(ctx, { ...args, tenantId: args.tenantId?.toString() ?? null }),
  }),
);

const RevokeServiceAccountTokenInput = builder.inputType('RevokeServiceAccountTokenInput', {
  description: 'Why a service-account token is revoked.',
  fields: (t) => ({
    reason: t.string({ description: 'Reason for auditing (up to 256 characters; required for operators).' }),
  }),
});

builder.mutationField('revokeServiceAccountToken', (t) =>
  t.field({
    type: Revocation,
    description: 'Revoke a service-account token of your tenant (operators: any).',
    authScopes: { authenticated: true },
    args: {
      jti: t.arg.id({ required: true, description: 'Token id (JWT jti).' }),
      input: t.arg({ type: RevokeServiceAccountTokenInput, description: 'Revocation details.' }),
    },
    resolve: (_root, { jti, input }, ctx) => revokeServiceAccountToken(ctx, String(jti), input),
  }),
);

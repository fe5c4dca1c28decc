import type { SchemaTypes } from '../kernel/builder.js';
import {
  type ApiKeyView,
  type CreatedApiKeyView,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from './api-key.service.js';
import { builder } from './builder.js';

type Fields = PothosSchemaTypes.ObjectFieldBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>,
  ApiKeyView
>;

/** The fields every key result shows (never the secret or its hash). */
function apiKeyFields(t: Fields) {
  return {
    id: t.exposeID('id', { description: 'Key id (UUID).' }),
    tenantId: t.exposeID('tenantId', { description: 'Tenant the key acts for.' }),
    name: t.exposeString('name', { description: 'Label chosen at creation.' }),
    prefix: t.exposeString('prefix', { description: 'Public prefix: the key reads ak_<prefix>_<secret>.' }),
    scopes: t.exposeStringList('scopes', { description: 'Scopes the key grants.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the key stops working (null: never).',
    }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last successful use (recorded at most once a minute).',
    }),
    createdBy: t.exposeString('createdBy', {
      nullable: true,
      description: 'Subject that created the key (user:<id>).',
    }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the key was revoked (null: active).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
  };
}

const ApiKeyRef = builder.objectRef<ApiKeyView>('ApiKey').implement({
  description: 'A tenant API key, authenticating as `Authorization: Bearer ak_…` or `x-api-key: ak_…`.',
  fields: (t) => apiKeyFields(t),
});

const CreatedApiKey = builder.objectRef<CreatedApiKeyView>('CreatedApiKey').implement({
  description: 'A key just created, with its full text: shown this once, store it now.',
  fields: (t) => ({
    ...apiKeyFields(t as unknown as Fields),
    key: t.exposeString('key', { description: 'The full key, ak_<prefix>_<secret>; never shown again.' }),
  }),
});

const ApiKeyPage = builder
  .objectRef<{ items: ApiKeyView[]; nextCursor: string | null }>('ApiKeyPage')
  .implement({
    description: 'A page of API keys, newest first.',
    fields: (t) => ({
      items: t.field({ type: [ApiKeyRef], description: 'Keys of this page.', resolve: (p) => p.items }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'A new API key.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Label (1–128 characters).' }),
    scopes: t.stringList({
      required: true,
      description: 'Scopes to grant: tenant scopes the creator holds (e.g. conversations:read).',
    }),
    expiresAt: t.string({
      description: 'Expiry, an ISO-8601 date-time in the future (omit: never expires).',
    }),
  }),
});

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreatedApiKey,
    description: 'Create an API key for your tenant (owners and admins); the key is returned once.',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      input: t.arg({ type: CreateApiKeyInput, required: true }),
    },
    resolve: (_root, args, ctx) => createApiKey(ctx, String(args.tenantId), args.input),
  }),
);

builder.queryField('apiKeys', (t) =>
  t.field({
    type: ApiKeyPage,
    description: 'API keys of your tenant, newest first, revoked included (owners and admins).',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, args, ctx) => listApiKeys(ctx, String(args.tenantId), args),
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Revoke an API key of your tenant (owners and admins); it stops working at once.',
    authScopes: { authenticated: true },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      keyId: t.arg.id({ required: true, description: 'Key id (UUID).' }),
    },
    resolve: (_root, args, ctx) => revokeApiKey(ctx, String(args.tenantId), String(args.keyId)),
  }),
);

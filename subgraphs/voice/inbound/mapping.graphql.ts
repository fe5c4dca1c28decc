import type { VoiceInboundMapping } from '../../../generated/prisma/client.js';
import type { Page } from '../../kernel/pagination.js';
import { builder } from '../builder.js';
import {
  createInboundMapping,
  deleteInboundMapping,
  getInboundMapping,
  listInboundMappings,
  updateInboundMapping,
} from './mapping.service.js';

export const VoiceInboundMappingRef = builder
  .objectRef<VoiceInboundMapping>('VoiceInboundMapping')
  .implement({
    description:
      'A phone number routed to an agent: calls to it (on its trunk, with its PIN) get a LiveKit room of their own with the agent dispatched.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'Mapping id (UUID).' }),
      tenantId: t.exposeID('tenantId', { description: 'The tenant (UUID).' }),
      phoneNumber: t.exposeString('phoneNumber', { description: 'The number called (E.164).' }),
      agentId: t.exposeID('agentId', { description: 'The agent that answers (UUID).' }),
      agentKey: t.exposeString('agentKey', { description: 'The agent’s key.' }),
      trunkId: t.exposeString('trunkId', {
        nullable: true,
        description: 'The tenant’s LiveKit inbound trunk (`ST_…`) named for it; null: `inboundTrunkId`.',
      }),
      inboundTrunkId: t.exposeString('inboundTrunkId', {
        nullable: true,
        description:
          'The inbound trunk made for the number when none was named (shared by the tenant’s mappings of the number).',
      }),
      hasPin: t.boolean({
        description: 'Callers must enter a PIN (the PIN itself is never returned).',
        resolve: (m) => m.pinHash !== null,
      }),
      dispatchRuleId: t.exposeString('dispatchRuleId', {
        description: 'The LiveKit SIP dispatch rule (`SDR_…`).',
      }),
      createdByUserId: t.exposeID('createdByUserId', {
        nullable: true,
        description: 'User who created it (null when created with an API key).',
      }),
      apiKeyId: t.exposeID('apiKeyId', { nullable: true, description: 'API key that created it, if any.' }),
      createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
      updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    }),
  });

const VoiceInboundMappingPage = builder
  .objectRef<Page<VoiceInboundMapping>>('VoiceInboundMappingPage')
  .implement({
    description: 'A page of inbound mappings, newest first.',
    fields: (t) => ({
      items: t.field({
        type: [VoiceInboundMappingRef],
        description: 'Mappings of this page.',
        resolve: (p) => p.items,
      }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });

const TenantArg = { required: true, description: 'Tenant id (UUID).' } as const;
const MappingArg = { required: true, description: 'Inbound mapping id (UUID).' } as const;

builder.queryField('inboundMappings', (t) =>
  t.field({
    type: VoiceInboundMappingPage,
    description: 'The tenant’s inbound mappings, newest first.',
    authScopes: { scope: 'voice:read' },
    args: {
      tenantId: t.arg.id(TenantArg),
      limit: t.arg.int({ description: 'Page size (1–100, default 50).' }),
      cursor: t.arg.string({ description: 'Cursor from the previous page.' }),
    },
    resolve: (_root, args, ctx) => listInboundMappings(ctx, String(args.tenantId), args),
  }),
);

builder.queryField('inboundMapping', (t) =>
  t.field({
    type: VoiceInboundMappingRef,
    description: 'One inbound mapping of the tenant.',
    authScopes: { scope: 'voice:read' },
    args: { tenantId: t.arg.id(TenantArg), mappingId: t.arg.id(MappingArg) },
    resolve: (_root, args, ctx) => getInboundMapping(ctx, String(args.tenantId), String(args.mappingId)),
  }),
);

const CreateInboundMappingInput = builder.inputType('CreateInboundMappingInput', {
  description: 'A number to route to an agent.',
  fields: (t) => ({
    phoneNumber: t.string({ required: true, description: 'The number callers dial (E.164).' }),
    agentId: t.id({ required: true, description: 'The tenant’s active agent that answers (UUID).' }),
    trunkId: t.string({
      description:
        'The tenant’s LiveKit inbound trunk (`ST_…`) carrying the number; default: one is made for the number.',
    }),
    pin: t.string({ description: 'A PIN callers must enter (4–12 digits); default none.' }),
  }),
});

const UpdateInboundMappingInput = builder.inputType('UpdateInboundMappingInput', {
  description: 'What to change in a mapping; fields left out stay.',
  fields: (t) => ({
    phoneNumber: t.string({ description: 'A new number (E.164).' }),
    agentId: t.id({ description: 'Another active agent of the tenant (UUID).' }),
    trunkId: t.string({ description: 'Another inbound trunk of the tenant; null: one made for the number.' }),
    pin: t.string({ description: 'A new PIN (4–12 digits); null removes the PIN.' }),
  }),
});

builder.mutationField('createInboundMapping', (t) =>
  t.field({
    type: VoiceInboundMappingRef,
    description:
      'Routes a number to an agent (a LiveKit SIP dispatch rule). The same trunk, number and PIN twice is a 409.',
    authScopes: { scope: 'calls:write' },
    args: {
      tenantId: t.arg.id(TenantArg),
      input: t.arg({ type: CreateInboundMappingInput, required: true, description: 'The mapping.' }),
    },
    resolve: (_root, args, ctx) =>
      createInboundMapping(ctx, String(args.tenantId), {
        phoneNumber: args.input.phoneNumber,
        agentId: String(args.input.agentId),
        trunkId: args.input.trunkId,
        pin: args.input.pin,
      }),
  }),
);

builder.mutationField('updateInboundMapping', (t) =>
  t.field({
    type: VoiceInboundMappingRef,
    description:
      'Changes a mapping: LiveKit first, then the record; a failure leaves the old routing working.',
    authScopes: { scope: 'calls:write' },
    args: {
      tenantId: t.arg.id(TenantArg),
      mappingId: t.arg.id(MappingArg),
      input: t.arg({ type: UpdateInboundMappingInput, required: true, description: 'The changes.' }),
    },
    resolve: (_root, args, ctx) =>
      updateInboundMapping(ctx, String(args.tenantId), String(args.mappingId), {
        phoneNumber: args.input.phoneNumber,
        agentId: args.input.agentId == null ? args.input.agentId : String(args.input.agentId),
        trunkId: args.input.trunkId,
        pin: args.input.pin,
      }),
  }),
);

builder.mutationField('deleteInboundMapping', (t) =>
  t.field({
    type: 'Boolean',
    description:
      'Unroutes the number: its dispatch rule, and the trunk made for it when no other mapping uses it.',
    authScopes: { scope: 'calls:write' },
    args: { tenantId: t.arg.id(TenantArg), mappingId: t.arg.id(MappingArg) },
    resolve: (_root, args, ctx) => deleteInboundMapping(ctx, String(args.tenantId), String(args.mappingId)),
  }),
);

import { type GraphQLEnumType, getNamedType, isEnumType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readSupergraph } from '../../gateway/create-gateway.js';
import { Casing } from '../../rest-bridge/casing.js';
import { legacyEnumSchema } from '../../rest-bridge/schema.js';
import { enumValueName } from '../../subgraphs/kernel/builder.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { apiSchemaOf } from '../contracts/compare.js';

const api = apiSchemaOf(readSupergraph());

/** Closed sets that must be enums for GraphQL clients (type.field → enum). */
const CLOSED_SETS: Record<string, string> = {
  'Conversation.status': 'ConversationStatus',
  'ConversationEvent.kind': 'ConversationEventKind',
  'Tenant.status': 'TenantStatus',
  'TenantUser.role': 'TenantRole',
  'SignupInvite.status': 'SignupInviteStatus',
  'IssuedSignupInvite.status': 'SignupInviteStatus',
  'SignupRequest.status': 'SignupRequestStatus',
  'MfaMethod.methodType': 'MfaMethodType',
  'SignupPolicy.policy': 'SignupAccessPolicy',
};

describe('typed GraphQL schema', () => {
  it('exposes closed sets as enums with GraphQL-style names', () => {
    for (const [path, enumName] of Object.entries(CLOSED_SETS)) {
      const [typeName, fieldName] = path.split('.') as [string, string];
      const type = api.getType(typeName);
      const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
      expect(field && getNamedType(field.type).name, path).toBe(enumName);
    }
    const enums = Object.values(api.getTypeMap()).filter(
      (t): t is GraphQLEnumType => isEnumType(t) && !t.name.startsWith('__') && !t.name.startsWith('link__'),
    );
    expect(enums.length).toBeGreaterThanOrEqual(9);
    for (const e of enums) {
      for (const v of e.getValues()) {
        expect(v.name, `${e.name}.${v.name}`).toMatch(/^[A-Z][A-Z0-9_]*$/);
      }
    }
  });

  it('keeps the legacy strings as internal values, which the REST face reads and writes', () => {
    const rest = legacyEnumSchema(api);
    const casing = new Casing(rest, {});
    let checked = 0;
    for (const subgraph of subgraphs) {
      for (const type of Object.values(subgraph.schema.getTypeMap())) {
        if (!isEnumType(type) || type.name.startsWith('__') || type.name.startsWith('link__')) {
          continue;
        }
        const restType = rest.getType(type.name);
        for (const value of type.getValues()) {
          expect(value.name).toBe(enumValueName(String(value.value)));
          expect(restType && casing.output(value.name, restType as GraphQLEnumType)).toBe(value.value);
          expect(casing.input(value.value, restType as GraphQLEnumType)).toBe(value.name);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    const kind = rest.getType('ConversationEventKind') as GraphQLEnumType;
    expect(casing.output('CONVERSATION_TITLE_UPDATED', kind)).toBe('conversation.title.updated');
    // An unknown string goes on unchanged, for GraphQL to refuse.
    expect(casing.input('deleted', rest.getType('TenantStatus') as GraphQLEnumType)).toBe('deleted');
  });
});

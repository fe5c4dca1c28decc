import { readFileSync } from 'node:fs';
import { isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { routes } from '../../rest-bridge/routes/index.js';
import { streamRoutes } from '../../rest-bridge/streams/index.js';
import { scopesOf, tenantScopes } from '../../subgraphs/kernel/scopes.js';
import { scopesForRole } from '../../subgraphs/kernel/viewer.js';
import { subgraphs } from '../../subgraphs/registry.js';

/** `conversations:read/write` → conversations:read, conversations:write. */
function expand(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].flatMap(([, scope]) => {
    const [namespace, actions] = (scope as string).split(':') as [string, string];
    return actions.split('/').map((action) => `${namespace}:${action}`);
  });
}

/** The README's "Roles and scopes" table: first cell (who) → scopes. */
function readmeScopeTable(): Map<string, string[]> {
  const readme = readFileSync('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('| role | scopes |'));
  const rows = table.split('\n').slice(2);
  const out = new Map<string, string[]>();
  for (const row of rows) {
    if (!row.startsWith('|')) {
      break;
    }
    const [, who = '', scopes = ''] = row.split('|').map((c) => c.trim());
    out.set(who, expand(scopes));
  }
  return out;
}

describe('the registry', () => {
  it('names every subgraph once', () => {
    const names = subgraphs.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThan(0);
  });

  it('lets each domain declare REST routes for its own root fields only', () => {
    for (const s of subgraphs) {
      for (const route of s.rest.routes) {
        const [root, field] = route.field.split('.') as ['Query' | 'Mutation', string];
        const type = root === 'Query' ? s.schema.getQueryType() : s.schema.getMutationType();
        expect(type?.getFields()[field], `${s.name}: ${route.field}`).toBeDefined();
      }
    }
    expect(routes).toHaveLength(subgraphs.reduce((n, s) => n + s.rest.routes.length, 0));
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lets each domain declare streams over its own subscription fields and event types', () => {
    for (const s of subgraphs) {
      for (const stream of s.rest.streams ?? []) {
        expect(s.schema.getSubscriptionType()?.getFields()[stream.field], stream.path).toBeDefined();
        const eventType = s.schema.getType(stream.eventType);
        expect(isObjectType(eventType) && 'cursor' in eventType.getFields(), stream.eventType).toBe(true);
        expect(stream.subscription).toContain(stream.field);
      }
    }
    expect(streamRoutes.map((r) => r.path)).toContain('/api/v1/conversations/{conversation_id}/stream');
  });

  it('assembles role grants from the domains, as the README table says', () => {
    const table = readmeScopeTable();
    const sorted = (scopes: readonly string[]) => [...scopes].sort();
    expect(sorted(table.get('`owner`, `admin`') ?? [])).toEqual(sorted(scopesForRole('owner')));
    expect(sorted(scopesForRole('admin'))).toEqual(sorted(scopesForRole('owner')));
    expect(sorted(table.get('`member`') ?? [])).toEqual(sorted(scopesForRole('member')));
    expect(sorted(table.get('`viewer`') ?? [])).toEqual(sorted(scopesForRole('viewer')));
    expect(sorted(table.get('platform operator (any role, plus)') ?? [])).toEqual(
      sorted(scopesOf('operator')),
    );
    expect(table.size).toBe(4);
    // Unknown roles get the viewer's scopes; API keys may carry any scope a tenant role grants.
    expect(scopesForRole('nobody')).toEqual(scopesForRole('viewer'));
    expect(sorted(tenantScopes())).toEqual(sorted(scopesForRole('owner')));
  });

  it('has each scope declared by one domain only', () => {
    const declared = subgraphs.flatMap((s) => Object.keys(s.scopes));
    expect(new Set(declared).size).toBe(declared.length);
    expect(declared).toEqual(expect.arrayContaining(['conversations:read', 'tenant:settings']));
  });
});

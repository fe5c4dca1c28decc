/** The one resolver of the acting tenant (kernel/viewer.ts `actingTenant`). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../subgraphs/kernel/errors.js';
// The registry installs the domains' role → scope table, as every serving process does.
import '../../subgraphs/registry.js';
import { actingTenant, type Caller, scopesForRole, viewerFromClaims } from '../../subgraphs/kernel/viewer.js';

const own = randomUUID();
const other = randomUUID();

function user(role: string | null, extra: Record<string, unknown> = {}) {
  const scopes = [...(role ? scopesForRole(role) : []), ...((extra.scopes as string[]) ?? [])];
  return viewerFromClaims(
    {
      sub: `user:${randomUUID()}`,
      ...(role ? { tenant_id: own, roles: [role] } : {}),
      scope: scopes.join(' '),
      email_verified: extra.emailVerified ?? true,
    },
    extra.requireVerified === true,
  );
}

const caller = (viewer: Caller['viewer'], headers: Record<string, string> = {}): Caller => ({
  viewer,
  authError: null,
  headers,
});
const code = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'OK';
};

describe('actingTenant', () => {
  it("answers the token's tenant and role", () => {
    expect(actingTenant(caller(user('member')))).toMatchObject({
      tenantId: own,
      role: 'member',
      asOperator: false,
    });
  });

  it('needs a credential (the refused one when there was one) and a verified email where required', () => {
    expect(code(() => actingTenant(caller(null)))).toBe('UNAUTHENTICATED');
    const refused = new UnauthenticatedError('Token expired.');
    expect(() => actingTenant({ viewer: null, authError: refused, headers: {} })).toThrow('Token expired.');
    const unverified = user('owner', { emailVerified: false, requireVerified: true });
    expect(code(() => actingTenant(caller(unverified)))).toBe('FORBIDDEN');
  });

  it('checks a named tenant: malformed → validation error at tenantId, another tenant → 404', () => {
    const owner = caller(user('owner'));
    expect(actingTenant(owner, { tenantId: own.toUpperCase() }).tenantId).toBe(own);
    expect(() => actingTenant(owner, { tenantId: 'nope' })).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        details: [{ loc: ['tenantId'], msg: 'Input should be a valid UUID.', type: 'uuid_parsing' }],
      }),
    );
    expect(code(() => actingTenant(owner, { tenantId: other }))).toBe('NOT_FOUND');
  });

  it('lets platform operators act on any named tenant only where allowed', () => {
    const operator = caller(user('member', { scopes: ['platform:operator'] }));
    expect(code(() => actingTenant(operator, { tenantId: other }))).toBe('NOT_FOUND');
    expect(actingTenant(operator, { tenantId: other, operators: true })).toMatchObject({
      tenantId: other,
      asOperator: true,
    });
    // Operators manage their own tenant too, whatever their role in it.
    expect(code(() => actingTenant(operator, { tenantId: own, manage: true, operators: true }))).toBe('OK');
  });

  it('refuses roles short of manage, API-key-like callers without a role and tokens without a tenant', () => {
    for (const role of ['member', 'viewer']) {
      expect(code(() => actingTenant(caller(user(role)), { manage: true }))).toBe('FORBIDDEN');
    }
    expect(code(() => actingTenant(caller(user('admin')), { manage: true }))).toBe('OK');
    const noTenant = caller(user(null));
    expect(code(() => actingTenant(noTenant))).toBe('UNAUTHENTICATED');
    expect(() => actingTenant(noTenant, { manage: true, deniedMessage: 'Admins only.' })).toThrow(
      'Admins only.',
    );
  });

  it('lets X-Tenant-Id only repeat the token tenant and X-Tenant-Role only narrow the role', () => {
    const owner = user('owner');
    expect(code(() => actingTenant(caller(owner, { 'x-tenant-id': own })))).toBe('OK');
    expect(code(() => actingTenant(caller(owner, { 'x-tenant-id': other })))).toBe('FORBIDDEN');
    expect(actingTenant(caller(owner, { 'x-tenant-role': 'viewer' })).role).toBe('viewer');
    expect(code(() => actingTenant(caller(owner, { 'x-tenant-role': 'member' }), { manage: true }))).toBe(
      'FORBIDDEN',
    );
    expect(code(() => actingTenant(caller(user('member'), { 'x-tenant-role': 'owner' })))).toBe('FORBIDDEN');
    expect(code(() => actingTenant(caller(owner, { 'x-tenant-role': 'root' })))).toBe('FORBIDDEN');
  });

  it('honours the operator override headers only where the rule asks for them, and needs a reason', () => {
    const operator = user(null, { scopes: ['platform:operator'] });
    const headers = { 'x-operator-override': 'true', 'x-operator-reason': 'incident 42' };
    expect(actingTenant(caller(operator, headers), { manage: true, operatorOverride: true })).toMatchObject({
      override: true,
      tenantId: null,
      reason: 'incident 42',
    });
    expect(
      code(() =>
        actingTenant(caller(operator, { 'x-operator-override': 'true' }), {
          manage: true,
          operatorOverride: true,
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(code(() => actingTenant(caller(operator, headers), { manage: true }))).toBe('FORBIDDEN');
    // Not an operator: the header changes nothing.
    expect(
      actingTenant(caller(user('admin'), headers), { manage: true, operatorOverride: true }).override,
    ).toBe(false);
  });
});

/** Helpers shared by the tenancy tests (tenants, API keys, members). */
import { randomUUID } from 'node:crypto';
import { openApiProblems } from '../kit/contract.js';
import type { Account, TestStack } from '../kit/stack.js';

/**
 * Checks a REST response of the /api/tenants surface against the published OpenAPI for that operation
 * and status (success shapes and error envelopes alike). Empty when it matches.
 */
export const shapeProblems = openApiProblems;

export const PASSWORD = 'Correct-Horse-Battery-9';

/** Logs in by email + password (in a given tenant) and returns the access token. */
export async function login(t: TestStack, email: string, tenantId?: string): Promise<string> {
  const res = await t.rest<{ access_token: string }>('POST', '/api/v1/auth/token', {
    body: { email, password: PASSWORD, ...(tenantId ? { tenant_id: tenantId } : {}) },
  });
  if (res.status !== 200) {
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.access_token;
}

/** Makes the account a platform operator (as scripts/grant-operator.ts does) and logs in again. */
export async function makeOperator(t: TestStack, account: Account): Promise<string> {
  await t.stack.kernel.database.prisma.user.update({
    where: { id: account.userId },
    data: { platformRole: 'operator' },
  });
  return login(t, account.email);
}

export interface Member {
  userId: string;
  email: string;
  token: string;
}

/** Creates a new user with a role in the owner's tenant through POST /api/tenants/{id}/users, then logs in. */
export async function addMember(t: TestStack, owner: Account, role: string): Promise<Member> {
  const email = `${role}-${randomUUID()}@example.com`;
  const res = await t.rest<{ user_id: string }>('POST', `/api/tenants/${owner.tenantId}/users`, {
    token: owner.accessToken,
    body: { email, role, password: PASSWORD },
  });
  if (res.status !== 201) {
    throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { userId: res.body.user_id, email, token: await login(t, email) };
}

/** Two tenants (`owner` registers the first, `other` the second) and the first tenant's other roles. */
export async function tenantWithRoles(t: TestStack) {
  const [owner, other] = await Promise.all([t.register(), t.register()]);
  const [admin, member, viewer] = await Promise.all([
    addMember(t, owner, 'admin'),
    addMember(t, owner, 'member'),
    addMember(t, owner, 'viewer'),
  ]);
  return { owner, other, admin, member, viewer };
}

import { createHash, randomUUID } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems } from '../kit/contract.js';
import { bootStack, type TestStack } from '../kit/stack.js';

let t: TestStack;

beforeAll(async () => {
  t = await bootStack();
});
afterAll(async () => {
  await t?.close();
});

const ME = 'query { me { userId tokenPayload user { id email } } }';

describe('register', () => {
  it('creates a tenant and its owner and answers the contract shape (REST, 201)', async () => {
    const email = `Owner-${Date.now()}@Example.com`;
    const suffix = randomUUID().slice(0, 8);
    const res = await t.rest<Record<string, unknown>>('POST', '/api/v1/auth/register', {
      body: {
        email,
        password: 'Correct-Horse-Battery-9',
        tenant_name: `Acme Robotics ${suffix}!`,
        display_name: 'Ada',
        accept_terms: true,
      },
    });
    expect(res.status).toBe(201);
    expect(contractProblems('POST', '/api/v1/auth/register', 201, res.body)).toEqual([]);
    expect(res.body).toMatchObject({
      token_type: 'bearer',
      email_verified: false,
      tenant_slug: `acme-robotics-${suffix}`,
    });
    const claims = decodeJwt(res.body.access_token as string);
    expect(claims).toMatchObject({
      sub: `user:${res.body.user_id}`,
      tenant_id: res.body.tenant_id,
      token_use: 'access',
      roles: ['owner'],
    });
    expect(decodeProtectedHeader(res.body.access_token as string)).toMatchObject({
      alg: 'EdDSA',
      kid: res.body.kid,
    });
  });

  it('gives a second tenant with the same name its own slug', async () => {
    const a = await t.register({ tenantName: 'Same Name Co' });
    const b = await t.register({ tenantName: 'Same Name Co' });
    expect(a.tenantId).not.toBe(b.tenantId);
  });

  it('refuses a registered email with 409 and changes nothing', async () => {
    const a = await t.register();
    const res = await t.rest('POST', '/api/v1/auth/register', {
      body: {
        email: a.email.toUpperCase(),
        password: 'Another-Password-77',
        tenant_name: 'Dup',
        accept_terms: true,
      },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      success: false,
      error: 'Conflict',
      message: 'Email already registered.',
      details: null,
    });
    expect(contractProblems('POST', '/api/v1/auth/register', 409, res.body)).toEqual([]);
    expect(await t.stack.kernel.database.prisma.tenant.count({ where: { name: 'Dup' } })).toBe(0);
  });

  it.each([
    ['a short password', { password: 'short1A' }],
    ['a one-class password', { password: 'aaaaaaaaaaaaaaaaaaaa' }],
    ['a bad email', { email: 'not-an-email' }],
    ['terms not accepted', { accept_terms: false }],
    ['a one-letter tenant name', { tenant_name: 'x' }],
    ['an oversize tenant name', { tenant_name: 'x'.repeat(500) }],
    ['a wrong type', { tenant_name: 42 }],
    ['an unknown field', { is_admin: true }],
  ])('answers 422 with the validation envelope for %s', async (_name, override) => {
    const email = `v-${Math.random()}@example.com`;
    const res = await t.rest<Record<string, unknown>>('POST', '/api/v1/auth/register', {
      body: {
        email,
        password: 'Correct-Horse-Battery-9',
        tenant_name: 'Valid',
        accept_terms: true,
        ...override,
      },
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      success: false,
      error: 'ValidationError',
      message: 'Request validation failed.',
    });
    expect(contractProblems('POST', '/api/v1/auth/register', 422, res.body)).toEqual([]);
    expect(await t.stack.kernel.database.prisma.user.count({ where: { email } })).toBe(0);
  });

  it('answers 422 for a body that is not JSON, and for a missing body', async () => {
    expect((await t.rest('POST', '/api/v1/auth/register', { body: '{nope' })).status).toBe(422);
    expect((await t.rest('POST', '/api/v1/auth/register')).status).toBe(422);
  });
});

describe('login, refresh, me', () => {
  it('logs in over REST and GraphQL, and me answers the token claims', async () => {
    const a = await t.register();
    const rest = await t.rest<Record<string, string>>('POST', '/api/v1/auth/token', {
      body: { email: a.email, password: a.password },
    });
    expect(rest.status).toBe(200);
    expect(contractProblems('POST', '/api/v1/auth/token', 200, rest.body)).toEqual([]);
    const gql = await t.gql<{ login: { __typename: string; accessToken: string; sessionId: string } }>(
      'mutation ($input: LoginInput!) { login(input: $input) { __typename ... on AuthSession { accessToken sessionId } } }',
      { input: { email: a.email, password: a.password } },
    );
    expect(gql.data?.login.__typename).toBe('AuthSession');
    expect(gql.data?.login.sessionId).not.toBe(rest.body.session_id);

    const me = await t.rest<{ data: { user_id: string; token_payload: Record<string, unknown> } }>(
      'GET',
      '/api/v1/auth/me',
      {
        token: rest.body.access_token,
      },
    );
    expect(me.status).toBe(200);
    expect(contractProblems('GET', '/api/v1/auth/me', 200, me.body)).toEqual([]);
    expect(me.body).toMatchObject({ success: true, message: 'User information retrieved successfully' });
    expect(me.body.data.user_id).toBe(a.userId);
    // JSON scalars pass through untouched: claim names keep their own spelling.
    expect(me.body.data.token_payload).toMatchObject({
      sub: `user:${a.userId}`,
      tenant_id: a.tenantId,
      email_verified: false,
    });

    const viaGateway = await t.gql<{ me: { userId: string; user: { email: string } } }>(
      ME,
      {},
      gql.data?.login.accessToken,
    );
    expect(viaGateway.data?.me).toMatchObject({ userId: a.userId, user: { email: a.email } });
  });

  it('refuses a wrong password or an unknown email with the same 401', async () => {
    const a = await t.register();
    const wrong = await t.rest('POST', '/api/v1/auth/token', {
      body: { email: a.email, password: 'Wrong-Password-123' },
    });
    const unknown = await t.rest('POST', '/api/v1/auth/token', {
      body: { email: 'nobody@example.com', password: 'Wrong-Password-123' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect(contractProblems('POST', '/api/v1/auth/token', 401, wrong.body)).toEqual([]);
  });

  it('answers 401 (not 403) without credentials', async () => {
    const res = await t.rest('GET', '/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, error: 'Unauthorized' });
    const gql = await t.gql(ME);
    expect(gql.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('rotates refresh tokens and revokes the session when a rotated one is replayed', async () => {
    const a = await t.register();
    const first = await t.rest<Record<string, string>>('POST', '/api/v1/auth/refresh', {
      body: { refresh_token: a.refreshToken },
    });
    expect(first.status).toBe(200);
    expect(contractProblems('POST', '/api/v1/auth/refresh', 200, first.body)).toEqual([]);
    expect(first.body.session_id).toBe(a.sessionId);
    expect(first.body.refresh_token).not.toBe(a.refreshToken);

    const replay = await t.rest('POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refreshToken } });
    expect(replay.status).toBe(401);
    // The replay revoked the whole session: the newest refresh token is dead too.
    const next = await t.rest('POST', '/api/v1/auth/refresh', {
      body: { refresh_token: first.body.refresh_token },
    });
    expect(next.status).toBe(401);
    const session = await t.stack.kernel.database.prisma.session.findUnique({ where: { id: a.sessionId } });
    expect(session?.revokedAt).not.toBeNull();
  });

  it('stores refresh tokens only as hashes', async () => {
    const a = await t.register();
    const rows = await t.stack.kernel.database.prisma.refreshToken.findMany({
      where: { sessionId: a.sessionId },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(createHash('sha256').update(a.refreshToken).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(a.refreshToken);
  });
});

describe('JWT checklist: every forged or misused token is refused', () => {
  async function refused(token: string) {
    const res = await t.rest('GET', '/api/v1/auth/me', { token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, error: 'Unauthorized' });
  }

  it('refuses a refresh token used as an access token', async () => {
    await refused((await t.register()).refreshToken);
  });

  it('refuses alg none, a foreign key, an unknown kid, a tampered payload, expired, not-yet-valid and wrong-audience tokens', async () => {
    const a = await t.register();
    const claims = decodeJwt(a.accessToken);
    const kid = decodeProtectedHeader(a.accessToken).kid as string;
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    const [h, , s] = a.accessToken.split('.');
    await refused(
      `${h}.${b64({ ...claims, roles: ['owner'], tenant_id: '00000000-0000-0000-0000-000000000000' })}.${s}`,
    );

    const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const sign = (payload: Record<string, unknown>, header: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(foreign.privateKey);
    const now = Math.floor(Date.now() / 1000);
    await refused(await sign({ ...claims }, { kid })); // right kid, wrong key
    await refused(await sign({ ...claims }, { kid: 'unknown-kid' }));
    // An HS256 token "signed" with the public key (algorithm confusion).
    const publicJwk = await exportJWK(foreign.publicKey);
    const hmac = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    await refused(hmac);
    // Properly signed by the platform's own key but with bad time or audience claims.
    const keys = t.stack.kernel.keys;
    await refused(
      await keys.sign(
        { ...claims, iat: undefined, exp: undefined, nbf: undefined, jti: undefined },
        -60,
        'agent-api',
      ),
    );
    // Not yet valid: the caller's own claims re-signed with the platform's signing key, `nbf` in the
    // future. The same claims with the issued `nbf` pass, so only `nbf` is what is refused.
    const stored = await t.stack.kernel.database.prisma.signingKey.findUniqueOrThrow({
      where: { kid: keys.activeKid },
    });
    const platformKey = await importJWK(stored.privateJwk as JWK, 'EdDSA');
    const resigned = (nbf: number) =>
      new SignJWT({ ...claims, nbf })
        .setProtectedHeader({ alg: 'EdDSA', kid: keys.activeKid, typ: 'JWT' })
        .sign(platformKey);
    const asIssued = await t.rest('GET', '/api/v1/auth/me', { token: await resigned(claims.nbf as number) });
    expect(asIssued.status).toBe(200);
    await refused(await resigned(now + 120));
    await refused(
      await keys.sign(
        { sub: claims.sub, token_use: 'access', tenant_id: claims.tenant_id },
        600,
        'some-other-audience',
      ),
    );
    await refused(await keys.sign({ sub: 'service-account:x', token_use: 'access' }, 600, 'agent-api'));
  });

  it('serves the public keys as JWKS on the gateway', async () => {
    const res = await t.rest<{ keys: { kid: string; kty: string; d?: string }[] }>(
      'GET',
      '/.well-known/jwks.json',
    );
    expect(res.status).toBe(200);
    expect(res.body.keys.length).toBeGreaterThan(0);
    expect(res.body.keys[0]).toMatchObject({ kty: 'OKP' });
    expect(res.body.keys.some((k) => 'd' in k)).toBe(false);
  });
});

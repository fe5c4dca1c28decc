import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileOperations, createRestBridge } from '../../rest-bridge/create-rest-bridge.js';
import { type RestRoute, routes } from '../../rest-bridge/routes/index.js';
import { restSchema } from '../../rest-bridge/schema.js';
import { listen } from '../../subgraphs/kernel/listen.js';
import { type Account, bootStack, type TestStack, take } from '../kit/stack.js';
import { expiredCopy } from '../kit/tokens.js';

// A client cost limit far below what the bridge's own list routes select.
const MAX_COST = 30;

let t: TestStack;
let owner: Account;

beforeAll(async () => {
  t = await bootStack({ GRAPHQL_MAX_COST: String(MAX_COST) });
  owner = await t.register();
});
afterAll(async () => {
  await t?.close();
});

/** A bridge over the running stack with its own route table, on its own port. */
async function bridgeWith(table: readonly RestRoute[]): Promise<{ url: string; close: () => Promise<void> }> {
  const { apollo, subscriptions } = t.stack.gateway;
  const handler = createRestBridge(
    { apollo, subscriptions, config: t.stack.kernel.config },
    { routes: table },
  );
  const server: Server = createServer((req, res) => handler(req, res, () => res.writeHead(404).end()));
  const port = await listen(server, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const route = (field: string) => routes.find((r) => r.field === field) as RestRoute;

/** Everything a REST 422 must never show: GraphQL's variable names, types and wording. */
function expectRestWords(body: unknown) {
  const text = JSON.stringify(body);
  for (const word of ['$', 'Variable', 'String!', 'Boolean cannot', 'Int cannot', 'input.']) {
    expect(text, `${word} in ${text}`).not.toContain(word);
  }
}

describe('REST validation errors speak REST', () => {
  it('answers one detail per field of the register body, as the client named it', async () => {
    const res = await t.rest('POST', '/api/v1/auth/register', {
      body: {
        email: 'x@example.com',
        password: 'Correct-Horse-Battery-9',
        accept_terms: 'yes',
        trial_days: 'ten',
        surprise: 1,
      },
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ success: false, error: 'ValidationError' });
    const details = (res.body as { details: { loc: unknown[]; type: string; msg: string }[] }).details;
    expect(details.map((d) => [d.loc, d.type])).toEqual(
      expect.arrayContaining([
        [['body', 'tenant_name'], 'missing'],
        [['body', 'accept_terms'], 'bool_parsing'],
        [['body', 'trial_days'], 'int_parsing'],
        [['body', 'surprise'], 'extra_forbidden'],
      ]),
    );
    expect(details).toHaveLength(4);
    expect(details.find((d) => d.type === 'missing')?.msg).toBe('Field required');
    expectRestWords(res.body);
    const wrongJsonTypes = await t.rest('POST', '/api/v1/auth/register', {
      body: { email: 'x@example.com', password: 5, tenant_name: 'Acme', accept_terms: 1, trial_days: 1.5 },
    });
    expect(wrongJsonTypes.status).toBe(422);
    expect(
      (wrongJsonTypes.body as { details: { loc: unknown[]; type: string }[] }).details.map((d) => [
        d.loc,
        d.type,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [['body', 'password'], 'string_type'],
        [['body', 'accept_terms'], 'bool_type'],
        [['body', 'trial_days'], 'int_type'],
      ]),
    );
    expectRestWords(wrongJsonTypes.body);
  });

  it('names nested fields and array indices', async () => {
    const res = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: owner.accessToken,
      body: {
        billing_contacts: [{ name: 'Ada', email: 'ada@example.com' }, { email: 5 }],
        plan_metadata: {},
        flags: {},
      },
    });
    expect(res.status).toBe(422);
    const details = (res.body as { details: { loc: unknown[]; type: string }[] }).details;
    expect(details.map((d) => [d.loc, d.type])).toEqual([
      [['body', 'billing_contacts', 1, 'name'], 'missing'],
      [['body', 'billing_contacts', 1, 'email'], 'string_type'],
    ]);
    expectRestWords(res.body);
    const notObject = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: owner.accessToken,
      body: { billing_contacts: 'none', plan_metadata: {}, flags: {} },
    });
    expect(notObject.status).toBe(422);
    expect((notObject.body as { details: unknown[] }).details).toEqual([
      {
        loc: ['body', 'billing_contacts'],
        msg: 'Input should be a valid list',
        type: 'list_type',
      },
    ]);
    const itemNotObject = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: owner.accessToken,
      body: { billing_contacts: ['Ada'], plan_metadata: {}, flags: {} },
    });
    expect((itemNotObject.body as { details: unknown[] }).details).toEqual([
      {
        loc: ['body', 'billing_contacts', 0],
        msg: 'Input should be a valid dictionary or object',
        type: 'model_type',
      },
    ]);
  });

  it('names query parameters with the legacy parsing words', async () => {
    const res = await t.rest('GET', '/api/v1/auth/sessions?limit=ten&include_revoked=maybe', {
      token: owner.accessToken,
    });
    expect(res.status).toBe(422);
    const details = (res.body as { details: { loc: unknown[]; type: string }[] }).details;
    expect(details.map((d) => [d.loc, d.type])).toEqual(
      expect.arrayContaining([
        [['query', 'include_revoked'], 'bool_parsing'],
        [['query', 'limit'], 'int_parsing'],
      ]),
    );
    expect(details).toHaveLength(2);
    expectRestWords(res.body);
  });

  it('names a missing required body field of an args-spread route, and a body that is not an object', async () => {
    const notObject = await t.rest('POST', '/api/v1/auth/register', { body: '[1]' });
    expect(notObject.status).toBe(422);
    expect((notObject.body as { details: unknown[] }).details).toEqual([
      { loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'model_type' },
    ]);
    const badJson = await t.rest('POST', '/api/v1/auth/register', { body: '{"email":' });
    expect(badJson.status).toBe(422);
    expect((badJson.body as { details: { type: string }[] }).details[0]?.type).toBe('json_invalid');
  });

  it('answers a request without a credential 401 before looking at its body or parameters; public routes still validate', async () => {
    const agents = `/api/tenants/${owner.tenantId}/agents`;
    for (const [method, path, body] of [
      ['POST', agents, '{"key":'],
      ['POST', agents, '[1]'],
      ['POST', agents, JSON.stringify({ key: 12 })],
      ['GET', `${agents}?limit=abc`, undefined],
      ['GET', '/api/tenants/not-a-uuid/agents', undefined],
    ] as const) {
      const res = await t.rest(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path} ${body}`).toBe(401);
      expect(res.body).toEqual({
        success: false,
        error: 'Unauthorized',
        message: 'Authentication required.',
        details: null,
      });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    // A credential that is refused (expired, forged, malformed) is told before the input too.
    for (const token of [await expiredCopy(t, owner.accessToken), 'not-a-token', 'a.b.c']) {
      for (const body of ['{"key":', '[1]']) {
        const res = await t.rest('POST', agents, { token, body });
        expect(res.status, `${token.slice(0, 12)} ${body}`).toBe(401);
        expect(res.body).toMatchObject({ success: false, error: 'Unauthorized' });
      }
    }
    // With a credential, the same body is judged on its merits.
    const judged = await t.rest('POST', agents, { token: owner.accessToken, body: '{"key":' });
    expect(judged.status).toBe(422);
    // A public operation (sign-up) needs no credential: its body is validated.
    expect((await t.rest('POST', '/api/v1/auth/register', { body: '[1]' })).status).toBe(422);
  });

  it('keeps GraphQL’s own errors for GraphQL clients', async () => {
    const res = await t.gql('mutation ($input: RegisterInput!) { register(input: $input) { userId } }', {
      input: { email: 'x@example.com', password: 'p', acceptTerms: 'yes' },
    });
    expect(res.errors?.[0]?.message).toContain('Variable "$input"');
  });
});

describe('NUL characters', () => {
  const nulDetail = (body: unknown) =>
    (body as { details: { loc: unknown[]; type: string; msg: string }[] }).details;

  it('refuses NUL in a path parameter with a 422 naming the parameter', async () => {
    const res = await t.rest('POST', '/api/v1/auth/service-accounts/tokens/%00/revoke', {
      token: owner.accessToken,
      body: {},
    });
    expect(res.status).toBe(422);
    expect(nulDetail(res.body)).toEqual([
      { loc: ['path', 'jti'], msg: 'Input should not contain NUL characters.', type: 'string_type' },
    ]);
    const deleted = await t.rest('DELETE', '/api/v1/conversations/%00', { token: owner.accessToken });
    expect(deleted.status).toBe(422);
    expect(nulDetail(deleted.body)[0]?.loc).toEqual(['path', 'conversation_id']);
    const stream = await t.rest('GET', '/api/v1/conversations/a%00b/stream', { token: owner.accessToken });
    expect(stream.status).toBe(422);
    expect(nulDetail(stream.body)[0]?.loc).toEqual(['path', 'conversation_id']);
  });

  it('refuses NUL in a query parameter', async () => {
    const res = await t.rest('GET', '/api/v1/conversations?cursor=ab%00', { token: owner.accessToken });
    expect(res.status).toBe(422);
    expect(nulDetail(res.body)).toEqual([
      { loc: ['query', 'cursor'], msg: 'Input should not contain NUL characters.', type: 'string_type' },
    ]);
  });

  it('refuses NUL in a JSON body field, nested values and keys included, and creates nothing', async () => {
    const email = `nul-${Date.now()}@example.com`;
    const res = await t.rest('POST', '/api/v1/auth/register', {
      body: { email, password: 'Correct-Horse-Battery-9', tenant_name: 'Acme\u0000', accept_terms: true },
    });
    expect(res.status).toBe(422);
    expect(nulDetail(res.body)).toEqual([
      { loc: ['body', 'tenant_name'], msg: 'Input should not contain NUL characters.', type: 'string_type' },
    ]);
    const login = await t.rest('POST', '/api/v1/auth/token', {
      body: { email, password: 'Correct-Horse-Battery-9' },
    });
    expect(login.status).toBe(401);
    const settings = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: owner.accessToken,
      body: {
        billing_contacts: [{ name: 'A\u0000', email: 'a@example.com' }],
        plan_metadata: { 'k\u0000': 'v' },
        flags: {},
      },
    });
    expect(settings.status).toBe(422);
    expect(nulDetail(settings.body).map((d) => d.loc)).toEqual([
      ['body', 'billing_contacts', 0, 'name'],
      ['body', 'plan_metadata', 'k\u0000'],
    ]);
  });

  it('refuses a lone UTF-16 surrogate (no UTF-8 form, so PostgreSQL cannot store it) the same way, and changes nothing', async () => {
    const res = await t.rest('PATCH', `/api/tenants/${owner.tenantId}`, {
      token: owner.accessToken,
      body: '{"name":"Acme \\ud800"}',
    });
    expect(res.status).toBe(422);
    expect(nulDetail(res.body)).toEqual([
      {
        loc: ['body', 'name'],
        msg: 'Input should be valid Unicode text (no unpaired surrogate).',
        type: 'string_type',
      },
    ]);
    const tenant = await t.rest<{ name: string }>('GET', `/api/tenants/${owner.tenantId}`, {
      token: owner.accessToken,
    });
    expect(tenant.body.name).not.toContain('Acme \ud800');
    // A surrogate pair is one character (an emoji): accepted.
    const paired = await t.rest<{ name: string }>('PATCH', `/api/tenants/${owner.tenantId}`, {
      token: owner.accessToken,
      body: { name: 'Acme \u{1F600}' },
    });
    expect(paired.status).toBe(200);
    expect(paired.body.name).toBe('Acme \u{1F600}');
  });

  it('refuses NUL from GraphQL clients, in variables and inline literals', async () => {
    const viaVariable = await t.gql(
      'mutation ($jti: ID!) { revokeServiceAccountToken(jti: $jti) { jti } }',
      { jti: 'a\u0000' },
      owner.accessToken,
    );
    expect(viaVariable.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ loc: ['jti'], msg: 'Input should not contain NUL characters.', type: 'string_type' }],
    });
    const inline = await t.gql(
      'mutation { register(input: { email: "n@example.com", password: "Correct-Horse-Battery-9", tenantName: "A\\u0000", acceptTerms: true }) { userId } }',
    );
    expect(inline.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ loc: ['input', 'tenantName'] }],
    });
  });

  it('refuses NUL in a subscription argument over graphql-ws', async () => {
    const failure = await take(
      t.ws(owner.accessToken).iterate({
        query: 'subscription ($id: ID!) { conversationEvents(conversationId: $id) { cursor } }',
        variables: { id: 'x\u0000' },
      }),
      1,
    ).catch((e: unknown) => e);
    expect(JSON.stringify(failure)).toContain('NUL characters');
  });

  it('answers a raw NUL in a request header with a 400 from the HTTP parser, not a 500', async () => {
    const { port } = new URL(t.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /api/v1/auth/me HTTP/1.1\r\nhost: x\r\nx-test: a\u0000b\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
  });
});

describe('REST routing', () => {
  it('fails at boot on a duplicate method and path', () => {
    const { apollo, subscriptions } = t.stack.gateway;
    const duplicate = { ...route('Query.conversations'), field: 'Query.me' as const };
    expect(() =>
      createRestBridge(
        { apollo, subscriptions, config: t.stack.kernel.config },
        { routes: [...routes, duplicate] },
      ),
    ).toThrow(/duplicate REST route GET \/api\/v1\/conversations/);
  });

  it('fails at boot on a path parameter the field has no argument for', () => {
    const { apollo, subscriptions } = t.stack.gateway;
    const bad = { ...route('Query.conversations'), path: '/api/v1/conversations/{nope}' };
    expect(() =>
      createRestBridge(
        { apollo, subscriptions, config: t.stack.kernel.config },
        { routes: [...routes, bad] },
      ),
    ).toThrow(/no argument for \{nope\}/);
  });

  it('serves one GraphQL field at two paths', async () => {
    const created = await t.rest<{ conversation_id: string }>('POST', '/api/v1/conversations', {
      token: owner.accessToken,
      body: { display_name: 'Twice' },
    });
    expect(created.status).toBe(201);
    const bridge = await bridgeWith([...routes, { ...route('Query.conversations'), path: '/api/v1/chats' }]);
    try {
      const headers = { authorization: `Bearer ${owner.accessToken}` };
      const a = await fetch(`${bridge.url}/api/v1/conversations`, { headers });
      const b = await fetch(`${bridge.url}/api/v1/chats`, { headers });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      const [bodyA, bodyB] = [await a.json(), await b.json()];
      expect(bodyB).toEqual(bodyA);
      expect(
        (bodyA as { items: { conversation_id: string }[] }).items.map((i) => i.conversation_id),
      ).toContain(created.body.conversation_id);
    } finally {
      await bridge.close();
    }
  });

  it('applies each route’s body limit (256 KiB by default), with the 413 envelope', async () => {
    const small = {
      ...route('Mutation.createConversation'),
      path: '/api/v1/small-conversations',
      maxBodyBytes: 64,
    };
    const bridge = await bridgeWith([...routes, small]);
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${bridge.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const tooBig = await post('/api/v1/small-conversations', { display_name: 'x'.repeat(100) });
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toMatchObject({ success: false, error: 'PayloadTooLarge' });
      expect((await post('/api/v1/small-conversations', { display_name: 'ok' })).status).toBe(201);
      expect((await post('/api/v1/conversations', { display_name: 'x'.repeat(100) })).status).toBe(201);
    } finally {
      await bridge.close();
    }
    const overDefault = await t.rest('PUT', '/api/v1/tenants/settings', {
      token: owner.accessToken,
      body: { billing_contacts: [], plan_metadata: { big: 'x'.repeat(300 * 1024) }, flags: {} },
    });
    expect(overDefault.status).toBe(413);
  });

  it('answers 405 with the allowed methods', async () => {
    const res = await t.rest('PATCH', '/api/v1/conversations', { token: owner.accessToken, body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});

describe('client limits and bridge operations', () => {
  it('serves a nested list route over REST whose operation the client cost limit refuses over GraphQL', async () => {
    const listRoute = route('Query.conversations');
    const schema = restSchema(t.stack.gateway.subscriptions.apiSchema);
    const [operation] = compileOperations(schema, [listRoute]);
    const query = operation?.query ?? '';
    expect(query).toContain('items');

    const rest = await t.rest('GET', '/api/v1/conversations', { token: owner.accessToken });
    expect(rest.status).toBe(200);

    const gql = await t.gql(query, {}, owner.accessToken);
    expect(gql.data ?? null).toBeNull();
    expect(gql.errors?.[0]?.message).toMatch(
      new RegExp(`^Query cost \\d+ exceeds the limit of ${MAX_COST}\\.`),
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('reads `limit: $var` from the variables over HTTP and graphql-ws', async () => {
    const query = 'query ($n: Int) { conversations(limit: $n) { items { id } } }';
    expect((await t.gql(query, { n: 2 }, owner.accessToken)).errors).toBeUndefined();
    const refused = await t.gql(query, { n: 100 }, owner.accessToken);
    expect(refused.errors?.[0]?.message).toBe(`Query cost 102 exceeds the limit of ${MAX_COST}.`);
    const overWs = await take(t.ws(owner.accessToken).iterate({ query, variables: { n: 100 } }), 1).catch(
      (e: unknown) => e,
    );
    expect(JSON.stringify(overWs)).toContain(`Query cost 102 exceeds the limit of ${MAX_COST}.`);
    const [accepted] = await take(t.ws(owner.accessToken).iterate({ query, variables: { n: 2 } }), 1);
    expect(accepted?.errors).toBeUndefined();
    const tokens = await take(
      t.ws(owner.accessToken).iterate({ query: `{ ${'__typename '.repeat(6000)} }` }),
      1,
    ).catch((e: unknown) => e);
    expect(JSON.stringify(tokens)).toMatch(/Document contains more \w+ 5000 tokens/);
  });
});

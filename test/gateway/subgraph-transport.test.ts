import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { buildSchema, type GraphQLScalarType, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../gateway/context.js';
import { HttpDataSource } from '../../gateway/http-data-source.js';
import { InflightQueries, inflightKey } from '../../gateway/inflight.js';
import { LocalDataSource } from '../../gateway/local-data-source.js';
import type { Ctx } from '../../subgraphs/kernel/context.js';
import { AppError } from '../../subgraphs/kernel/errors.js';
import { type ServedSubgraph, serveSubgraph } from '../../subgraphs/kernel/serve-subgraph.js';
import { stableJson } from '../../subgraphs/kernel/stable-json.js';
import { createSubgraphExecutor, type SubgraphExecutor } from '../../subgraphs/kernel/subgraph-executor.js';
import { type Account, bootStack, type TestStack } from '../kit/stack.js';

/** A small subgraph whose resolvers fail in each way a real one can. */
function probeSchema(seen: Ctx[]): GraphQLSchema {
  const schema = buildSchema(`
    scalar JSON
    type Thing { text: String, meta: JSON, fail: String }
    type Query {
      ok(text: String): Thing
      boom: String
      coded: String
      count(n: Int): Int
      whoami: String
      slow: String
    }
    type Mutation { touch(text: String!): String }
  `);
  Object.assign(schema.getType('JSON') as GraphQLScalarType, {
    serialize: (v: unknown) => v,
    parseValue: (v: unknown) => v,
  });
  const q = (schema.getQueryType() as NonNullable<ReturnType<GraphQLSchema['getQueryType']>>).getFields();
  const thing = (schema.getType('Thing') as import('graphql').GraphQLObjectType).getFields();
  const record = (ctx: Ctx) => {
    seen.push(ctx);
  };
  (q.ok as { resolve: unknown }).resolve = (_: unknown, args: { text?: string }, ctx: Ctx) => {
    record(ctx);
    // Not JSON as such: over HTTP the date becomes a string and `gone` disappears.
    return { text: args.text ?? 'hi', meta: { at: new Date(0), gone: undefined, n: 1 } };
  };
  (thing.fail as { resolve: unknown }).resolve = () => {
    throw new Error('secret database detail');
  };
  (q.boom as { resolve: unknown }).resolve = () => {
    throw new TypeError('cannot read properties of undefined');
  };
  (q.coded as { resolve: unknown }).resolve = () => {
    throw new AppError('CONFLICT', 'Already there.', { field: 'name' });
  };
  (q.count as { resolve: unknown }).resolve = (_: unknown, args: { n?: number }) => args.n ?? 0;
  (q.whoami as { resolve: unknown }).resolve = (_: unknown, _a: unknown, ctx: Ctx) => {
    record(ctx);
    return `${ctx.credential ?? '-'}|${ctx.headers['x-tenant-id'] ?? '-'}|${ctx.requestId}|${ctx.client.ip}`;
  };
  (q.slow as { resolve: unknown }).resolve = async (_: unknown, _a: unknown, ctx: Ctx) => {
    record(ctx);
    await new Promise((r) => setTimeout(r, 50));
    return ctx.credential ?? '-';
  };
  const m = (
    schema.getMutationType() as NonNullable<ReturnType<GraphQLSchema['getMutationType']>>
  ).getFields();
  (m.touch as { resolve: unknown }).resolve = (_: unknown, args: { text: string }, ctx: Ctx) => {
    record(ctx);
    return args.text;
  };
  return schema;
}

function gatewayContext(overrides: Partial<GatewayContext> = {}): GatewayContext {
  return {
    authorization: null,
    clientIp: '203.0.113.7',
    userAgent: 'vitest',
    requestId: 'req-1',
    forwarded: {},
    ...overrides,
  };
}

function fetchOptions(
  query: string,
  variables: Record<string, unknown> = {},
  context: GatewayContext = gatewayContext(),
  operationName?: string,
) {
  return {
    kind: 'incoming operation',
    request: { query, variables, ...(operationName ? { operationName } : {}) },
    context,
    incomingRequestContext: {} as never,
  } as never;
}

let t: TestStack;
let account: Account;
const seen: Ctx[] = [];
let probe: ServedSubgraph;
let executor: SubgraphExecutor;
let http: HttpDataSource;
let local: LocalDataSource;

beforeAll(async () => {
  t = await bootStack();
  account = await t.register();
  const module = { name: 'probe', schema: probeSchema(seen) };
  probe = await serveSubgraph(t.stack.kernel, module, { host: '127.0.0.1', port: 0 });
  executor = createSubgraphExecutor(t.stack.kernel, module);
  http = new HttpDataSource({ name: 'probe', urls: [probe.url] });
  local = new LocalDataSource(executor);
});
afterAll(async () => {
  await http?.close();
  await probe?.close();
  await t?.close();
});

describe('the in-process data source', () => {
  const cases: [string, string, Record<string, unknown>?, string?][] = [
    ['a query (JSON scalar through JSON)', '{ ok(text: "x") { text meta } }'],
    ['a masked unexpected error in a nested field', 'query Q { ok { text fail } }'],
    ['a masked unexpected error at the root', '{ boom }'],
    ['a coded AppError', '{ coded }'],
    ['a NUL in a variable', 'query ($t: String) { ok(text: $t) { text } }', { t: 'a\u0000b' }],
    ['a NUL in a literal', '{ ok(text: "a\\u0000b") { text } }'],
    ['a syntax error', '{ ok( }'],
    ['a validation error', '{ nope }'],
    ['a variable of the wrong type', 'query ($n: Int) { count(n: $n) }', { n: 'x' }],
    ['a missing required variable', 'mutation ($t: String!) { touch(text: $t) }', {}],
    ['an unknown operation name', 'query A { boom }', {}, 'B'],
    ['a mutation', 'mutation { touch(text: "y") }'],
  ];
  it.each(cases)('answers %s exactly as over HTTP', async (_what, query, variables, operationName) => {
    const viaHttp = await http.process(fetchOptions(query, variables, undefined, operationName));
    const inProcess = await local.process(fetchOptions(query, variables, undefined, operationName));
    expect(inProcess).toEqual(viaHttp);
  });

  it('masks unexpected errors, keeps coded ones and refuses NULs as VALIDATION_FAILED', async () => {
    const boom = await local.process(fetchOptions('{ boom }'));
    expect(boom.errors).toEqual([
      { message: 'Internal server error.', path: ['boom'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    const coded = await local.process(fetchOptions('{ coded }'));
    expect(coded.errors?.[0]?.extensions).toEqual({ code: 'CONFLICT', details: { field: 'name' } });
    const nul = await local.process(
      fetchOptions('query ($t: String) { ok(text: $t) { text } }', { t: 'a\u0000' }),
    );
    expect(nul.data).toBeUndefined();
    expect(nul.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ loc: ['text'], msg: 'Input should not contain NUL characters.', type: 'string_type' }],
    });
    const ok = await local.process(fetchOptions('{ ok { meta } }'));
    expect(ok.data).toEqual({ ok: { meta: { at: '1970-01-01T00:00:00.000Z', n: 1 } } });
  });

  it('builds a fresh context per fetch from the gateway context, as the HTTP server does', async () => {
    seen.length = 0;
    const context = gatewayContext({
      authorization: `Bearer ${account.accessToken}`,
      forwarded: { 'x-tenant-id': account.tenantId },
    });
    const a = await local.process(fetchOptions('{ whoami }', {}, context));
    const b = await local.process(fetchOptions('{ whoami }', {}, context));
    const viaHttp = await http.process(fetchOptions('{ whoami }', {}, context));
    expect(a).toEqual(viaHttp);
    expect(a.data?.whoami).toBe(`${account.accessToken}|${account.tenantId}|req-1|203.0.113.7`);
    expect(b).toEqual(a);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    expect(seen[0]?.viewer?.userId).toBe(account.userId);
  });
});

describe('merging identical in-flight queries', () => {
  function counted() {
    let executions = 0;
    const inner = createSubgraphExecutor(t.stack.kernel, { name: 'probe', schema: probeSchema([]) });
    const wrapped: SubgraphExecutor = {
      name: inner.name,
      operationType: (q, n) => inner.operationType(q, n),
      execute: (request, credentials) => {
        executions++;
        return inner.execute(request, credentials);
      },
    };
    return { source: new LocalDataSource(wrapped), executions: () => executions };
  }

  it('runs two identical concurrent queries with the same credential once; each gets its own copy', async () => {
    const { source, executions } = counted();
    const context = gatewayContext({ authorization: 'Bearer same' });
    const [a, b] = await Promise.all([
      source.process(fetchOptions('{ slow ok { text meta } }', {}, context)),
      source.process(fetchOptions('{ slow ok { text meta } }', {}, { ...context, requestId: 'req-2' })),
    ]);
    expect(executions()).toBe(1);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.data?.ok).not.toBe(b.data?.ok);
    // Settled: the next identical query runs again (nothing is cached).
    await source.process(fetchOptions('{ slow ok { text meta } }', {}, context));
    expect(executions()).toBe(2);
  });

  it('lets a query that never waits for I/O be joined by what arrives in the same event-loop turn', async () => {
    const { source, executions } = counted();
    const context = gatewayContext({ authorization: 'Bearer same' });
    // As the HTTP server reads requests: the second one is taken up in a later callback of the same
    // turn. Without the window, the first would have been answered before that (the resolver is sync).
    const second = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      source.process(fetchOptions('{ ok { text } }', {}, context)),
    );
    const first = source.process(fetchOptions('{ ok { text } }', {}, context));
    const [a, b] = await Promise.all([first, second]);
    expect(executions()).toBe(1);
    expect(a).toEqual(b);
  });

  it('does not merge different credentials, tenants, variables or mutations', async () => {
    const { source, executions } = counted();
    const base = gatewayContext({ authorization: 'Bearer one' });
    await Promise.all([
      source.process(fetchOptions('{ slow }', {}, base)),
      source.process(fetchOptions('{ slow }', {}, { ...base, authorization: 'Bearer two' })),
      source.process(fetchOptions('{ slow }', {}, { ...base, forwarded: { 'x-tenant-id': 't1' } })),
      source.process(fetchOptions('{ slow }', {}, { ...base, forwarded: { 'x-api-key': 'ak_1' } })),
      source.process(fetchOptions('{ slow }', {}, { ...base, forwarded: { 'x-tenant-role': 'viewer' } })),
    ]);
    expect(executions()).toBe(5);
    await Promise.all([
      source.process(fetchOptions('mutation { touch(text: "a") }', {}, base)),
      source.process(fetchOptions('mutation { touch(text: "a") }', {}, base)),
    ]);
    expect(executions()).toBe(7);
    await Promise.all([
      source.process(fetchOptions('query ($n: Int) { count(n: $n) slow }', { n: 1 }, base)),
      source.process(fetchOptions('query ($n: Int) { count(n: $n) slow }', { n: 2 }, base)),
    ]);
    expect(executions()).toBe(9);
  });

  it('keys variables by value, not key order, and keeps failures unshared', async () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(stableJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(inflightKey('s', { query: 'q', variables: { a: 1 } }, gatewayContext())).not.toBe(
      inflightKey('s', { query: 'q', variables: { a: 1 } }, gatewayContext({ authorization: 'x' })),
    );
    const inflight = new InflightQueries();
    let calls = 0;
    const work = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('down');
    };
    const results = await Promise.allSettled([inflight.run('k', work), inflight.run('k', work)]);
    expect(calls).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(inflight.size).toBe(0);
  });
});

describe('the HTTP data source', () => {
  const servers: (Server | TcpServer)[] = [];
  async function listen(server: Server | TcpServer): Promise<string> {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address() as { port: number };
    return `http://127.0.0.1:${address.port}/graphql`;
  }
  afterAll(async () => {
    for (const s of servers) {
      (s as Server).closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
  });

  it('reports a subgraph that never answers within the request timeout', async () => {
    // Accepts the connection and never writes a byte.
    const sockets: import('node:net').Socket[] = [];
    const silent = createTcpServer((socket) => {
      sockets.push(socket);
    });
    const url = await listen(silent);
    const source = new HttpDataSource({ name: 'silent', urls: [url], requestTimeoutMs: 300 });
    const started = Date.now();
    await expect(source.process(fetchOptions('{ a }'))).rejects.toMatchObject({
      message: 'The silent service did not answer within 300 ms.',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    for (const s of sockets) {
      s.destroy();
    }
    await source.close();
  });

  it('reports a refused connection clearly', async () => {
    const closed = createTcpServer();
    const url = await listen(closed);
    await new Promise((r) => closed.close(r));
    servers.splice(servers.indexOf(closed), 1);
    const source = new HttpDataSource({ name: 'gone', urls: [url] });
    await expect(source.process(fetchOptions('{ a }'))).rejects.toMatchObject({
      message: expect.stringMatching(/^The gone service is unreachable \(ECONNREFUSED\)/),
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    await source.close();
  });

  it('turns a 502 into the error RemoteGraphQLDataSource reports', async () => {
    const url = await listen(
      createServer((_req, res) => {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream down');
      }),
    );
    const source = new HttpDataSource({ name: 'bad', urls: [url] });
    await expect(source.process(fetchOptions('{ a }'))).rejects.toMatchObject({
      message: '502: Bad Gateway',
      extensions: { response: { url, status: 502, statusText: 'Bad Gateway', body: 'upstream down' } },
    });
    await source.close();
  });

  it('sends the caller as headers, takes replicas in turn and merges identical queries', async () => {
    const hits: { replica: string; headers: Record<string, unknown>; body: unknown }[] = [];
    const replica = (name: string) =>
      createServer((req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          hits.push({ replica: name, headers: req.headers, body: JSON.parse(body) });
          setTimeout(() => {
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ data: { a: name } }));
          }, 30);
        });
      });
    const urls = [await listen(replica('one')), await listen(replica('two'))];
    const source = new HttpDataSource({ name: 'pair', urls });
    const context = gatewayContext({
      authorization: 'Bearer tok',
      forwarded: { 'x-tenant-id': 't1', 'x-operator-reason': 'audit' },
    });
    const [a, b] = await Promise.all([
      source.process(fetchOptions('{ a }', {}, context)),
      source.process(fetchOptions('{ a }', {}, context)),
    ]);
    expect(hits).toHaveLength(1);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    await source.process(fetchOptions('{ a }', {}, context));
    await source.process(fetchOptions('mutation { a }', {}, context));
    expect(hits.map((h) => h.replica)).toEqual(['one', 'two', 'one']);
    expect(hits[0]?.headers).toMatchObject({
      authorization: 'Bearer tok',
      'x-client-ip': '203.0.113.7',
      'x-client-user-agent': 'vitest',
      'x-request-id': 'req-1',
      'x-tenant-id': 't1',
      'x-operator-reason': 'audit',
      'content-type': 'application/json',
    });
    expect(hits[0]?.body).toEqual({ query: '{ a }', variables: {} });
    await source.close();
  });
});

describe('through the gateway', () => {
  it('answers a real subgraph query and a NUL refusal the same in process and over HTTP', async () => {
    const other = await bootStack({ GATEWAY_SUBGRAPH_TRANSPORT: 'http' });
    try {
      const transports = [t, other];
      const answers = await Promise.all(
        transports.map(async (s) => {
          const who = await s.register();
          const me = await s.gql<{ me: { userId: string; user: { email: string } } }>(
            '{ me { userId user { email } } }',
            {},
            who.accessToken,
          );
          const nul = await s.gql(
            'mutation ($n: String!) { renameConversation(conversationId: "x", displayName: $n) { id } }',
            { n: 'a\u0000' },
            who.accessToken,
          );
          const anonymous = await s.gql('{ me { userId } }');
          return {
            me: me.data?.me.userId === who.userId && me.data.me.user.email === who.email,
            nul,
            anonymous,
          };
        }),
      );
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]?.me).toBe(true);
      expect(answers[0]?.nul.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    } finally {
      await other.close();
    }
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { subgraphs } from '../../subgraphs/registry.js';
import { take } from '../kit/stack.js';

/**
 * The scale-out layout: every subgraph in its own process (conversations twice), the gateway in
 * another, all sharing PostgreSQL. Needs a real server, so it runs when DATABASE_URL is set (CI).
 */
const DATABASE_URL = process.env.DATABASE_URL;
const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<string> {
  // As `npm run start:subgraph` / `start:gateway` run them: compiled, from dist/.
  const child = spawn(process.execPath, ['scripts/start.mjs', ...args], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      // Every process of the layout shares the local blob store's key (the gateway serves its URLs).
      STORAGE_SIGNING_KEY: 'separate-processes-test-signing-key',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (m?.[1]) {
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
}

const subgraph = (name: string, extra: string[] = []) =>
  start(
    ['subgraphs/main', name, ...extra],
    { DATABASE_URL: DATABASE_URL ?? '', SUBGRAPH_PORT: '0' },
    /listening on (\S+)/,
  );

let gatewayUrl = '';
let replicaUrl = '';

beforeAll(async () => {
  if (!DATABASE_URL) {
    return;
  }
  // The first process applies the migrations; then every other subgraph of the registry, plus a
  // second conversations replica.
  const [first, ...rest] = subgraphs.map((s) => s.name) as [string, ...string[]];
  const urls: Record<string, string> = { [first]: await subgraph(first, ['--migrate']) };
  const started = await Promise.all([...rest, 'conversations'].map((name) => subgraph(name)));
  rest.forEach((name, i) => {
    urls[name] = started[i] as string;
  });
  replicaUrl = started.at(-1) as string;
  const graphql = await start(
    ['gateway/main', '--gateway-only'],
    {
      PORT: '0',
      ...Object.fromEntries(
        Object.entries(urls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url]),
      ),
    },
    /GraphQL\s+(\S+)\/graphql/,
  );
  gatewayUrl = graphql;
}, 120_000);

afterAll(() => {
  for (const child of children) {
    child.kill('SIGTERM');
  }
});

describe.skipIf(!DATABASE_URL)('separate processes over PostgreSQL', () => {
  it('serves REST and GraphQL through the gateway, and carries an event across processes to a subscriber', async () => {
    const email = `proc-${Date.now()}@example.com`;
    const reg = await fetch(`${gatewayUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email,
        password: 'Correct-Horse-Battery-9',
        tenant_name: 'Processes',
        accept_terms: true,
      }),
    });
    expect(reg.status).toBe(201);
    const token = ((await reg.json()) as { access_token: string }).access_token;
    const created = await fetch(`${gatewayUrl}/api/v1/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ display_name: 'Across' }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { conversation_id: string }).conversation_id;

    const client = createClient({
      url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    try {
      const events = take(
        client.iterate<{
          conversationEvents: {
            kind: string;
            displayName: string;
            conversation: { user: { email: string } };
          };
        }>({
          query: `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
            kind displayName conversation { user { email } } } }`,
          variables: { id },
        }),
        1,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      // The rename is served by the other conversations replica, in another process.
      const rename = await fetch(replicaUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `mutation { renameConversation(conversationId: "${id}", displayName: "Crossed") { id } }`,
        }),
      });
      expect(((await rename.json()) as { errors?: unknown }).errors).toBeUndefined();
      const [event] = await events;
      expect(event?.data?.conversationEvents).toEqual({
        kind: 'CONVERSATION_TITLE_UPDATED',
        displayName: 'Crossed',
        conversation: { user: { email } },
      });
    } finally {
      await client.dispose();
    }
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSupergraph } from '../../gateway/create-gateway.js';
import { replicaUrls, roundRobin, SubscriptionBridge } from '../../gateway/subscription-bridge.js';
import { type Account, bootStack, eventually, type TestStack } from '../kit/stack.js';

describe('replicas of a subgraph', () => {
  it('reads a comma-separated list of URLs', () => {
    expect(replicaUrls('http://a:1/graphql, http://b:2/graphql,')).toEqual([
      'http://a:1/graphql',
      'http://b:2/graphql',
    ]);
    expect(replicaUrls('http://a:1/graphql')).toEqual(['http://a:1/graphql']);
    expect(() => roundRobin([])).toThrow();
  });

  it('spreads upstream subscriptions round-robin over the replicas', () => {
    const bridge = new SubscriptionBridge(
      readSupergraph(),
      {},
      {
        conversations: 'http://a/graphql,http://b/graphql,http://c/graphql',
        identity: 'http://i/graphql',
      },
    );
    const picks = Array.from({ length: 6 }, () => bridge.nextReplica('conversations'));
    expect(picks).toEqual([
      'http://a/graphql',
      'http://b/graphql',
      'http://c/graphql',
      'http://a/graphql',
      'http://b/graphql',
      'http://c/graphql',
    ]);
    expect(bridge.nextReplica('identity')).toBe('http://i/graphql');
    expect(() => bridge.nextReplica('nope')).toThrow('no URL for subgraph nope');
  });
});

describe('upstream reconnects', () => {
  let t: TestStack;
  let owner: Account;

  beforeAll(async () => {
    t = await bootStack();
    owner = await t.register();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function rename(id: string, displayName: string) {
    const res = await t.gql(
      'mutation ($id: ID!, $n: String!) { renameConversation(conversationId: $id, displayName: $n) { id } }',
      { id, n: displayName },
      owner.accessToken,
    );
    expect(res.errors).toBeUndefined();
  }

  type Event = { cursor: string; displayName: string; conversation: { user: { email: string } } };

  it.each([
    ['live, after a variable', (id: string) => ({ query: EVENTS_VAR, variables: { id } })],
    ['resumed from a literal cursor', (id: string) => ({ query: eventsAfterLiteral(id), variables: {} })],
  ])(
    'resume from the last cursor delivered when the upstream connection drops (%s)',
    async (_name, request) => {
      const created = await t.gql<{ createConversation: { id: string } }>(
        'mutation { createConversation(input: { displayName: "Drop" }) { id } }',
        {},
        owner.accessToken,
      );
      const id = created.data?.createConversation.id as string;
      const iterator = t.ws(owner.accessToken).iterate<{ conversationEvents: Event }>(request(id));
      const received: Event[] = [];
      const pull = async (count: number) => {
        while (received.length < count) {
          const r = await iterator.next();
          if (r.done) {
            throw new Error('stream ended');
          }
          expect(r.value.errors).toBeUndefined();
          received.push(r.value.data?.conversationEvents as Event);
        }
      };
      await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
      await rename(id, 'one');
      await rename(id, 'two');
      await pull(2);
      // The gateway's connections to the subgraphs drop; events keep coming while it reconnects.
      t.stack.gateway.subscriptions.dropUpstreamConnections();
      await eventually(() => t.stack.kernel.bus.subscriberCount === 0);
      await rename(id, 'three');
      await rename(id, 'four');
      await pull(4);
      await rename(id, 'five');
      await pull(5);
      await iterator.return?.();
      expect(received.map((e) => e.displayName)).toEqual(['one', 'two', 'three', 'four', 'five']);
      if (received[0]?.cursor !== undefined) {
        expect(received.map((e) => e.cursor)).toEqual(['2', '3', '4', '5', '6']);
      } else {
        // The cursor the bridge selects for itself never reaches the client.
        expect(Object.keys(received[0] ?? {}).sort()).toEqual(['conversation', 'displayName']);
      }
      // Fields of another subgraph are still resolved after the reconnect.
      expect(received[4]?.conversation.user.email).toBe(owner.email);
      await eventually(
        () =>
          t.stack.kernel.bus.subscriberCount === 0 && t.stack.gateway.subscriptions.activeSubscriptions === 0,
      );
    },
    30_000,
  );
});

describe('identical live subscriptions', () => {
  let t: TestStack;
  let owner: Account;
  let other: Account;

  beforeAll(async () => {
    t = await bootStack();
    [owner, other] = await Promise.all([t.register(), t.register()]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('share one upstream subscription; each subscriber gets every event; the last to leave closes it', async () => {
    const created = await t.gql<{ createConversation: { id: string } }>(
      'mutation { createConversation(input: { displayName: "Shared" }) { id } }',
      {},
      owner.accessToken,
    );
    const id = created.data?.createConversation.id as string;
    const bridge = t.stack.gateway.subscriptions;
    const before = bridge.activeSubscriptions;
    const clients = [t.ws(owner.accessToken), t.ws(owner.accessToken), t.ws(owner.accessToken)];
    const streams = clients.map((c) =>
      c.iterate<{ conversationEvents: { displayName: string } }>({ query: EVENTS_VAR, variables: { id } }),
    );
    const firsts = streams.map((s) => s.next());
    await eventually(() => t.stack.kernel.bus.subscriberCount > 0);
    await eventually(() => bridge.activeSubscriptions === before + 1 && bridge.subscriberCount >= 3);
    // Another user's subscription is never merged with the owner's (it is refused on its own).
    const foreign = t.ws(other.accessToken).iterate({ query: EVENTS_VAR, variables: { id } });
    const refused = await foreign.next();
    expect(refused.value?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const rename = (n: string) =>
      t.gql(
        'mutation ($id: ID!, $n: String!) { renameConversation(conversationId: $id, displayName: $n) { id } }',
        { id, n },
        owner.accessToken,
      );
    await rename('one');
    const got = await Promise.all(firsts);
    expect(got.map((r) => r.value?.data?.conversationEvents.displayName)).toEqual(['one', 'one', 'one']);
    // One subscriber leaves: the others keep receiving over the same upstream.
    await streams[0]?.return?.();
    await rename('two');
    const second = await Promise.all(streams.slice(1).map((s) => s.next()));
    expect(second.map((r) => r.value?.data?.conversationEvents.displayName)).toEqual(['two', 'two']);
    expect(bridge.activeSubscriptions).toBe(before + 1);
    await Promise.all(streams.slice(1).map((s) => s.return?.()));
    await eventually(() => bridge.activeSubscriptions === before && t.stack.kernel.bus.subscriberCount === 0);
    await Promise.all(clients.map((c) => c.dispose()));
  });
});

const EVENTS_VAR = `subscription ($id: ID!, $after: String) {
  conversationEvents(conversationId: $id, after: $after) { cursor displayName conversation { user { email } } }
}`;

/** Resumes after the creation event with a literal `after`, and does not select `cursor` itself. */
const eventsAfterLiteral = (id: string) => `subscription {
  conversationEvents(conversationId: "${id}", after: "1") { displayName conversation { user { email } } }
}`;

import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

/**
 * Forwards the caller's credential and client details; each subgraph verifies the credential itself.
 * Requests go through Node's own fetch (undici), whose keep-alive pool honours the subgraph's
 * `Keep-Alive: timeout` hint, so an idle connection is not reused just as the server closes it
 * (the default fetcher kept idle sockets forever and hit ECONNRESET under load).
 */
export class CredentialForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly replicas: readonly string[];
  private turn = 0;

  /** With several `urls` (the subgraph's replicas), requests go to them in turn. */
  constructor(config: { url: string; urls?: readonly string[] }) {
    super({ url: config.url, fetcher: globalThis.fetch as unknown as RemoteGraphQLDataSource['fetcher'] });
    this.replicas = config.urls?.length ? config.urls : [config.url];
  }

  override willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    if (request.http && this.replicas.length > 1) {
      // `url` is typed read-only, but the fetch below reads it from this object after this hook.
      (request.http as { url: string }).url = this.replicas[this.turn++ % this.replicas.length] as string;
    }
    const headers = request.http?.headers;
    if (!headers || !context) {
      return;
    }
    if (context.authorization) {
      headers.set('authorization', context.authorization);
    }
    if (context.clientIp) {
      headers.set('x-client-ip', context.clientIp);
    }
    if (context.userAgent) {
      headers.set('x-client-user-agent', context.userAgent);
    }
    if (context.requestId) {
      headers.set('x-request-id', context.requestId);
    }
    for (const [name, value] of Object.entries(context.forwarded ?? {}) as [string, string][]) {
      headers.set(name, value);
    }
  }
}

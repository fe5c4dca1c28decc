import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

/** Forwards the caller's credential and client details; each subgraph verifies the credential itself. */
export class CredentialForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
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

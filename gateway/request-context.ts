import { randomUUID } from 'node:crypto';
import { FORWARDED_HEADERS } from '../subgraphs/kernel/context.js';
import type { GatewayContext } from './context.js';

type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function read(headers: HeaderSource, name: string): string | null {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name);
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The gateway context of an HTTP request (fetch Headers or Node's header object). */
export function gatewayContextFromHeaders(
  headers: HeaderSource,
  remoteAddress?: string | null,
): GatewayContext {
  return {
    authorization: read(headers, 'authorization'),
    // Client-sent forwarding headers are not trusted; the bridge sets x-bridge-client-ip itself.
    clientIp: remoteAddress ?? read(headers, 'x-bridge-client-ip'),
    userAgent: read(headers, 'user-agent'),
    requestId: read(headers, 'x-request-id') ?? randomUUID(),
    forwarded: Object.fromEntries(
      FORWARDED_HEADERS.map((name) => [name, read(headers, name)]).filter(
        (e): e is [string, string] => e[1] !== null,
      ),
    ),
  };
}

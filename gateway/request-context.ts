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

/**
 * The client's address. With no trusted proxies (the default) it is the socket's peer and any
 * X-Forwarded-For is ignored (clients could forge it); behind `trustedHops` proxies it is the entry
 * of X-Forwarded-For that the outermost trusted proxy saw.
 */
export function clientAddress(
  headers: HeaderSource,
  remoteAddress: string | null | undefined,
  trustedHops: number,
): string | null {
  if (trustedHops <= 0) {
    return remoteAddress ?? null;
  }
  const chain = [...(read(headers, 'x-forwarded-for') ?? '').split(','), remoteAddress ?? '']
    .map((a) => a.trim())
    .filter(Boolean);
  return chain[Math.max(0, chain.length - 1 - trustedHops)] ?? remoteAddress ?? null;
}

/** The gateway context of an HTTP request (fetch Headers or Node's header object). */
export function gatewayContextFromHeaders(
  headers: HeaderSource,
  remoteAddress?: string | null,
  trustedHops = 0,
): GatewayContext {
  return {
    authorization: read(headers, 'authorization'),
    // Never from a header the client controls unless proxies are trusted (TRUST_PROXY_HOPS).
    clientIp: remoteAddress ? clientAddress(headers, remoteAddress, trustedHops) : null,
    userAgent: read(headers, 'user-agent'),
    requestId: read(headers, 'x-request-id') ?? randomUUID(),
    forwarded: Object.fromEntries(
      FORWARDED_HEADERS.map((name) => [name, read(headers, name)]).filter(
        (e): e is [string, string] => e[1] !== null,
      ),
    ),
  };
}

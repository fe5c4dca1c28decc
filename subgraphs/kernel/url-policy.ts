/**
 * Where the platform may call out to on a user's say (an agent's `http` tool, a status webhook):
 * public https endpoints only, unless the deployment allows private addresses (TOOLS_ALLOW_PRIVATE_URLS,
 * STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS), which also allows plain http on loopback. Callers must check
 * the resolved address again when they call (DNS can change).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Loopback, private, link-local, shared, multicast and reserved ranges (IPv4 and IPv6). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address carried in IPv6 (`::ffff:10.0.0.1`), as IPv4. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

/** Whether a literal IP address is loopback, private, link-local or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const ip = unmapped(address);
  return PRIVATE.check(ip, family(ip));
}

/** Whether a literal IP address or `localhost` name is loopback. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return true;
  }
  const ip = unmapped(host);
  return isIP(ip) !== 0 && LOOPBACK.check(ip, family(ip));
}

/** `[::1]` → `::1`. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** Resolves a host name, giving up after `ms` (an unresolvable host is not refused here). */
async function resolve(host: string, ms = 1500): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((done) => {
    timer = setTimeout(() => done([]), ms);
  });
  try {
    return await Promise.race([
      lookup(host, { all: true }).then((rows) => rows.map((r) => r.address)),
      timeout,
    ]);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why an outbound URL is refused, or null when acceptable. Literal IPs are checked directly; a host
 * name is resolved (briefly) and refused when any address it resolves to is private.
 */
export async function outboundUrlProblem(raw: string, allowPrivate: boolean): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Input should be a valid URL.';
  }
  if (url.username || url.password) {
    return 'The URL must not carry credentials.';
  }
  const host = bareHost(url);
  if (url.protocol === 'http:') {
    if (!(allowPrivate && isLoopbackHost(host))) {
      return 'The URL must use https (plain http only to loopback, where the deployment allows private addresses).';
    }
    return null;
  }
  if (url.protocol !== 'https:') {
    return 'The URL must use https.';
  }
  if (allowPrivate) {
    return null;
  }
  if (isLoopbackHost(host) || (isIP(unmapped(host)) !== 0 && isPrivateAddress(host))) {
    return 'Private, loopback and link-local addresses are not allowed.';
  }
  if (isIP(host) === 0) {
    const addresses = await resolve(host);
    if (addresses.some(isPrivateAddress)) {
      return `The host ${host} resolves to a private address, which is not allowed.`;
    }
  }
  return null;
}

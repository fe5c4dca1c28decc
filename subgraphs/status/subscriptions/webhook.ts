import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError, BadRequestError } from '../../kernel/errors.js';
import type { StatusCtx } from '../db.js';

/** Addresses a webhook may not reach: this host, private networks, link-local, reserved. */
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
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

function isPrivate(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) {
    return PRIVATE.check(mapped, 'ipv4');
  }
  return PRIVATE.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

const allowPrivate = (ctx: StatusCtx) => ctx.config.STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true';

/**
 * A webhook target must be an https URL whose host resolves only to public addresses (400
 * otherwise): a subscriber must not make the platform call into its own network.
 * STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true lifts this for development and tests.
 */
export async function checkWebhookTarget(ctx: StatusCtx, target: string): Promise<URL> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new BadRequestError('Webhook target must be a valid URL.');
  }
  if (allowPrivate(ctx) && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return url;
  }
  if (url.protocol !== 'https:' || url.username || url.password) {
    throw new BadRequestError('Webhook target must be an https URL without credentials.');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new BadRequestError('Webhook target must be a public host.');
  }
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true }).then(
        (found) => found.map((a) => a.address),
        () => {
          throw new BadRequestError('Webhook target host does not resolve.');
        },
      );
  if (addresses.length === 0 || addresses.some(isPrivate)) {
    throw new BadRequestError('Webhook target must be a public host.');
  }
  return url;
}

/** `X-Status-Signature`: hex HMAC-SHA256 of the body with the subscription's secret. */
export const signBody = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

/**
 * POSTs a signed JSON body to a webhook (no redirects followed, 5 s); an answer of 300 or more, or
 * none, is a 502 naming what happened.
 */
export async function postWebhook(
  ctx: StatusCtx,
  target: string,
  secret: string,
  payload: unknown,
): Promise<void> {
  const url = await checkWebhookTarget(ctx, target);
  const body = JSON.stringify(payload);
  let status: number;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-status-signature': signBody(secret, body) },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    status = res.status;
  } catch (error) {
    throw new AppError('BAD_GATEWAY', `The webhook could not be reached: ${(error as Error).message}.`);
  }
  if (status >= 300) {
    throw new AppError('BAD_GATEWAY', `The webhook answered ${status}.`);
  }
}

import { createHmac } from 'node:crypto';
import { AppError, BadRequestError } from '../../kernel/errors.js';
import { outboundUrlProblem } from '../../kernel/url-policy.js';
import type { StatusCtx } from '../db.js';

/**
 * A webhook target must be an https URL whose host is public (kernel/url-policy.ts; 400 otherwise): a
 * subscriber must not make the platform call into its own network. STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS
 * lifts this (and allows http to loopback) for development and tests.
 */
export async function checkWebhookTarget(ctx: StatusCtx, target: string): Promise<URL> {
  const problem = await outboundUrlProblem(
    target,
    ctx.config.STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true',
  );
  if (problem) {
    throw new BadRequestError(`Webhook target refused: ${problem}`);
  }
  return new URL(target);
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

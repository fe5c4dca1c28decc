/**
 * Signatures on calls to a tenant's `http` tools, so the receiver can tell the platform sent them.
 *
 * Scheme: `X-Agent-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
 * with the tenant's signing secret (`toolSigningSecret`). The receiver recomputes the HMAC over the
 * timestamp, a dot and the exact body bytes, compares in constant time, and rejects timestamps older
 * than a few minutes (replay). The chat runtime calls `signToolRequest` for every call.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-agent-signature';

/** The signature header value for a body sent at `now`. */
export function signToolRequest(secret: string, body: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** Checks a signature header against the body (what a receiver does); false when stale or wrong. */
export function verifyToolSignature(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
  now: Date = new Date(),
): boolean {
  const parts = Object.fromEntries(
    header.split(',').map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  const given = String(parts.v1 ?? '');
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) {
    return false;
  }
  if (Math.abs(Math.floor(now.getTime() / 1000) - t) > toleranceSeconds) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

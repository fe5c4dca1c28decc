import type { TestStack } from './stack.js';

/** The same access token's claims, signed by the stack's own key, expired a minute ago. */
export async function expiredCopy(t: TestStack, token: string): Promise<string> {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
  const { iat: _iat, nbf: _nbf, exp: _exp, iss: _iss, aud, ...rest } = claims;
  return t.stack.kernel.keys.sign(rest, -60, aud as string | string[] | undefined);
}

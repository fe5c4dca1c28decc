import { randomUUID } from 'node:crypto';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Config } from './config.js';
import type { Db } from './db.js';
import { UnauthenticatedError } from './errors.js';

type KeyObject = Awaited<ReturnType<typeof importJWK>>;

type Claims = JWTPayload & Record<string, unknown>;

/** Tokens remembered as verified (oldest forgotten first): about 1 KB each. */
const VERIFIED_CAPACITY = 5000;

interface VerifyKey {
  kid: string;
  publicJwk: JWK;
  key: KeyObject;
}

/**
 * EdDSA signing keys. The private key comes from JWT_PRIVATE_JWK, or is generated once and kept in
 * the `signing_key` table (embedded default), so every process of a deployment verifies the same
 * tokens. Public keys are served as JWKS; an unknown `kid` triggers one reload, then a 401.
 */
export class KeyRing {
  private verifyKeys = new Map<string, VerifyKey>();
  private signer: { kid: string; key: KeyObject } | null = null;
  private lastReload = 0;
  /**
   * Access tokens that passed `verify`, by exact text: a client sends one token for its whole life
   * and, with in-process subgraphs, every fetch of a request builds its own context, so the
   * signature check was most of authentication's cost. A hit re-checks the time claims (a token is
   * good until `exp`, as on a full check); keys are never withdrawn, so the signature stays good.
   */
  private verified = new Map<string, Claims>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  async load(): Promise<void> {
    if (this.config.JWT_PRIVATE_JWK) {
      const jwk = JSON.parse(this.config.JWT_PRIVATE_JWK) as JWK;
      const { d: _d, ...publicJwk } = jwk;
      const kid = jwk.kid ?? 'env';
      // ON CONFLICT DO NOTHING: processes starting together with the same key all succeed.
      await this.db.signingKey.createMany({
        data: [{ kid, publicJwk: publicJwk as object }],
        skipDuplicates: true,
      });
      this.signer = { kid, key: await importJWK(jwk, 'EdDSA') };
    }
    await this.reload();
    if (!this.signer) {
      await this.ensureStoredSigner();
    }
  }

  private async reload(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.db.signingKey.findMany({ orderBy: { createdAt: 'asc' } });
    for (const row of rows) {
      if (!this.verifyKeys.has(row.kid)) {
        const publicJwk = row.publicJwk as JWK;
        this.verifyKeys.set(row.kid, { kid: row.kid, publicJwk, key: await importJWK(publicJwk, 'EdDSA') });
      }
    }
  }

  private async ensureStoredSigner(): Promise<void> {
    const oldestSigner = async () =>
      (await this.db.signingKey.findMany({ where: { retiredAt: null }, orderBy: { createdAt: 'asc' } })).find(
        (k) => k.privateJwk !== null,
      );
    let row = await oldestSigner();
    if (!row) {
      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const kid = randomUUID();
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
      await this.db.signingKey.create({ data: { kid, publicJwk, privateJwk } });
      // Two processes may race here; the oldest key wins for everyone.
      row = await oldestSigner();
      await this.reload();
    }
    if (!row?.privateJwk) {
      throw new Error('no signing key available');
    }
    this.signer = { kid: row.kid, key: await importJWK(row.privateJwk as JWK, 'EdDSA') };
  }

  get activeKid(): string {
    if (!this.signer) {
      throw new Error('KeyRing.load() was not called');
    }
    return this.signer.kid;
  }

  /** Public keys as a JWKS document. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.verifyKeys.values()].map((k) => k.publicJwk) };
  }

  async sign(claims: JWTPayload, ttlSeconds: number, audience?: string | string[]): Promise<string> {
    if (!this.signer) {
      throw new Error('KeyRing.load() was not called');
    }
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: this.signer.kid, typ: 'JWT' })
      .setIssuer(this.config.AUTH_ISSUER)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(typeof claims.jti === 'string' ? claims.jti : randomUUID());
    if (audience) {
      jwt.setAudience(audience);
    }
    return jwt.sign(this.signer.key);
  }

  private readonly getKey: JWTVerifyGetKey = async (header) => {
    const kid = header.kid;
    if (!kid) {
      throw new UnauthenticatedError('Could not validate credentials.');
    }
    let found = this.verifyKeys.get(kid);
    if (!found && Date.now() - this.lastReload > 1000) {
      await this.reload();
      found = this.verifyKeys.get(kid);
    }
    if (!found) {
      throw new UnauthenticatedError('Could not validate credentials.');
    }
    return found.key;
  };

  /**
   * Verifies signature (EdDSA only), issuer, time claims and, for access tokens, the audience and
   * `token_use`. Any failure is UNAUTHENTICATED; the reason is not revealed.
   */
  async verify(token: string, tokenUse: 'access' | 'refresh'): Promise<Claims> {
    if (tokenUse === 'refresh') {
      return this.verifyFully(token, tokenUse); // used once each: nothing to remember
    }
    const remembered = this.verified.get(token);
    if (remembered) {
      const now = Math.floor(Date.now() / 1000);
      if (now < (remembered.exp as number) && (remembered.nbf === undefined || remembered.nbf <= now)) {
        return remembered;
      }
      this.verified.delete(token);
    }
    // Frozen: the one object is handed to every request carrying this token.
    const payload = Object.freeze(await this.verifyFully(token, tokenUse));
    if (this.verified.size >= VERIFIED_CAPACITY) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, payload);
    return payload;
  }

  private async verifyFully(token: string, tokenUse: 'access' | 'refresh'): Promise<Claims> {
    try {
      const { payload } = await jwtVerify(token, this.getKey, {
        algorithms: ['EdDSA'],
        issuer: this.config.AUTH_ISSUER,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        ...(tokenUse === 'access' ? { audience: this.config.AUTH_AUDIENCE.split(',') } : {}),
      });
      if (payload.token_use !== tokenUse) {
        throw new UnauthenticatedError(
          tokenUse === 'access' ? 'Access token required.' : 'Refresh token required.',
        );
      }
      return payload as Claims;
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        throw error;
      }
      throw new UnauthenticatedError('Could not validate credentials.');
    }
  }
}

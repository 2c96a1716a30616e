/**
 * The DEVELOPMENT issuer: an OpenID-Connect-shaped token endpoint that mints an ID token for ANY
 * subject — the demo and tests log in through it. On only with `TKEY_DEV_ISSUER=1` and
 * `TKEY_MODE=development` (production mode refuses to start with it: CONFIG_INVALID); when on,
 * every log line carries `devIssuer` and `/healthz` says so.
 *
 *   GET  /dev/issuer/.well-known/openid-configuration → {issuer, jwks_uri, token_endpoint, id_token_signing_alg_values_supported}
 *   GET  /dev/issuer/jwks.json                         → {keys: [the ES256 public key]}
 *   POST /dev/issuer/token {sub, nonce}                → {id_token, token_type: "Bearer", expires_in}
 *
 * Its ES256 key is made at start (memory only), so tokens die with the process. `iss` is the fixed
 * `DEV_ISSUER_ISS`, `aud` is `DEV_ISSUER_AUD`; the service trusts it through its in-memory JWKS.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { bytesToHex } from '../../bytes.js';
import { cryptoRng } from '../../rng.js';
import type { OidcVerifier } from './oidc.js';

export const DEV_ISSUER_ISS = 'https://dev-issuer.tkey-tss.invalid';
export const DEV_ISSUER_AUD = 'tkey-tss-dev';
export const DEV_TOKEN_TTL_S = 600;
/** The field every log line carries while the development issuer is on. */
export const DEV_ISSUER_LOG_FIELD = { devIssuer: 'ON: mints ID tokens for any subject (development only)' } as const;

export class DevIssuer {
  readonly #key: CryptoKey;
  readonly jwk: JWK;
  private constructor(key: CryptoKey, jwk: JWK) {
    this.#key = key;
    this.jwk = jwk;
  }

  static async create(): Promise<DevIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: bytesToHex(cryptoRng.bytes(8)), alg: 'ES256', use: 'sig' };
    return new DevIssuer(privateKey, jwk);
  }

  /** An ID token for `sub` carrying `nonce`. */
  mint(sub: string, nonce: string, opts: { nowS?: number; ttlS?: number } = {}): Promise<string> {
    const now = opts.nowS ?? Math.floor(Date.now() / 1000);
    return new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'ES256', kid: this.jwk.kid!, typ: 'JWT' })
      .setIssuer(DEV_ISSUER_ISS)
      .setAudience(DEV_ISSUER_AUD)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + (opts.ttlS ?? DEV_TOKEN_TTL_S))
      .setJti(randomUUID())
      .sign(this.#key);
  }

  /** Make `verifier` trust this issuer (ES256 only, its in-memory JWKS). */
  trustIn(verifier: OidcVerifier): void {
    verifier.add({ iss: DEV_ISSUER_ISS, aud: DEV_ISSUER_AUD, algs: ['ES256'], jwksFile: '<in memory>' }, createLocalJWKSet({ keys: [this.jwk] }));
  }

  /** The three routes under /dev/issuer. */
  register(app: FastifyInstance): void {
    const base = (host: string | undefined, proto: string): string => `${proto}://${host ?? 'localhost'}/dev/issuer`;
    app.get('/dev/issuer/.well-known/openid-configuration', async (req) => {
      const b = base(req.headers.host, req.protocol);
      return { issuer: DEV_ISSUER_ISS, jwks_uri: `${b}/jwks.json`, token_endpoint: `${b}/token`, id_token_signing_alg_values_supported: ['ES256'], subject_types_supported: ['public'], response_types_supported: ['id_token'] };
    });
    app.get('/dev/issuer/jwks.json', async () => ({ keys: [this.jwk] }));
    app.post(
      '/dev/issuer/token',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['sub', 'nonce'],
            properties: { sub: { type: 'string', minLength: 1, maxLength: 255 }, nonce: { type: 'string', minLength: 1, maxLength: 256 } },
          },
        },
      },
      async (req) => {
        const { sub, nonce } = req.body as { sub: string; nonce: string };
        return { id_token: await this.mint(sub, nonce), token_type: 'Bearer', expires_in: DEV_TOKEN_TTL_S };
      },
    );
  }

  toJSON(): unknown {
    return { iss: DEV_ISSUER_ISS, kid: this.jwk.kid, key: '<redacted>' };
  }
}

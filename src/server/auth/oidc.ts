/**
 * OpenID Connect ID-token verification for the co-signing service's `login` (jose).
 *
 * A token is accepted only if, in this order: it is a compact JWS of ≤ 8 KiB; its unverified `iss`
 * names a configured issuer; its header `alg` is in that issuer's allow-list (RS256 / ES256 / EdDSA
 * only — `none` and every HS* are refused whatever the configuration says, so a token "signed"
 * with the issuer's public key bytes as an HMAC secret never verifies); its `kid` is in the
 * issuer's JWKS (an unknown `kid` is refused after jose's one cooldown-limited refetch); the
 * signature verifies; `iss` and `aud` match; `exp`, `iat` (required) and `nbf` hold within
 * `SKEW_S` = 60 s; its `nonce` equals `loginNonce(devicePub)` = base64url(SHA-256(the device's
 * bus identity key, SEC1 compressed)) — the key the secure channel authenticated on THIS
 * connection, so a token captured elsewhere is useless on another device's connection (the
 * wallet asks its provider for that nonce when it starts the OIDC flow); and it was never used
 * before (`UsedTokens`, keyed by iss + jti, or the token's SHA-256 without a jti). Only then is the
 * token marked used. Every refusal is `AUTH_INVALID` with `details.reason`; the token itself is
 * never put into an error or a log.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { bytesToHex, utf8ToBytes } from '../../bytes.js';
import { fail } from '../../errors.js';
import { sha256 } from '../../hash.js';
import { loginNonce } from '../../client/service-rpc.js';
import { OIDC_ALGS, type IssuerConfig, type OidcAlg, type UsedTokens, type VerifiedLogin } from './types.js';

/** Clock skew allowed on exp / nbf / iat (seconds). */
export const SKEW_S = 60;
/** Longest ID token accepted (bytes). */
export const MAX_ID_TOKEN = 8192;

export type AuthInvalidReason = 'malformed' | 'issuer' | 'algorithm' | 'unknown-key' | 'signature' | 'audience' | 'expired' | 'not-yet-valid' | 'issued-at' | 'claims' | 'nonce' | 'replayed' | 'jwks-unavailable';

const refuse = (reason: AuthInvalidReason, why: string): never => fail('AUTH_INVALID', `ID token refused: ${why}`, { reason });

interface Issuer {
  cfg: IssuerConfig;
  algs: OidcAlg[];
  keys: JWTVerifyGetKey;
}

/** Check one issuer entry (configuration; CONFIG_INVALID names `setting`). */
export function anIssuer(v: unknown, setting: string, i: number): IssuerConfig {
  const bad = (why: string): never => fail('CONFIG_INVALID', `${setting}[${i}]: ${why}`, { setting });
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('expected {iss, aud, jwksUrl | jwksFile, algs?}');
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['iss', 'aud', 'jwksUrl', 'jwksFile', 'algs'].includes(k));
  if (extra.length) bad(`unknown field(s) ${extra.join(', ')}`);
  if (typeof o.iss !== 'string' || o.iss.length === 0) bad('iss: expected a non-empty string');
  const auds = Array.isArray(o.aud) ? o.aud : [o.aud];
  if (auds.length === 0 || !auds.every((a) => typeof a === 'string' && a.length > 0)) bad('aud: expected a non-empty string or array of strings');
  if ((o.jwksUrl === undefined) === (o.jwksFile === undefined)) bad('expected exactly one of jwksUrl, jwksFile');
  if (o.jwksUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(String(o.jwksUrl));
    } catch {
      bad('jwksUrl: expected an http(s) URL');
    }
    if (u!.protocol !== 'https:' && u!.protocol !== 'http:') bad('jwksUrl: expected an http(s) URL');
  }
  if (o.jwksFile !== undefined && (typeof o.jwksFile !== 'string' || o.jwksFile.length === 0)) bad('jwksFile: expected a path');
  if (o.algs !== undefined) {
    if (!Array.isArray(o.algs) || o.algs.length === 0) bad(`algs: expected a non-empty subset of ${OIDC_ALGS.join(', ')}`);
    for (const a of o.algs as unknown[]) if (!(OIDC_ALGS as readonly unknown[]).includes(a)) bad(`algs: ${JSON.stringify(a)} is not allowed (only ${OIDC_ALGS.join(', ')}; never none or HS*)`);
  }
  return { iss: o.iss as string, aud: o.aud as string | string[], ...(o.jwksUrl !== undefined ? { jwksUrl: String(o.jwksUrl) } : {}), ...(o.jwksFile !== undefined ? { jwksFile: o.jwksFile as string } : {}), ...(o.algs ? { algs: o.algs as OidcAlg[] } : {}) };
}

/** `TKEY_OIDC_ISSUERS`: a JSON array, or `@path` to a file holding one. */
export function parseIssuers(raw: string, setting = 'TKEY_OIDC_ISSUERS'): IssuerConfig[] {
  let text = raw.trim();
  if (text === '') return [];
  if (text.startsWith('@')) {
    try {
      text = readFileSync(text.slice(1), 'utf8');
    } catch (e) {
      fail('CONFIG_INVALID', `${setting}: cannot read ${text.slice(1)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { setting });
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return fail('CONFIG_INVALID', `${setting}: expected a JSON array of issuers (or @path to one)`, { setting });
  }
  if (!Array.isArray(v)) fail('CONFIG_INVALID', `${setting}: expected a JSON array of issuers`, { setting });
  const list = (v as unknown[]).map((x, i) => anIssuer(x, setting, i));
  const seen = new Set<string>();
  for (const c of list) {
    if (seen.has(c.iss)) fail('CONFIG_INVALID', `${setting}: issuer ${c.iss} listed twice`, { setting });
    seen.add(c.iss);
  }
  return list;
}

function keysOf(c: IssuerConfig): JWTVerifyGetKey {
  if (c.jwksUrl) return createRemoteJWKSet(new URL(c.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(c.jwksFile!, 'utf8')) as JSONWebKeySet;
  } catch (e) {
    return fail('CONFIG_INVALID', `TKEY_OIDC_ISSUERS: issuer ${c.iss}: cannot read its jwksFile (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { setting: 'TKEY_OIDC_ISSUERS' });
  }
  if (!Array.isArray(jwks?.keys)) fail('CONFIG_INVALID', `TKEY_OIDC_ISSUERS: issuer ${c.iss}: jwksFile is not a JWKS ({keys: [...]})`, { setting: 'TKEY_OIDC_ISSUERS' });
  return createLocalJWKSet(jwks);
}

export interface OidcVerifierOptions {
  usedTokens: UsedTokens;
  /** Milliseconds since the epoch (default Date.now). */
  clock?: () => number;
}

/** Verifies ID tokens of the configured issuers (see the module comment). */
export class OidcVerifier {
  readonly #issuers = new Map<string, Issuer>();
  readonly #used: UsedTokens;
  readonly #clock: () => number;

  constructor(issuers: readonly IssuerConfig[], opts: OidcVerifierOptions) {
    this.#used = opts.usedTokens;
    this.#clock = opts.clock ?? Date.now;
    issuers.forEach((c, i) => this.add(anIssuer(c, 'issuers', i)));
  }

  /** Trust one more issuer (the development issuer registers itself with its in-memory JWKS). */
  add(cfg: IssuerConfig, keys?: JWTVerifyGetKey): void {
    this.#issuers.set(cfg.iss, { cfg, algs: [...(cfg.algs ?? OIDC_ALGS)], keys: keys ?? keysOf(cfg) });
  }

  get issuers(): string[] {
    return [...this.#issuers.keys()];
  }

  /** Verify `idToken` for a login on the connection authenticated as `devicePub` (33 bytes). */
  async verify(token: unknown, devicePub: Uint8Array): Promise<VerifiedLogin> {
    if (typeof token !== 'string') return refuse('malformed', 'expected a string');
    const idToken: string = token;
    if ( idToken.length === 0 || idToken.length > MAX_ID_TOKEN || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(idToken))
      refuse('malformed', `expected a compact JWS of at most ${MAX_ID_TOKEN} bytes`);
    let alg: unknown;
    let claimedIss: unknown;
    try {
      alg = decodeProtectedHeader(idToken).alg;
      claimedIss = decodeJwt(idToken).iss;
    } catch {
      refuse('malformed', 'the header or payload does not decode');
    }
    const issuer = typeof claimedIss === 'string' ? this.#issuers.get(claimedIss) : undefined;
    if (!issuer) return refuse('issuer', 'the issuer is not configured');
    if (!(issuer.algs as unknown[]).includes(alg)) refuse('algorithm', `alg ${JSON.stringify(String(alg)).slice(0, 40)} is not allowed for this issuer (${issuer.algs.join(', ')})`);
    const now = this.#clock();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(idToken, issuer.keys, {
        algorithms: issuer.algs,
        issuer: issuer.cfg.iss,
        audience: issuer.cfg.aud,
        clockTolerance: SKEW_S,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
      }));
    } catch (e) {
      return refuse(...joseReason(e));
    }
    const nowS = Math.floor(now / 1000);
    if (typeof payload.iat !== 'number' || payload.iat > nowS + SKEW_S) refuse('issued-at', 'iat lies in the future');
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) refuse('claims', 'sub: expected a string of 1..255 characters');
    if (payload.nonce !== loginNonce(devicePub)) refuse('nonce', 'the nonce is not bound to this connection’s device key');
    const exp = payload.exp as number;
    const id = typeof payload.jti === 'string' && payload.jti.length > 0 && payload.jti.length <= 256 ? `jti:${payload.jti}` : `sha256:${bytesToHex(sha256(utf8ToBytes(idToken)))}`;
    if (!(await this.#used.markUsed(`${issuer.cfg.iss}\u001f${id}`, exp + SKEW_S))) refuse('replayed', 'this ID token was already used for a login');
    return { subject: { iss: issuer.cfg.iss, sub: payload.sub as string }, tokenExp: exp };
  }
}

/** jose's error → our reason (never its message verbatim: it may quote claims). */
function joseReason(e: unknown): [AuthInvalidReason, string] {
  const code = (e as { code?: unknown })?.code;
  const claim = (e as { claim?: unknown })?.claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return ['expired', 'the token has expired'];
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return ['not-yet-valid', 'the token is not valid yet (nbf)'];
      if (claim === 'iat') return ['issued-at', 'iat is not acceptable'];
      if (claim === 'aud') return ['audience', 'the audience is not this service'];
      if (claim === 'iss') return ['issuer', 'the issuer does not match'];
      return ['claims', `claim ${String(claim)} is missing or invalid`];
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return ['algorithm', 'the algorithm is not allowed'];
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return ['unknown-key', 'no key of the issuer matches the token (kid)'];
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return ['signature', 'the signature does not verify'];
    case undefined: // not a jose error: the JWKS fetch itself failed
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_GENERIC':
      return ['jwks-unavailable', "the issuer's keys could not be fetched"];
    default:
      return ['malformed', 'the token is malformed'];
  }
}

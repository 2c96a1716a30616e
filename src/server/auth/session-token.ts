/**
 * Service session tokens: what a `login` hands back so a device can `resume` after a reconnection
 * (on any node) without a new ID token.
 *
 *   token   = "s1." ‖ b64url(body) ‖ "." ‖ b64url(tag)
 *   body    = JSON {iss, sub, dev: hex SHA-256(device bus key), exp: seconds, n: 16 random bytes hex}
 *   tag     = HMAC-SHA256(K_s, "s1." ‖ b64url(body)),  K_s = HKDF-SHA256(ikm = service identity key,
 *             salt = "tkey-tss/service-session/v1", info = "session-mac", 32 bytes)
 *
 * Every node holds the service identity key, so every node derives K_s and verifies any node's
 * token; nothing is stored. The token never carries the ID token (only the subject it proved), is
 * short-lived (`TKEY_SESSION_TTL_S`, default 900 s) and bound to the device's bus identity key:
 * presented on a connection authenticated as another key it is `AUTH_INVALID` (reason
 * `other-device`). Opaque to the client (it stores and returns it). A session is not revocable
 * before its expiry (the TTL bounds that); logging in again is always possible.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { base64ToBytes, bytesToBase64Url, bytesToHex, bytesToUtf8, equalBytes, utf8ToBytes, wipe, abytes } from '../../bytes.js';
import { fail } from '../../errors.js';
import { hmacSha256, sha256 } from '../../hash.js';
import { cryptoRng, type Rng } from '../../rng.js';
import type { Subject } from './types.js';

const SALT = utf8ToBytes('tkey-tss/service-session/v1');
const INFO = utf8ToBytes('session-mac');
const PREFIX = 's1.';
const MAX_TOKEN = 2048;

export interface SessionGrant {
  /** The opaque session token. Secret: never logged. */
  session: string;
  subject: Subject;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

const b64urlToBytes = (s: string): Uint8Array => base64ToBytes(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4), 'session');

export class SessionTokens {
  readonly #key: Uint8Array;
  readonly #ttlS: number;
  readonly #clock: () => number;
  readonly #rng: Rng;

  constructor(opts: { identityKey: Uint8Array; ttlS: number; clock?: () => number; rng?: Rng }) {
    const ikm = abytes(opts.identityKey, 'identityKey', 32);
    if (!Number.isSafeInteger(opts.ttlS) || opts.ttlS < 1) fail('INVALID_ARGUMENT', 'ttlS: expected a positive number of seconds');
    this.#key = hkdf(nobleSha256, ikm, SALT, INFO, 32);
    this.#ttlS = opts.ttlS;
    this.#clock = opts.clock ?? Date.now;
    this.#rng = opts.rng ?? cryptoRng;
  }

  #nowS(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /** A session for `subject` on the device `devicePub`, ending at `min(now + ttl, notAfter)`. */
  issue(subject: Subject, devicePub: Uint8Array, notAfter = Number.MAX_SAFE_INTEGER): SessionGrant {
    const exp = Math.min(this.#nowS() + this.#ttlS, notAfter);
    const body = bytesToBase64Url(utf8ToBytes(JSON.stringify({ iss: subject.iss, sub: subject.sub, dev: bytesToHex(sha256(devicePub)), exp, n: bytesToHex(this.#rng.bytes(16)) })));
    const signed = PREFIX + body;
    const tag = hmacSha256(this.#key, utf8ToBytes(signed));
    return { session: `${signed}.${bytesToBase64Url(tag)}`, subject: { iss: subject.iss, sub: subject.sub }, expiresAt: exp };
  }

  /** Check a presented session on a connection authenticated as `devicePub`; AUTH_INVALID (details.reason) otherwise. */
  verify(token: unknown, devicePub: Uint8Array): SessionGrant {
    const bad = (reason: string, why: string): never => fail('AUTH_INVALID', `service session refused: ${why}`, { reason });
    if (typeof token !== 'string' || token.length > MAX_TOKEN || !token.startsWith(PREFIX)) return bad('malformed', 'not a session token');
    const dot = token.lastIndexOf('.');
    const signed = token.slice(0, dot);
    let tag: Uint8Array;
    try {
      tag = b64urlToBytes(token.slice(dot + 1));
    } catch {
      return bad('malformed', 'not a session token');
    }
    if (!equalBytes(tag, hmacSha256(this.#key, utf8ToBytes(signed)))) return bad('signature', 'not issued by this service');
    let b: { iss?: unknown; sub?: unknown; dev?: unknown; exp?: unknown };
    try {
      b = JSON.parse(bytesToUtf8(b64urlToBytes(signed.slice(PREFIX.length)))) as typeof b;
    } catch {
      return bad('malformed', 'not a session token');
    }
    if (typeof b.iss !== 'string' || typeof b.sub !== 'string' || typeof b.dev !== 'string' || typeof b.exp !== 'number') return bad('malformed', 'not a session token');
    if (b.dev !== bytesToHex(sha256(devicePub))) return bad('other-device', 'the session belongs to another device key');
    if (b.exp <= this.#nowS()) return bad('expired', 'the session has expired; log in again');
    return { session: token, subject: { iss: b.iss, sub: b.sub }, expiresAt: b.exp };
  }

  /** Forget the MAC key (shutdown). */
  destroy(): void {
    wipe(this.#key);
  }

  toJSON(): unknown {
    return { ttlS: this.#ttlS, key: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SessionTokens(ttl ${this.#ttlS} s, key redacted)`;
  }
}

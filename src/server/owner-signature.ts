/**
 * The torus-metadata owner-key checks, with the library's own primitives:
 * - a write `{pub_key_X, pub_key_Y, set_data: {data, timestamp}, signature}` is signed by the owner
 *   key P = (X, Y): signature = base64(r‖s‖v), valid over keccak256(stableStringify(set_data)) — or,
 *   as the reference server also accepts, over keccak256(JSON.stringify(set_data)) as sent;
 * - a lock request `{key: hex(G·k_m), data: {timestamp}, signature: DER hex}` over
 *   keccak256(stableStringify(data));
 * - the signed timestamp t (unix seconds) must satisfy now − 600 ≤ t ≤ now + 60.
 * X and Y are used verbatim as the record key; they are only parsed as numbers to verify.
 * @module
 */
import { base64ToBytes, hexToBytes, hexToNumber, utf8ToBytes } from '../bytes.js';
import { ecdsaVerifyDigest, pointFromHex, pointFromXY, type Point } from '../curve.js';
import { fail, isTkeyTssError } from '../errors.js';
import { keccak256 } from '../hash.js';
import { stableStringify } from '../metadata/stable-stringify.js';

/** How old a signed timestamp may be (s): the window the peer's clients are built for. */
export const MAX_AGE_S = 600;
/** How far ahead of the server clock a signed timestamp may be (s). */
export const MAX_SKEW_S = 60;

export interface SetParams {
  pub_key_X: string;
  pub_key_Y: string;
  namespace?: string;
  set_data: { data: string; timestamp: string };
  signature: string;
}

export interface LockParams {
  key: string;
  data: { timestamp: number };
  signature: string;
  id?: string;
}

/** Refuse a timestamp outside [now − MAX_AGE_S, now + MAX_SKEW_S]. */
export function checkTimestamp(t: number, nowS: number, title = 'timestamp'): void {
  if (!Number.isSafeInteger(t)) fail('TIMESTAMP_OUT_OF_WINDOW', `${title}: not an integer number of seconds`);
  if (nowS - t > MAX_AGE_S) fail('TIMESTAMP_OUT_OF_WINDOW', `${title}: signed ${nowS - t} s ago (more than ${MAX_AGE_S} s)`, { timestamp: t, now: nowS });
  if (t - nowS > MAX_SKEW_S) fail('TIMESTAMP_OUT_OF_WINDOW', `${title}: ${t - nowS} s in the future (more than ${MAX_SKEW_S} s)`, { timestamp: t, now: nowS });
}

/** The owner point of a write (INVALID_POINT when (X, Y) is not on the curve). */
export function ownerPoint(pubX: string, pubY: string): Point {
  return pointFromXY(hexToNumber(pubX, 'pub_key_X'), hexToNumber(pubY, 'pub_key_Y'), 'pub_key');
}

/**
 * Verify one write's timestamp window and owner signature; returns the signed timestamp (unix s).
 * Throws TIMESTAMP_OUT_OF_WINDOW, INVALID_POINT or INVALID_SIGNATURE.
 */
export function verifySetParams(p: SetParams, nowS: number, title = 'request'): number {
  const ts = parseInt(p.set_data.timestamp, 16);
  checkTimestamp(ts, nowS, `${title}.set_data.timestamp`);
  const pub = ownerPoint(p.pub_key_X, p.pub_key_Y);
  let raw: Uint8Array;
  try {
    raw = base64ToBytes(p.signature, `${title}.signature`);
  } catch (e) {
    if (isTkeyTssError(e)) fail('INVALID_SIGNATURE', `${title}.signature: not base64`);
    throw e;
  }
  // r‖s‖v with v ignored (the peer writes v = 0); 64 bytes accepted too.
  if (raw.length !== 65 && raw.length !== 64) fail('INVALID_SIGNATURE', `${title}.signature: expected 65 bytes r‖s‖v, got ${raw.length}`);
  const rs = raw.subarray(0, 64);
  if (ecdsaVerifyDigest(rs, keccak256(utf8ToBytes(stableStringify(p.set_data))), pub, { format: 'compact' })) return ts;
  if (ecdsaVerifyDigest(rs, keccak256(utf8ToBytes(JSON.stringify(p.set_data))), pub, { format: 'compact' })) return ts;
  return fail('INVALID_SIGNATURE', `${title}.signature: does not verify under the owner key (pub_key_X, pub_key_Y)`);
}

/** Verify a lock request's timestamp window and DER signature by `key`. */
export function verifyLockParams(p: LockParams, nowS: number): void {
  checkTimestamp(p.data.timestamp, nowS, 'data.timestamp');
  const pub = pointFromHex(p.key.length % 2 === 0 ? p.key : `0${p.key}`, 'key');
  let der: Uint8Array;
  try {
    der = hexToBytes(p.signature, 'signature');
  } catch {
    return fail('INVALID_SIGNATURE', 'signature: expected DER hex');
  }
  if (!ecdsaVerifyDigest(der, keccak256(utf8ToBytes(stableStringify(p.data))), pub, { format: 'der' }))
    fail('INVALID_SIGNATURE', 'signature: does not verify under key');
}

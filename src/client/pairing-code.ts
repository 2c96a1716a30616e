/**
 * The pairing code one device of a user shows (as text or a QR code) and another device of the
 * same user types or scans (`pairing.ts`):
 *
 *   code := "tkp1:" ‖ base64url(secret[16] ‖ hostPub[33]) ‖ "@" ‖ address
 *
 * `secret` is a one-time pairing secret, `hostPub` the showing device's one-time bus identity key
 * (SEC1 compressed; the joiner's handshake refuses any other server, so a man in the middle is
 * refused), `address` where to connect (a `ws://` / `wss://` URL, or a rendezvous name). The joiner
 * proves it read the code with
 *
 *   proof := HMAC-SHA256(secret, "tkey-tss/pair/v1" ‖ connSid ‖ hostPub ‖ joinerPub ‖ u16 index ‖ Y)
 *
 * bound to the connection (connSid = SHA-256(tag ‖ th) of the authenticated handshake, fresh
 * ephemerals on both sides), both identity keys, the joiner's share index and the account key Y:
 * a proof never replays into another connection nor relays through a third party.
 * @module
 */
import { abytes, aInt, base64ToBytes, bytesToBase64Url, concatBytes, utf8ToBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { hmacSha256 } from '../hash.js';

export const PAIRING_CODE_PREFIX = 'tkp1:';
export const PAIRING_SECRET_BYTES = 16;
const PROOF_TAG = utf8ToBytes('tkey-tss/pair/v1');
const MAX_ADDRESS = 512;

/** What a pairing code carries. `secret` is SECRET (the code is shown to the user only). */
export interface PairingCode {
  secret: Uint8Array;
  hostPub: Uint8Array;
  address: string;
}

export function encodePairingCode(c: PairingCode): string {
  abytes(c.secret, 'secret', PAIRING_SECRET_BYTES);
  abytes(c.hostPub, 'hostPub', 33);
  if (typeof c.address !== 'string' || c.address.length === 0 || c.address.length > MAX_ADDRESS || /\s/.test(c.address))
    fail('INVALID_ARGUMENT', `address: expected a non-empty string without spaces (≤ ${MAX_ADDRESS} characters)`);
  return `${PAIRING_CODE_PREFIX}${bytesToBase64Url(concatBytes(c.secret, c.hostPub))}@${c.address}`;
}

/** Parse a pairing code (surrounding spaces ignored); INVALID_ARGUMENT when it is not one. */
export function decodePairingCode(code: unknown): PairingCode {
  if (typeof code !== 'string') return fail('INVALID_ARGUMENT', 'code: expected a pairing code string');
  const s = code.trim();
  const at = s.indexOf('@');
  if (!s.startsWith(PAIRING_CODE_PREFIX) || at < 0) return fail('INVALID_ARGUMENT', `code: not a pairing code (expected ${PAIRING_CODE_PREFIX}…@address)`);
  const body = base64ToBytes(s.slice(PAIRING_CODE_PREFIX.length, at), 'code');
  if (body.length !== PAIRING_SECRET_BYTES + 33) fail('INVALID_ARGUMENT', 'code: wrong length (a character is missing or extra)');
  const address = s.slice(at + 1);
  if (address.length === 0 || address.length > MAX_ADDRESS || /\s/.test(address)) fail('INVALID_ARGUMENT', 'code: no usable address');
  return { secret: body.slice(0, PAIRING_SECRET_BYTES), hostPub: body.slice(PAIRING_SECRET_BYTES), address };
}

/** The joiner's proof of knowledge of the code, bound to the connection (see the module header). */
export function pairingProof(secret: Uint8Array, connSid: Uint8Array, hostPub: Uint8Array, joinerPub: Uint8Array, index: number, accountPub: Uint8Array): Uint8Array {
  aInt(index, 'index', 2, 0xffff);
  const idx = new Uint8Array([index >> 8, index & 0xff]);
  return hmacSha256(abytes(secret, 'secret', PAIRING_SECRET_BYTES), concatBytes(PROOF_TAG, abytes(connSid, 'connSid'), abytes(hostPub, 'hostPub', 33), abytes(joinerPub, 'joinerPub', 33), idx, abytes(accountPub, 'accountPub', 33)));
}

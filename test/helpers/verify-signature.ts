/**
 * Independent verifiers for threshold signatures in tests: node:crypto (OpenSSL, via
 * test/helpers/openssl-verify.ts) and @noble/curves via src/curve.ts; plus recovery of the public
 * key from (r, s, v).
 */
import { bytesToNumberBE } from '../../src/bytes.js';
import { ecdsaVerifyDigest, pointFromBytes, recoverPublicKey } from '../../src/curve.js';
import { verifyMessageSha256 } from './openssl-verify.js';

/** OpenSSL: ECDSA-SHA256 over `message` (the signature was made over sha256(message)), r‖s form (test/helpers/openssl-verify.ts). */
export function opensslVerify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verifyMessageSha256(message, bytesToNumberBE(signature.subarray(0, 32)), bytesToNumberBE(signature.subarray(32)), publicKey);
}

/** @noble/curves (low-s enforced) over the digest. */
export function nobleVerify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return ecdsaVerifyDigest(signature, digest, pointFromBytes(publicKey), { lowS: true, format: 'compact' });
}

/** The public key recovered from (r, s, v) equals `publicKey`. */
export function recovers(digest: Uint8Array, r: Uint8Array, s: Uint8Array, v: number, publicKey: Uint8Array): boolean {
  return recoverPublicKey(bytesToNumberBE(r), bytesToNumberBE(s), v, digest).equals(pointFromBytes(publicKey));
}

/**
 * Hashes over @noble/hashes: keccak256 (Ethereum, tKey), sha256, sha512, HMAC.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as _sha256, sha512 as _sha512 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { abytes } from './bytes.js';

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(abytes(data, 'data'));
}
export function sha256(data: Uint8Array): Uint8Array {
  return _sha256(abytes(data, 'data'));
}
export function sha512(data: Uint8Array): Uint8Array {
  return _sha512(abytes(data, 'data'));
}
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(_sha256, abytes(key, 'key'), abytes(data, 'data'));
}
export function hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(_sha512, abytes(key, 'key'), abytes(data, 'data'));
}

/**
 * BIP32 non-hardened derivation from the TSS public key and the keygen chain code, as an additive
 * shift (DESIGN §4, "Derivation"). CKDpub: I = HMAC-SHA512(c, ser_P(K) ‖ ser32(i)); child
 * K' = K + G·I_L, c' = I_R. Along a path the child key is K + G·Σ I_L, so the signers shift their
 * shares by the tweak Σ I_L mod n (Shamir shares: every holder; additive: one signer) and the
 * signature verifies under the child public key. Hardened indices need the private key and are
 * refused (`BIP32_HARDENED_INDEX`). An index whose I_L ≥ n or whose child is the identity is
 * refused (`BIP32_INVALID_CHILD`; BIP32 says: use the next index).
 * @module
 */
import { abytes, bytesToNumberBE, concatBytes, numberToBytesBE } from '../bytes.js';
import { modN, mulGUnsafe, N, pointToBytes, scalarToBytes, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { hmacSha512 } from '../hash.js';
import { factorPubPoint } from './factor-key.js';

export const HARDENED_OFFSET = 0x80000000;
/** Longest path accepted (BIP32 depth is one byte). */
export const MAX_DEPTH = 255;

/** `"m/0/1/2"` (or `"0/1"`, or an array of indices) → indices; refuses hardened ones (`'`, `h`, or ≥ 2^31). */
export function parseDerivationPath(path: string | readonly number[]): number[] {
  let parts: unknown[];
  if (typeof path === 'string') {
    const segs = path.trim().split('/');
    if (segs[0] === 'm' || segs[0] === 'M') segs.shift();
    if (segs.length === 1 && segs[0] === '') segs.pop();
    parts = segs.map((s) => {
      if (/^\d+['hH]$/.test(s)) return fail('BIP32_HARDENED_INDEX', `path segment ${s} is hardened`);
      if (!/^\d+$/.test(s)) return fail('INVALID_ARGUMENT', `path segment ${JSON.stringify(s)} is not an index`);
      return Number(s);
    });
  } else if (Array.isArray(path)) parts = [...path];
  else return fail('INVALID_ARGUMENT', 'path: expected a string or an array of indices');
  if (parts.length > MAX_DEPTH) fail('OUT_OF_RANGE', `path: deeper than ${MAX_DEPTH}`);
  return parts.map((i, k) => {
    if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0 || i > 0xffffffff) return fail('INVALID_ARGUMENT', `path[${k}]: expected an integer in [0, 2^32)`);
    if (i >= HARDENED_OFFSET) return fail('BIP32_HARDENED_INDEX', `path[${k}] = ${i} is hardened`);
    return i;
  });
}

export interface NonHardenedDerivation {
  /** Σ I_L mod n, 32 bytes: add to the key (shift the shares) to sign for the child. */
  tweak: Uint8Array;
  /** Child public key, compressed SEC1. */
  publicKey: Uint8Array;
  /** Child chain code, 32 bytes. */
  chainCode: Uint8Array;
}

/** One CKDpub step (internal, points). */
export function ckdPub(parent: Point, chainCode: Uint8Array, index: number): { il: bigint; child: Point; chainCode: Uint8Array } {
  abytes(chainCode, 'chainCode', 32);
  if (!Number.isSafeInteger(index) || index < 0 || index > 0xffffffff) fail('INVALID_ARGUMENT', 'index: expected an integer in [0, 2^32)');
  if (index >= HARDENED_OFFSET) fail('BIP32_HARDENED_INDEX', `index ${index} is hardened`);
  const I = hmacSha512(chainCode, concatBytes(pointToBytes(parent, true), numberToBytesBE(BigInt(index), 4)));
  const il = bytesToNumberBE(I.subarray(0, 32));
  if (il >= N) fail('BIP32_INVALID_CHILD', `I_L ≥ n at index ${index}`);
  const child = parent.add(mulGUnsafe(il));
  if (child.is0()) fail('BIP32_INVALID_CHILD', `identity child at index ${index}`);
  return { il, child, chainCode: I.slice(32, 64) };
}

/**
 * Derive along a non-hardened path from (public key, chain code): the additive tweak, the child
 * public key and chain code. An empty path gives tweak 0 and the inputs back.
 */
export function deriveNonHardened(publicKey: Uint8Array | Point, chainCode: Uint8Array, path: string | readonly number[]): NonHardenedDerivation {
  let P = factorPubPoint(publicKey, 'publicKey');
  let c: Uint8Array = abytes(chainCode, 'chainCode', 32).slice();
  let tweak = 0n;
  for (const i of parseDerivationPath(path)) {
    const step = ckdPub(P, c, i);
    tweak = modN(tweak + step.il);
    P = step.child;
    c = step.chainCode;
  }
  return { tweak: scalarToBytes(tweak), publicKey: pointToBytes(P, true), chainCode: c };
}

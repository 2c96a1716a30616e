/**
 * Finished ECDSA signatures: low-s, recovery id, DER, 65-byte r‖s‖v, Ethereum addresses and
 * recovery. Curve work goes through `curve.ts`; these functions only shape and check (r, s, v).
 *
 * r and s are bigints in [1, n−1] (what the sign protocol computes); encodings are bytes. A recovery
 * id is 0..3: bit 0 is the parity of R.y, bit 1 says R.x ≥ n (r = R.x − n; probability ≈ 2⁻¹²⁸, and
 * Ethereum cannot express it, so the 65-byte forms refuse it).
 * @module
 */
import { abytes, bytesToHex, bytesToNumberBE, concatBytes, numberToBytesBE, utf8ToBytes } from '../bytes.js';
import {
  aScalar,
  ecdsaVerifyDigest,
  modN,
  N,
  parseSignature,
  pointFromBytes,
  pointToBytes,
  pointX,
  pointY,
  recoverPublicKey as curveRecover,
  signatureToDer,
  type Point,
} from '../curve.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';

/** ⌊n/2⌋: s ≤ HALF_N is "low". */
export const HALF_N: bigint = N >> 1n;

export interface EcdsaSignature {
  r: bigint;
  s: bigint;
}
export interface RecoverableSignature extends EcdsaSignature {
  /** Recovery id 0..3 (0/1 in practice). */
  recovery: number;
}

function aRecovery(v: unknown, title: string, max = 3): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail('INVALID_SIGNATURE', `${title}: recovery id must be an integer in 0..${max}`);
  return v;
}
function aSig(r: unknown, s: unknown): void {
  if (typeof r !== 'bigint' || typeof s !== 'bigint') fail('INVALID_ARGUMENT', 'r, s: expected bigints');
  if (r < 1n || r >= N) fail('INVALID_SIGNATURE', 'r: not in [1, n−1]');
  if (s < 1n || s >= N) fail('INVALID_SIGNATURE', 's: not in [1, n−1]');
}
function asPoint(p: Uint8Array | Point, title: string): Point {
  if (p instanceof Uint8Array) return pointFromBytes(p, title);
  pointToBytes(p, true); // rejects the identity
  return p;
}

/** s ≤ ⌊n/2⌋. */
export function isLowS(s: bigint): boolean {
  aScalar(s, 's');
  return s <= HALF_N;
}

/**
 * Low-s form: s > n/2 becomes n − s. (r, n − s) is the signature whose nonce point is −R, so the
 * parity bit of the recovery id flips with it. Returns a new object; `recovery` stays absent if absent.
 */
export function normalizeLowS<T extends EcdsaSignature & { recovery?: number }>(sig: T): T {
  aSig(sig?.r, sig?.s);
  if (sig.s <= HALF_N) return { ...sig };
  const out = { ...sig, s: N - sig.s };
  if (sig.recovery !== undefined) out.recovery = aRecovery(sig.recovery, 'recovery') ^ 1;
  return out;
}

/**
 * The signature with nonce point R: r = R.x mod n, the recovery id from R, and low-s applied.
 * This is how a combiner that knows R (the presignature's) finishes (r, s).
 */
export function signatureFromR(R: Uint8Array | Point, s: bigint): RecoverableSignature {
  const P = asPoint(R, 'R');
  const x = pointX(P);
  const r = modN(x);
  aSig(r, s);
  const recovery = (pointY(P) & 1n ? 1 : 0) | (x >= N ? 2 : 0);
  return normalizeLowS({ r, s, recovery });
}

/** Recovery id of (r, s) over `digest` for `publicKey`: the v with recover(digest, r, s, v) = publicKey. */
export function recoveryIdFromPublicKey(digest: Uint8Array, r: bigint, s: bigint, publicKey: Uint8Array | Point): number {
  abytes(digest, 'digest', 32);
  aSig(r, s);
  const want = pointToBytes(asPoint(publicKey, 'publicKey'), true);
  for (let v = 0; v < 4; v++) {
    let got: Uint8Array;
    try {
      got = pointToBytes(curveRecover(r, s, v, digest), true);
    } catch {
      continue;
    }
    if (bytesToHex(got) === bytesToHex(want)) return v;
  }
  return fail('INVALID_SIGNATURE', 'the signature does not verify under this public key (no recovery id recovers it)');
}

/** ECDSA verification over a 32-byte digest (any s unless `lowS`). */
export function verifyDigest(digest: Uint8Array, r: bigint, s: bigint, publicKey: Uint8Array | Point, opts: { lowS?: boolean } = {}): boolean {
  abytes(digest, 'digest', 32);
  if (typeof r !== 'bigint' || typeof s !== 'bigint') fail('INVALID_ARGUMENT', 'r, s: expected bigints');
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  return ecdsaVerifyDigest(concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32)), digest, asPoint(publicKey, 'publicKey'), {
    format: 'compact',
    lowS: opts.lowS ?? false,
  });
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` (X9.62, what OpenSSL and Bitcoin use). */
export function toDer(r: bigint, s: bigint): Uint8Array {
  aSig(r, s);
  return signatureToDer(r, s);
}

/** Strict DER decoding: minimal lengths and integers, no trailing bytes, r and s in [1, n−1]. */
export function fromDer(der: Uint8Array): EcdsaSignature {
  abytes(der, 'der');
  const { r, s } = parseSignature(der, 'der');
  aSig(r, s);
  return { r, s };
}

/** 64-byte r‖s (big-endian, 32 bytes each). */
export function toCompact64(r: bigint, s: bigint): Uint8Array {
  aSig(r, s);
  return concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32));
}

/**
 * 65-byte r‖s‖v with the raw recovery id v ∈ {0, 1} — the default form (what `ecrecover`-style
 * libraries call "yParity"). For the Ethereum personal_sign / eth_sign form (v ∈ {27, 28}) use
 * `toEthSignature`.
 */
export function toCompact65(r: bigint, s: bigint, v: number): Uint8Array {
  aSig(r, s);
  return concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32), Uint8Array.of(aRecovery(v, 'v', 1)));
}

/** 65-byte r‖s‖(27 + v): the signature `personal_sign` / `eth_signTypedData` return. */
export function toEthSignature(r: bigint, s: bigint, v: number): Uint8Array {
  aSig(r, s);
  return concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32), Uint8Array.of(27 + aRecovery(v, 'v', 1)));
}

/** Parse 65-byte r‖s‖v with v ∈ {0, 1, 27, 28} (either form) into (r, s, recovery ∈ {0, 1}). */
export function fromCompact65(sig: Uint8Array): RecoverableSignature {
  abytes(sig, 'signature', 65);
  const r = bytesToNumberBE(sig.subarray(0, 32));
  const s = bytesToNumberBE(sig.subarray(32, 64));
  aSig(r, s);
  const v = sig[64]!;
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) fail('INVALID_SIGNATURE', `signature: v must be 0, 1, 27 or 28, got ${v}`);
  return { r, s, recovery: v >= 27 ? v - 27 : v };
}

/** Recovery id from v ∈ {0, 1, 27, 28}. */
function recoveryFromV(v: number): number {
  if (v === 27 || v === 28) return v - 27;
  return aRecovery(v, 'v', 1);
}

/** The public key (33-byte SEC1) that (r, s, v) verifies under for `digest`; v ∈ {0, 1, 27, 28}. */
export function recoverPublicKey(digest: Uint8Array, r: bigint, s: bigint, v: number): Uint8Array {
  abytes(digest, 'digest', 32);
  aSig(r, s);
  return pointToBytes(curveRecover(r, s, recoveryFromV(v), digest), true);
}

/** The 20 address bytes of a public key: the last 20 bytes of keccak256(x‖y). */
export function ethAddressBytes(publicKey: Uint8Array | Point): Uint8Array {
  const uncompressed = pointToBytes(asPoint(publicKey, 'publicKey'), false);
  return keccak256(uncompressed.subarray(1)).slice(12);
}

/** EIP-55 mixed-case checksum of 20 address bytes or a 40-hex address (any case, optional 0x). */
export function toChecksumAddress(address: Uint8Array | string): string {
  let lower: string;
  if (address instanceof Uint8Array) {
    lower = bytesToHex(abytes(address, 'address', 20));
  } else {
    if (typeof address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(address)) fail('INVALID_ARGUMENT', 'address: expected 20 bytes or 40 hex characters');
    lower = address.replace(/^0x/, '').toLowerCase();
  }
  const h = bytesToHex(keccak256(utf8ToBytes(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(h[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out;
}

/** EIP-55 checksummed Ethereum address of a secp256k1 public key (33 or 65 bytes, or a point). */
export function ethAddress(publicKey: Uint8Array | Point): string {
  return toChecksumAddress(ethAddressBytes(publicKey));
}

/** The EIP-55 address that signed `digest` with (r, s, v); v ∈ {0, 1, 27, 28}. */
export function recoverAddress(digest: Uint8Array, r: bigint, s: bigint, v: number): string {
  return ethAddress(recoverPublicKey(digest, r, s, v));
}

/**
 * secp256k1 scalars and points. The only module that imports @noble/curves.
 * Decoding validates: points are on the curve and not the identity, scalars are in range.
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { abytes, bytesToHex, bytesToNumberBE, hexToBytes, hexToNumber, numberToBytesBE, toHexPadded, toHexUnpadded } from './bytes.js';
import { fail } from './errors.js';
import { randomBelow, type Rng } from './rng.js';

const PointCons = secp256k1.Point;
export type Point = InstanceType<typeof PointCons>;

/** Group order n. */
export const N: bigint = PointCons.Fn.ORDER;
/** Field prime p. */
export const P_FIELD: bigint = PointCons.Fp.ORDER;
/** Generator G. */
export const G: Point = PointCons.BASE;
/** The identity (only ever an intermediate value; never accepted from input). */
export const IDENTITY: Point = PointCons.ZERO;

/** a mod n in [0, n). */
export function modN(a: bigint): bigint {
  const r = a % N;
  return r < 0n ? r + N : r;
}
/** a⁻¹ mod n (a ≢ 0). */
export function invN(a: bigint): bigint {
  const x = modN(a);
  if (x === 0n) fail('INVALID_SCALAR', 'inverse of zero');
  return PointCons.Fn.inv(x);
}

/** Assert a scalar in [1, n−1] (or [0, n−1] with allowZero). */
export function aScalar(k: unknown, title: string, allowZero = false): bigint {
  if (typeof k !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
  if (k < (allowZero ? 0n : 1n) || k >= N) fail('INVALID_SCALAR', `${title}: scalar out of range`);
  return k;
}

/** Uniform scalar in [1, n−1]. */
export function randomScalar(rng: Rng): bigint {
  return 1n + randomBelow(rng, N - 1n);
}

/** 32 big-endian bytes → scalar in [1, n−1] (or [0, n−1]). */
export function scalarFromBytes(b: Uint8Array, title = 'scalar', allowZero = false): bigint {
  abytes(b, title, 32);
  return aScalar(bytesToNumberBE(b), title, allowZero);
}
export function scalarToBytes(k: bigint): Uint8Array {
  return numberToBytesBE(aScalar(k, 'scalar', true), 32);
}
/** Hex of any padding → scalar, validated. */
export function scalarFromHex(hex: string, title = 'scalar', allowZero = false): bigint {
  return aScalar(hexToNumber(hex, title), title, allowZero);
}

function checkPoint(p: Point, title: string): Point {
  if (p.is0()) fail('INVALID_POINT', `${title}: identity point`);
  try {
    p.assertValidity();
  } catch {
    fail('INVALID_POINT', `${title}: not on the curve`);
  }
  return p;
}

/**
 * Recently decoded points by their SEC1 hex: a protocol decodes the same public points (Γ, X_j,
 * Δ_j, R…) in several rounds, and each decoding of a compressed point costs a square root mod p.
 * Only points that passed the checks are kept (points are immutable); bounded, cleared when full.
 */
const decoded = new Map<string, Point>();
const DECODED_MAX = 256;

/** SEC1 (33 or 65 bytes) → point; rejects off-curve and the identity. */
export function pointFromBytes(b: Uint8Array, title = 'point'): Point {
  abytes(b, title, [33, 65]);
  const key = bytesToHex(b);
  const hit = decoded.get(key);
  if (hit !== undefined) return hit;
  let p: Point;
  try {
    p = PointCons.fromBytes(b);
  } catch {
    return fail('INVALID_POINT', `${title}: invalid SEC1 encoding`);
  }
  checkPoint(p, title);
  if (decoded.size >= DECODED_MAX) decoded.clear();
  decoded.set(key, p);
  return p;
}
export function pointFromHex(hex: string, title = 'point'): Point {
  return pointFromBytes(hexToBytes(hex, title), title);
}
/** Affine coordinates (any hex padding, as `Point.toJSON` of the peer writes) → point, validated. */
export function pointFromXY(x: bigint, y: bigint, title = 'point'): Point {
  if (typeof x !== 'bigint' || typeof y !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint coordinates`);
  if (x < 0n || x >= P_FIELD || y < 0n || y >= P_FIELD) fail('INVALID_POINT', `${title}: coordinate not in [0, p)`);
  let p: Point;
  try {
    p = PointCons.fromAffine({ x, y });
  } catch {
    return fail('INVALID_POINT', `${title}: invalid coordinates`);
  }
  return checkPoint(p, title);
}
export function pointToBytes(p: Point, compressed = true): Uint8Array {
  if (p.is0()) fail('INVALID_POINT', 'cannot encode the identity');
  return p.toBytes(compressed);
}
export function pointToHex(p: Point, compressed = true): string {
  return bytesToHex(pointToBytes(p, compressed));
}
/** `{x, y}` as the peer's `Point.toJSON` writes it: unpadded lower-case hex. */
export function pointToJSON(p: Point): { x: string; y: string } {
  const { x, y } = p.toAffine();
  return { x: toHexUnpadded(x), y: toHexUnpadded(y) };
}
/** `{x, y}` with 64-char padded hex (TSS payloads, factorEncs keys). */
export function pointToJSONPadded(p: Point): { x: string; y: string } {
  const { x, y } = p.toAffine();
  return { x: toHexPadded(x), y: toHexPadded(y) };
}
export function pointFromJSON(j: unknown, title = 'point'): Point {
  if (typeof j !== 'object' || j === null) fail('INVALID_JSON', `${title}: expected {x, y}`);
  const { x, y } = j as { x?: unknown; y?: unknown };
  if (typeof x !== 'string' || typeof y !== 'string') fail('INVALID_JSON', `${title}: expected {x, y} hex strings`);
  return pointFromXY(hexToNumber(x, `${title}.x`), hexToNumber(y, `${title}.y`), title);
}
export function pointX(p: Point): bigint {
  return p.toAffine().x;
}
export function pointY(p: Point): bigint {
  return p.toAffine().y;
}

/** k·G, k in [1, n−1]. Constant-time for secret k. */
export function mulG(k: bigint): Point {
  return G.multiply(aScalar(k, 'k'));
}
/** k·G allowing k = 0 (result may be the identity; public data only). */
export function mulGUnsafe(k: bigint): Point {
  const s = modN(k);
  return s === 0n ? IDENTITY : G.multiply(s);
}
/** k·P, k in [0, n−1]; variable time: public scalars only. */
export function mulPublic(p: Point, k: bigint): Point {
  return p.multiplyUnsafe(modN(k));
}
/** k·P for a secret k in [1, n−1] (constant-time ladder). */
export function mulSecret(p: Point, k: bigint): Point {
  return p.multiply(aScalar(k, 'k'));
}

/**
 * a·P + b·Q for public scalars (any integers, reduced mod n); variable time. With P = G the two
 * products run apart (G's precomputed table beats a shared chain); otherwise one Strauss–Shamir
 * chain of doublings serves both (~0.6× two separate products).
 */
export function mulAddPublic(P: Point, a: bigint, Q: Point, b: bigint): Point {
  if (P === G || P.equals(G)) return mulPublic(P, a).add(mulPublic(Q, b));
  return P.mulAddUnsafe(modN(a), Q, modN(b));
}

/** Σ kᵢ·Pᵢ for public scalars. */
export function msm(points: readonly Point[], scalars: readonly bigint[]): Point {
  if (points.length !== scalars.length) fail('INVALID_ARGUMENT', 'msm: length mismatch');
  let acc = IDENTITY;
  for (let i = 0; i < points.length; i++) acc = acc.add(points[i]!.multiplyUnsafe(modN(scalars[i]!)));
  return acc;
}

/** Public key (SEC1) of a 32-byte secret. */
export function getPublicKey(secret: Uint8Array, compressed = true): Uint8Array {
  return pointToBytes(mulG(scalarFromBytes(secret, 'secret')), compressed);
}

/** ECDH: x-coordinate of secret·P as a bigint. */
export function ecdhX(secret: bigint, p: Point): bigint {
  return pointX(mulSecret(p, secret));
}

export type SigFormat = 'der' | 'compact' | 'recovered';

/** ECDSA over a 32-byte digest (RFC 6979 nonces). `lowS` defaults to true. */
export function ecdsaSignDigest(digest: Uint8Array, secret: bigint, opts: { lowS?: boolean; format?: SigFormat } = {}): Uint8Array {
  abytes(digest, 'digest', 32);
  return secp256k1.sign(digest, numberToBytesBE(aScalar(secret, 'secret'), 32), {
    prehash: false,
    lowS: opts.lowS ?? true,
    format: opts.format ?? 'compact',
  });
}

/** Verify ECDSA over a 32-byte digest. High-S is accepted unless `lowS` is set. */
export function ecdsaVerifyDigest(sig: Uint8Array, digest: Uint8Array, pub: Point, opts: { lowS?: boolean; format?: 'der' | 'compact' } = {}): boolean {
  abytes(digest, 'digest', 32);
  try {
    return secp256k1.verify(sig, digest, pointToBytes(pub, true), {
      prehash: false,
      lowS: opts.lowS ?? false,
      format: opts.format ?? (sig.length === 64 ? 'compact' : 'der'),
    });
  } catch {
    return false;
  }
}

/** Parse a signature into (r, s). */
export function parseSignature(sig: Uint8Array, format: 'der' | 'compact'): { r: bigint; s: bigint } {
  try {
    const s = secp256k1.Signature.fromBytes(sig, format);
    return { r: s.r, s: s.s };
  } catch {
    return fail('INVALID_SIGNATURE', 'malformed signature');
  }
}

/** Encode (r, s) as DER. */
export function signatureToDer(r: bigint, s: bigint): Uint8Array {
  return new secp256k1.Signature(r, s).toBytes('der');
}

/** Recover the public key from a compact (r, s) plus recovery id over a digest. */
export function recoverPublicKey(r: bigint, s: bigint, recovery: number, digest: Uint8Array): Point {
  try {
    return new secp256k1.Signature(r, s, recovery).recoverPublicKey(digest) as Point;
  } catch {
    return fail('INVALID_SIGNATURE', 'cannot recover a public key');
  }
}

/**
 * ed25519 public point of a 32-byte seed (RFC 8032 key expansion) as "04"‖x‖y, 32-byte big-endian
 * coordinates: tKey's `generalStore.ed25519Seed.publicKey` (elliptic's uncompressed-style encoding).
 */
export function ed25519PublicKeyFromSeed(seed: Uint8Array): string {
  const { x, y } = ed25519.utils.getExtendedPublicKey(abytes(seed, 'seed', 32)).point.toAffine();
  return '04' + toHexPadded(x) + toHexPadded(y);
}

/**
 * Membership and range predicates shared by the verifiers, and the modulus sanity checks.
 * All operate on public data.
 * @module
 */
import { bitLength, gcd, primeBatches, primesBelow, smallestFactorIn } from '../bigint/arith.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import { randomBelow, type Rng } from '../rng.js';
import { pow2, type ZkProfile } from './params.js';
import { reject, type Verdict } from './verdict.js';

/** x ∈ Z*_N: 0 < x < N and gcd(x, N) = 1. */
export function isUnit(x: bigint, N: bigint): boolean {
  return typeof x === 'bigint' && x > 0n && x < N && gcd(x, N) === 1n;
}
/** x ∈ Z*_{N²}: 0 < x < N² and gcd(x, N) = 1. */
export function isUnitN2(x: bigint, N: bigint, N2: bigint): boolean {
  return typeof x === 'bigint' && x > 0n && x < N2 && gcd(x, N) === 1n;
}
/**
 * A ring-Pedersen commitment: a unit in (1, N̂). `coprime`: the caller's `allCoprime(list, N)`
 * over a list holding x returned true, so gcd(x, N) = 1 is already known (the range is still checked).
 */
export function isRpElement(x: bigint, N: bigint, coprime = false): boolean {
  return x !== 1n && (coprime ? typeof x === 'bigint' && x > 0n && x < N : isUnit(x, N));
}

/**
 * gcd(x, N) = 1 for every x in `xs`, by one gcd of Π x mod N (a prime r | N divides the product
 * iff it divides some x). Exact; on false the caller checks one by one to name the offender.
 */
export function allCoprime(xs: readonly bigint[], N: bigint): boolean {
  let acc = 1n;
  for (const x of xs) {
    if (typeof x !== 'bigint') return false;
    acc = (acc * (x % N)) % N;
  }
  return gcd(acc, N) === 1n;
}
/** |x| ≤ bound. */
export function inSigned(x: bigint, bound: bigint): boolean {
  return x >= -bound && x <= bound;
}
/** ±2^bits */
export function signedRange(bits: number): bigint {
  return pow2(bits);
}

/** The profile's size window for a Paillier / ring-Pedersen modulus. */
export function checkModulusSize(N: bigint, profile: ZkProfile): Verdict | null {
  if (N <= 0n) return reject('MODULUS_TOO_SMALL', 'N ≤ 0');
  const b = bitLength(N);
  if (b < profile.minModulusBits) return reject('MODULUS_TOO_SMALL', `${b} bits < ${profile.minModulusBits}`);
  if (b > profile.maxModulusBits) return reject('MODULUS_TOO_LARGE', `${b} bits > ${profile.maxModulusBits}`);
  return null;
}

/** Primes below 2^16 (trial division of peer moduli: BitForge uses ~16-bit factors). */
export const PRIMES_16: readonly number[] = primesBelow(1 << 16);

// products of consecutive primes < 2^16, each < 2^48 so the reduction fits a double exactly
const PRIME_BATCHES = primeBatches(PRIMES_16, 2 ** 48);

/** The smallest prime factor of N below 2^16, or 0 if none (N > 2^16). */
export function smallFactor(N: bigint): number {
  return smallestFactorIn(N, PRIME_BATCHES);
}

/** ⌊N^(1/k)⌋ by Newton's method (N ≥ 0, k ≥ 2). */
export function iroot(N: bigint, k: number): bigint {
  if (N < 2n) return N;
  const K = BigInt(k);
  const K1 = K - 1n;
  let x = 1n << BigInt(Math.ceil(bitLength(N) / k)); // x ≥ N^(1/k)
  for (;;) {
    const y = (K1 * x + N / x ** K1) / K;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * True when N = r^k for some k ≥ 2. With every prime factor ≥ 2^16 (checked first), r ≥ 2^16 and
 * k ≤ bitlen(N)/16, so only prime k up to that bound need testing.
 */
export function isPerfectPower(N: bigint): boolean {
  const maxK = Math.max(2, Math.floor(bitLength(N) / 16));
  for (const k of PRIMES_16) {
    if (k > maxK) break;
    const r = iroot(N, k);
    if (r ** BigInt(k) === N) return true;
  }
  return false;
}

/** Integer ⌈√N⌉ as a power of two bound: 2^⌈bitlen(N)/2⌉ ≥ √N (the Πfac range unit). */
export function sqrtBound(N: bigint): bigint {
  return pow2(Math.ceil(bitLength(N) / 2));
}

/** Uniform integer in [−B, B]. */
export function randomSigned(rng: Rng, B: bigint): bigint {
  return randomBelow(rng, 2n * B + 1n) - B;
}
/** Uniform unit of Z*_N. */
export function randomUnit(rng: Rng, N: bigint): bigint {
  for (;;) {
    const r = randomBelow(rng, N);
    if (r > 0n && gcd(r, N) === 1n) return r;
  }
}

/**
 * Index of the first x_i ∉ Z*_N, or −1 when all are units. One gcd for the whole batch:
 * a prime r | N divides (Π x_i mod N) iff it divides some x_i.
 */
export function firstNonUnit(xs: readonly bigint[], N: bigint): number {
  let acc = 1n;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (typeof x !== 'bigint' || x <= 0n || x >= N) return i;
    acc = (acc * x) % N;
  }
  if (gcd(acc, N) === 1n) return -1;
  for (let i = 0; i < xs.length; i++) if (gcd(xs[i]!, N) !== 1n) return i;
  return -1; // unreachable: the product shares a factor with N only if some x_i does
}

/**
 * The Paillier verification equation (1+N)^z · w^N ≟ A · C^e (mod N²), i.e. enc(z; w) = A·C^e,
 * for w ∈ Z*_N and A, C ∈ Z*_{N²} (checked by the caller). z is any integer (reduced mod N).
 */
export function encEquals(key: PaillierPublicKey, z: bigint, w: bigint, A: bigint, C: bigint, e: bigint): boolean {
  const n = key.n;
  return powsEqual(key, key.encryptWithNonce(((z % n) + n) % n, w), [], A, [[C, e]]);
}

/**
 * L · Π b_i^x_i ≟ R · Π c_j^y_j (mod N²) for L, R ∈ [0, N²) and bases in Z*_{N²} (checked by the
 * caller), public exponents. A negative exponent changes side (b^x = R' ⇔ 1 = R'·b^|x| for a unit
 * b): the same equation, with no inverse mod N² (a 4096-bit extended gcd) ever computed.
 */
export function powsEqual(
  key: PaillierPublicKey,
  L: bigint,
  left: readonly (readonly [bigint, bigint])[],
  R: bigint,
  right: readonly (readonly [bigint, bigint])[],
): boolean {
  const n2 = key.n2;
  let l = L;
  let r = R;
  for (const [b, x] of left) {
    if (x < 0n) r = (r * key.powPublic(b, -x)) % n2;
    else l = (l * key.powPublic(b, x)) % n2;
  }
  for (const [c, y] of right) {
    if (y < 0n) l = (l * key.powPublic(c, -y)) % n2;
    else r = (r * key.powPublic(c, y)) % n2;
  }
  return l === r;
}

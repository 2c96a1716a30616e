/**
 * Integer arithmetic on native bigint: reduction, gcd, inverse, Jacobi symbol, Miller–Rabin.
 * Portable (no platform APIs). Public data unless a function says otherwise: none of these is
 * constant-time (JS BigInt is not), see README.bigint.md.
 * @module
 */
import { fail } from '../errors.js';
import { cryptoRng, randomInRange, type Rng } from '../rng.js';
import { modPowSecret } from './modexp.js';

function abig(value: unknown, title: string): bigint {
  if (typeof value !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
  return value;
}

/** A modulus: a positive bigint (INVALID_MODULUS otherwise). */
function apositive(value: unknown, title: string): bigint {
  const v = abig(value, title);
  if (v <= 0n) fail('INVALID_MODULUS', `${title}: must be positive`);
  return v;
}

/** a mod m in [0, m) for any sign of a (m > 0). */
export function mod(a: bigint, m: bigint): bigint {
  abig(a, 'a');
  apositive(m, 'm');
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Absolute value. */
export function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

const LEHMER_MIN = 1n << 128n;

/**
 * One step of Lehmer's algorithm (Knuth 4.5.2 L) on a ≥ b > 2^128: Euclid simulated on the top 52
 * bits gives the cosequence matrix [[A, B], [C, D]] (B = 0: no progress, take a full division step).
 */
function lehmerMatrix(a: bigint, b: bigint): [number, number, number, number] {
  const s = BigInt(Math.max(bitLength(a) - 52, 0));
  let x = Number(a >> s);
  let y = Number(b >> s);
  let A = 1;
  let B = 0;
  let C = 0;
  let D = 1;
  for (;;) {
    if (y + C === 0 || y + D === 0) break;
    const q = Math.floor((x + A) / (y + C));
    if (q !== Math.floor((x + B) / (y + D))) break;
    let t = A - q * C;
    A = C;
    C = t;
    t = B - q * D;
    B = D;
    D = t;
    t = x - q * y;
    x = y;
    y = t;
  }
  return [A, B, C, D];
}

/** Greatest common divisor, always ≥ 0 (gcd(0, 0) = 0). Lehmer's algorithm for large operands. */
export function gcd(a: bigint, b: bigint): bigint {
  abig(a, 'a');
  abig(b, 'b');
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  if (a < b) [a, b] = [b, a];
  while (b > LEHMER_MIN) {
    const [A, B, C, D] = lehmerMatrix(a, b);
    if (B === 0) {
      const t = a % b;
      a = b;
      b = t;
    } else {
      const na = BigInt(A) * a + BigInt(B) * b;
      b = BigInt(C) * a + BigInt(D) * b;
      a = na;
    }
  }
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Least common multiple (≥ 0). */
export function lcm(a: bigint, b: bigint): bigint {
  if (a === 0n || b === 0n) return 0n;
  return abs((a / gcd(a, b)) * b);
}

/**
 * Extended Euclid (Lehmer) on (m, a) for 0 ≤ a < m: returns [g, x] with a·x ≡ g (mod m),
 * g = gcd(a, m). Invariants: r0 ≡ s0·a, r1 ≡ s1·a (mod m).
 */
function egcd(a: bigint, m: bigint): [bigint, bigint] {
  let r0 = m;
  let r1 = a;
  let s0 = 0n;
  let s1 = 1n;
  while (r1 > LEHMER_MIN) {
    const [A, B, C, D] = lehmerMatrix(r0, r1);
    if (B === 0) {
      const q = r0 / r1;
      let t = r0 - q * r1;
      r0 = r1;
      r1 = t;
      t = s0 - q * s1;
      s0 = s1;
      s1 = t;
    } else {
      const bA = BigInt(A);
      const bB = BigInt(B);
      const bC = BigInt(C);
      const bD = BigInt(D);
      const nr0 = bA * r0 + bB * r1;
      r1 = bC * r0 + bD * r1;
      r0 = nr0;
      const ns0 = bA * s0 + bB * s1;
      s1 = bC * s0 + bD * s1;
      s0 = ns0;
    }
  }
  while (r1 !== 0n) {
    const q = r0 / r1;
    let t = r0 - q * r1;
    r0 = r1;
    r1 = t;
    t = s0 - q * s1;
    s0 = s1;
    s1 = t;
  }
  return [r0, s0];
}

/**
 * Inverse of a modulo m (m ≥ 1), in [0, m). Throws `NOT_INVERTIBLE` when gcd(a, m) ≠ 1.
 * (m = 1: every a is invertible and the result is 0.)
 */
export function modInv(a: bigint, m: bigint): bigint {
  abig(a, 'a');
  apositive(m, 'm');
  if (m === 1n) return 0n;
  const ar = mod(a, m);
  const [g, x] = egcd(ar, m);
  if (g !== 1n) fail('NOT_INVERTIBLE', 'modInv: the value is not invertible modulo m');
  const r = x % m;
  return r < 0n ? r + m : r;
}

/** Jacobi symbol (a/n) ∈ {−1, 0, 1} for odd positive n. */
export function jacobi(a: bigint, n: bigint): -1 | 0 | 1 {
  abig(a, 'a');
  apositive(n, 'n');
  if ((n & 1n) === 0n) fail('INVALID_MODULUS', 'jacobi: n must be odd');
  a = mod(a, n);
  let t: 1 | -1 = 1;
  while (a !== 0n) {
    // strip factors of two: (2/n) = −1 iff n ≡ 3, 5 (mod 8)
    let z = 0;
    while ((a & 1n) === 0n) {
      a >>= 1n;
      z ^= 1;
    }
    if (z) {
      const r8 = n & 7n;
      if (r8 === 3n || r8 === 5n) t = -t as 1 | -1;
    }
    // reciprocity: swap, flip when both ≡ 3 (mod 4)
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = -t as 1 | -1;
    const tmp = a;
    a = n % tmp;
    n = tmp;
  }
  return n === 1n ? t : 0;
}

/** Number of bits of |a| (bitLength(0) = 0). */
export function bitLength(a: bigint): number {
  abig(a, 'a');
  if (a < 0n) a = -a;
  if (a === 0n) return 0;
  // toString(16) is linear and fast in V8; refine the top hex digit
  const hex = a.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/** Number of bytes of |a| in minimal big-endian form (bytesLength(0) = 0). */
export function bytesLength(a: bigint): number {
  return Math.ceil(bitLength(a) / 8);
}

/** All primes below `limit` (sieve of Eratosthenes). */
export function primesBelow(limit: number): number[] {
  const sieve = new Uint8Array(limit);
  const out: number[] = [];
  for (let i = 2; i < limit; i++) {
    if (sieve[i]) continue;
    out.push(i);
    for (let j = i * i; j < limit; j += i) sieve[j] = 1;
  }
  return out;
}

/** Consecutive primes grouped so each group's product stays < `maxProd` (≤ 2^53: n mod prod is exact as a double). */
export interface PrimeBatch {
  prod: bigint;
  primes: readonly number[];
}
export function primeBatches(primes: readonly number[], maxProd: number): PrimeBatch[] {
  const out: PrimeBatch[] = [];
  let cur: number[] = [];
  let prod = 1;
  for (const p of primes) {
    if (prod * p > maxProd) {
      out.push({ prod: BigInt(prod), primes: cur });
      cur = [];
      prod = 1;
    }
    cur.push(p);
    prod *= p;
  }
  if (cur.length) out.push({ prod: BigInt(prod), primes: cur });
  return out;
}

/** The smallest prime of `batches` dividing n (n itself excluded), or 0: one bigint reduction per batch. */
export function smallestFactorIn(n: bigint, batches: readonly PrimeBatch[]): number {
  for (const { prod, primes } of batches) {
    const r = Number(n % prod);
    for (const p of primes) if (r % p === 0 && n !== BigInt(p)) return p;
  }
  return 0;
}

/** Odd primes below 2000, for trial division and sieving. */
export const SMALL_PRIMES: readonly number[] = primesBelow(2000).slice(1);

const SMALL_PRIME_PRODUCTS: readonly PrimeBatch[] = primeBatches(SMALL_PRIMES, 2 ** 31);

/** True when n has an odd prime factor below 2000 other than itself. n > 0. */
export function hasSmallFactor(n: bigint): boolean {
  return smallestFactorIn(n, SMALL_PRIME_PRODUCTS) !== 0;
}

/**
 * Miller–Rabin probable-prime test after trial division, `rounds` random bases (default 40,
 * error ≤ 4^−40). Exponentiations run on the constant-time route (`modPowSecret`) because the
 * candidate is usually a secret prime. Public candidates pay a few ms more; that is fine.
 */
export function isProbablePrime(n: bigint, rounds = 40, rng: Rng = cryptoRng): boolean {
  abig(n, 'n');
  if (!Number.isSafeInteger(rounds) || rounds < 1) fail('OUT_OF_RANGE', 'isProbablePrime: rounds must be ≥ 1');
  if (n < 2n) return false;
  if (n < 4n) return true;
  if ((n & 1n) === 0n) return false;
  if (n < 2000n) return SMALL_PRIMES.includes(Number(n));
  if (hasSmallFactor(n)) return false;
  const n1 = n - 1n;
  let d = n1;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let i = 0; i < rounds; i++) {
    const a = randomInRange(rng, 2n, n - 1n);
    let x = modPowSecret(a, d, n);
    if (x === 1n || x === n1) continue;
    let composite = true;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n1) {
        composite = false;
        break;
      }
      if (x === 1n) break;
    }
    if (composite) return false;
  }
  return true;
}

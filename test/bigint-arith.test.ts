import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitLength, bytesLength, gcd, hasSmallFactor, isProbablePrime, jacobi, lcm, mod, modInv } from '../src/bigint/arith.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';

const big = (bits: number) => fc.bigInt({ min: -(1n << BigInt(bits)), max: 1n << BigInt(bits) });

/** Legendre symbol by Euler's criterion (reference for jacobi). */
function legendre(a: bigint, p: bigint): number {
  const x = ((a % p) + p) % p;
  if (x === 0n) return 0;
  let r = 1n;
  let b = x;
  let e = (p - 1n) / 2n;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % p;
    b = (b * b) % p;
    e >>= 1n;
  }
  return r === 1n ? 1 : -1;
}
/** Jacobi by factoring a small odd n (reference). */
function jacobiRef(a: bigint, n: bigint): number {
  let r = 1;
  let m = n;
  for (let p = 3n; p * p <= m; p += 2n) {
    while (m % p === 0n) {
      r *= legendre(a, p);
      m /= p;
    }
  }
  if (m > 1n) r *= legendre(a, m);
  return r;
}

describe('mod / gcd / lcm / modInv', () => {
  it('mod lands in [0, m) for every sign', () => {
    expect(mod(-1n, 5n)).toBe(4n);
    expect(mod(-10n, 5n)).toBe(0n);
    expect(mod(12n, 5n)).toBe(2n);
    fc.assert(
      fc.property(big(300), fc.bigInt({ min: 1n, max: 1n << 200n }), (a, m) => {
        const r = mod(a, m);
        return r >= 0n && r < m && (a - r) % m === 0n;
      }),
    );
  });
  it('mod rejects a non-positive modulus', () => {
    expect(() => mod(3n, 0n)).toThrow(/INVALID_MODULUS/);
    expect(() => mod(3n, -7n)).toThrow(/INVALID_MODULUS/);
    expect(() => modInv(3n, 0n)).toThrow(/INVALID_MODULUS/);
  });
  it('gcd known values and properties', () => {
    expect(gcd(0n, 0n)).toBe(0n);
    expect(gcd(0n, 7n)).toBe(7n);
    expect(gcd(-12n, 18n)).toBe(6n);
    expect(gcd(2n ** 64n, 2n ** 40n * 3n)).toBe(2n ** 40n);
    expect(gcd(1071n, 462n)).toBe(21n);
    expect(lcm(4n, 6n)).toBe(12n);
    fc.assert(
      fc.property(big(200), big(200), (a, b) => {
        const g = gcd(a, b);
        if (g === 0n) return a === 0n && b === 0n;
        return a % g === 0n && b % g === 0n && gcd(a / g, b / g) === 1n;
      }),
    );
  });
  it('modInv inverts units and names non-units', () => {
    expect(modInv(3n, 11n)).toBe(4n);
    expect(modInv(-3n, 11n)).toBe(7n);
    expect(modInv(5n, 1n)).toBe(0n);
    fc.assert(
      fc.property(big(256), fc.bigInt({ min: 2n, max: 1n << 256n }), (a, m) => {
        if (gcd(a, m) !== 1n) {
          try {
            modInv(a, m);
            return false;
          } catch (e) {
            return isTkeyTssError(e, 'NOT_INVERTIBLE');
          }
        }
        const x = modInv(a, m);
        return x >= 0n && x < m && mod(a * x, m) === 1n;
      }),
    );
    expect(() => modInv(6n, 9n)).toThrow(/NOT_INVERTIBLE/);
    expect(() => modInv(0n, 9n)).toThrow(/NOT_INVERTIBLE/);
  });
  it('Lehmer gcd / modInv on large operands (up to 4200 bits) against plain Euclid', () => {
    const euclid = (a: bigint, b: bigint): bigint => {
      a = a < 0n ? -a : a;
      b = b < 0n ? -b : b;
      while (b) [a, b] = [b, a % b];
      return a;
    };
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 4200n }),
        fc.bigInt({ min: 0n, max: 1n << 4200n }),
        fc.bigInt({ min: 1n, max: 1n << 700n }),
        (a, b, g) => {
          expect(gcd(a * g, b * g)).toBe(euclid(a * g, b * g));
          expect(gcd(a, b >> 2000n)).toBe(euclid(a, b >> 2000n));
          const m = b | 1n;
          if (m > 1n && euclid(a, m) === 1n) expect(mod(a * modInv(a, m), m)).toBe(1n);
          else if (m > 1n) expect(() => modInv(a, m)).toThrow(/NOT_INVERTIBLE/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('jacobi', () => {
  it('matches known values', () => {
    expect(jacobi(1001n, 9907n)).toBe(-1);
    expect(jacobi(19n, 45n)).toBe(1);
    expect(jacobi(8n, 21n)).toBe(-1);
    expect(jacobi(5n, 21n)).toBe(1);
    expect(jacobi(0n, 1n)).toBe(1);
    expect(jacobi(0n, 9n)).toBe(0);
    expect(jacobi(30n, 7n)).toBe(1);
    expect(jacobi(-1n, 7n)).toBe(-1); // 7 ≡ 3 mod 4
    expect(jacobi(-1n, 13n)).toBe(1);
  });
  it('matches the product of Legendre symbols on small odd n', () => {
    for (let n = 1n; n < 200n; n += 2n) for (let a = -30n; a < 230n; a += 7n) expect(jacobi(a, n)).toBe(jacobiRef(a, n) || 0);
  });
  it('is multiplicative in a on big moduli', () => {
    const n = (1n << 521n) - 1n;
    fc.assert(fc.property(big(600), big(600), (a, b) => jacobi(a * b, n) === jacobi(a, n) * jacobi(b, n)));
  });
  it('rejects even or non-positive n', () => {
    expect(() => jacobi(3n, 10n)).toThrow(/INVALID_MODULUS/);
    expect(() => jacobi(3n, -7n)).toThrow(/INVALID_MODULUS/);
  });
});

describe('bitLength / bytesLength', () => {
  it('known values', () => {
    expect(bitLength(0n)).toBe(0);
    expect(bitLength(1n)).toBe(1);
    expect(bitLength(255n)).toBe(8);
    expect(bitLength(256n)).toBe(9);
    expect(bitLength(-256n)).toBe(9);
    expect(bytesLength(0n)).toBe(0);
    expect(bytesLength(255n)).toBe(1);
    expect(bytesLength(256n)).toBe(2);
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 1n << 3000n }), (a) => bitLength(a) === a.toString(2).length));
  });
});

describe('isProbablePrime (Miller–Rabin)', () => {
  const rng = seededRng('mr');
  it('accepts primes', () => {
    for (const p of [2n, 3n, 5n, 1999n, 2003n, 7919n, (1n << 61n) - 1n, (1n << 127n) - 1n, (1n << 521n) - 1n, (1n << 607n) - 1n]) {
      expect(isProbablePrime(p, 20, rng)).toBe(true);
    }
  });
  it('rejects composites, Carmichael numbers and strong pseudoprimes', () => {
    const bad = [0n, 1n, 4n, 561n, 1105n, 41041n, 825265n, 321197185n, 2047n, 3215031751n, 3825123056546413051n, (1n << 521n) - 3n, ((1n << 127n) - 1n) * ((1n << 61n) - 1n)];
    for (const n of bad) expect(isProbablePrime(n, 20, rng)).toBe(false);
    // a 2048-bit product of two known primes, no small factors
    expect(isProbablePrime(((1n << 1279n) - 1n) * ((1n << 607n) - 1n), 5, rng)).toBe(false);
  });
  it('trial division', () => {
    expect(hasSmallFactor(3n * ((1n << 127n) - 1n))).toBe(true);
    expect(hasSmallFactor((1n << 127n) - 1n)).toBe(false);
    expect(hasSmallFactor(1999n)).toBe(false);
  });
});

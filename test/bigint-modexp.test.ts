import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { modInv } from '../src/bigint/arith.js';
import {
  chooseBackend,
  CrtContext,
  FixedBaseTable,
  FixedExponent,
  modPow,
  modPowCrt,
  modPowSecret,
  multiModPow,
  nativeAvailable,
  setModexpBackend,
  setModexpObserver,
  type ModexpSample,
} from '../src/bigint/modexp.js';
import { dhModulus, dhPkcs8Pow, dhPow, rsaFeasible, rsaPow, setNativeForTesting } from '../src/bigint/native.js';
import { modPowLadder, modPowPortable, multiModPowPortable, PortableFixedBase } from '../src/bigint/portable.js';
import { wasmKernel } from '../src/bigint/wasm/kernel.js';
import { testPrimePairs } from './helpers/test-primes.js';

/** Reference: binary square-and-multiply, right to left, with a negative exponent as inverse. */
function ref(b: bigint, e: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  b = ((b % m) + m) % m;
  if (e < 0n) {
    b = modInv(b, m);
    e = -e;
  }
  let r = 1n;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

function bitsOf(x: bigint): number {
  return x.toString(2).length;
}

/** Random odd modulus of exactly `bits` bits, arbitrary exponent and base, from fast-check. */
const oddModulus = (minBits: number, maxBits: number) =>
  fc.integer({ min: minBits, max: maxBits }).chain((bits) =>
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits - 1)) - 1n }).map((x) => (1n << BigInt(bits - 1)) | x | 1n),
  );

afterEach(() => {
  setModexpBackend('auto');
  setNativeForTesting(true);
});

describe('modexp backends agree', () => {
  it('native routes are present in Node', () => {
    expect(nativeAvailable()).toBe(true);
  });

  it('edge cases on every path', () => {
    const ms = [1n, 2n, 3n, 10n, 65537n, (1n << 127n) - 1n, (1n << 511n) + 1n, (1n << 512n) + 1n, (1n << 2048n) - 159n, (1n << 2048n) - 160n];
    const specials = (m: bigint) => [0n, 1n, 2n, m - 1n, m, m + 1n, -1n, -m - 3n, 3n * m + 5n];
    const exps = [0n, 1n, 2n, 3n, 65537n, (1n << 64n) - 1n, 1n << 64n, (1n << 2048n) + 12345n];
    for (const backend of ['auto', 'portable', 'bigint', 'native'] as const) {
      setModexpBackend(backend);
      for (const m of ms) {
        for (const b of specials(m)) {
          for (const e of exps) {
            const want = ref(b, e, m);
            expect(modPow(b, e, m), `${backend} ${b}^${e} mod ${m}`).toBe(want);
            expect(modPowSecret(b, e, m), `${backend} secret ${b}^${e} mod ${m}`).toBe(want);
          }
        }
      }
    }
  });

  it('negative exponents are inverse powers; non-units throw NOT_INVERTIBLE on every backend', () => {
    const m = (1n << 1024n) - 105n; // odd
    for (const backend of ['auto', 'portable', 'bigint', 'native'] as const) {
      setModexpBackend(backend);
      expect(modPow(7n, -5n, m)).toBe(ref(7n, -5n, m));
      expect(modPowSecret(7n, -(1n << 300n), m)).toBe(ref(7n, -(1n << 300n), m));
      expect(() => modPow(6n, -1n, 9n)).toThrow(/NOT_INVERTIBLE/);
      expect(() => modPowSecret(0n, -1n, m)).toThrow(/NOT_INVERTIBLE/);
    }
  });

  it('rejects bad moduli and non-bigint arguments', () => {
    expect(() => modPow(2n, 3n, 0n)).toThrow(/INVALID_MODULUS/);
    expect(() => modPowSecret(2n, 3n, -5n)).toThrow(/INVALID_MODULUS/);
    expect(() => modPow(2 as unknown as bigint, 3n, 5n)).toThrow(/INVALID_ARGUMENT/);
    expect(() => multiModPow([[2n, 3n, 4n] as unknown as [bigint, bigint]], 7n)).toThrow(/INVALID_ARGUMENT/);
  });

  it('property: portable = ladder = wasm kernel (public, secret) = RSA route = DH route = auto (random sizes 512–4200 bits)', () => {
    const kernel = wasmKernel()!;
    fc.assert(
      fc.property(oddModulus(512, 4200), fc.bigInt({ min: 0n, max: 1n << 4300n }), fc.bigInt({ min: 1n, max: 1n << 2200n }), (m, b0, e) => {
        const b = b0 % m;
        const want = modPowPortable(b, e, m);
        expect(modPowLadder(b, e, m, bitsOf(m))).toBe(want);
        expect(kernel.pow(b, e, m, false)).toBe(want);
        expect(kernel.pow(b, e, m, true)).toBe(want);
        expect(modPow(b, e, m)).toBe(want);
        expect(modPowSecret(b, e, m)).toBe(want);
        if (b > 1n) {
          expect(dhPow(b, e, m)).toBe(want);
          expect(dhPkcs8Pow(b, e, m)).toBe(want);
          if (e > 1n && rsaFeasible(e, m, bitsOf(m), bitsOf(e))) expect(rsaPow(b, e, m, bitsOf(m), bitsOf(e))).toBe(want);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('property: small and even moduli (portable only) agree with the reference', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1n << 600n }), fc.bigInt({ min: -(1n << 700n), max: 1n << 700n }), fc.bigInt({ min: 0n, max: 1n << 700n }), (m, b, e) => {
        const want = ref(b, e, m);
        for (const backend of ['auto', 'bigint'] as const) {
          setModexpBackend(backend);
          expect(modPow(b, e, m)).toBe(want);
          expect(modPowSecret(b, e, m)).toBe(want);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('RSA route: OpenSSL limits and exponents just above the modulus', () => {
    const m3 = ((1n << 3072n) - 1103n) | 1n;
    const m4 = ((1n << 4096n) - 2003n) | 1n;
    const m2 = (1n << 2048n) - 159n;
    expect(rsaFeasible(m4 - 2n, m4, 4096, 4096)).toBe(false); // > 64-bit exponent above 3072 bits
    expect(rsaFeasible((1n << 64n) - 1n, m4, 4096, 64)).toBe(true);
    expect(rsaFeasible(m2 << 64n, m2, 2048, 2048 + 64)).toBe(false); // excess over 64 bits
    expect(rsaFeasible(m2 + 1n, m2 + 1n, 2048, 2048)).toBe(false); // even modulus
    for (const [m, e] of [
      [m3, m3],
      [m3, m3 + 12345n],
      [m2, m2],
      [m2, (m2 << 63n) + 5n],
      [m2, m2 << 63n],
      [m4, (1n << 64n) - 1n],
      [m4, 1n << 63n],
    ] as const) {
      const b = 0x1234567890abcdefn ** 20n % m;
      expect(rsaFeasible(e, m, bitsOf(m), bitsOf(e))).toBe(true);
      expect(rsaPow(b, e, m, bitsOf(m), bitsOf(e))).toBe(modPowPortable(b, e, m));
    }
  });

  it('DH route: padded moduli keep the result and skip OpenSSL\'s prime check', () => {
    const { p, q } = testPrimePairs(1024)[0]!;
    for (const m of [p, p * p, p * q, (p * q) ** 2n]) {
      const mm = dhModulus(m, bitsOf(m));
      expect(mm % m).toBe(0n);
      expect(mm % 3n).toBe(0n);
      expect(bitsOf(mm) % 512 === 0 || bitsOf(mm) % 512 === 511).toBe(true);
      const e = (m >> 3n) + 7n;
      expect(dhPow(65537n, e, m)).toBe(modPowPortable(65537n, e, m));
      expect(dhPow(m - 1n, e, m)).toBe(modPowPortable(m - 1n, e, m));
      expect(dhPkcs8Pow(m - 1n, e, m)).toBe(modPowPortable(m - 1n, e, m));
      expect(dhPkcs8Pow(2n, m + e, m)).toBe(modPowPortable(2n, m + e, m));
    }
    const small = 15n * ((1n << 1020n) + 1n); // has small factors: used as is
    expect(dhModulus(small, bitsOf(small))).toBe(small);
  });

  it('backend choice follows the thresholds', () => {
    const m2 = (1n << 2048n) - 159n;
    const m4 = m2 * m2;
    expect(chooseBackend(m2 - 2n, m2)).toBe('native-rsa');
    expect(chooseBackend(m2, m2)).toBe('native-rsa'); // e = m: one call for e >> 1, one squaring
    expect(chooseBackend(m2 << 100n, m2)).toBe('native-dh'); // far above m
    expect(chooseBackend(m2, m4)).toBe('native-dh'); // > 64-bit exponent mod 4096 bits
    expect(chooseBackend(m2, m4, true)).toBe('native-dh');
    expect(chooseBackend(3n, m2, true)).toBe('native-dh'); // secret exponents never go portable in Node
    expect(chooseBackend(3n, m2 + 1n, true)).toBe('portable'); // even modulus: the ladder
    expect(chooseBackend(3n, m2)).toBe('portable'); // tiny exponent
    expect(chooseBackend(0xffffn, (1n << 1024n) - 105n)).toBe('portable'); // 16-bit exponent, 1024-bit modulus
    expect(chooseBackend(0x1ffffn, (1n << 1024n) - 105n)).toBe('native-rsa');
    expect(chooseBackend(m2, m2 + 1n)).toBe('portable'); // even modulus
    expect(chooseBackend(m2, (1n << 300n) + 1n)).toBe('portable'); // under 512 bits
    setModexpBackend('portable');
    expect(chooseBackend(m2 - 2n, m2)).toBe('portable');
  });

  it('works with node:crypto absent (portable only)', () => {
    setNativeForTesting(false);
    expect(nativeAvailable()).toBe(false);
    const m = (1n << 2048n) - 159n;
    expect(chooseBackend(m - 2n, m)).toBe('portable');
    expect(modPow(3n, m - 2n, m)).toBe(ref(3n, m - 2n, m));
    expect(modPowSecret(3n, m - 2n, m)).toBe(ref(3n, m - 2n, m));
  });
});

describe('multi-exponentiation', () => {
  it('equals the product of single powers (both backends, signed exponents)', () => {
    fc.assert(
      fc.property(
        oddModulus(64, 2100),
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 1n << 2100n }), fc.bigInt({ min: -(1n << 1500n), max: 1n << 1500n })), { minLength: 0, maxLength: 5 }),
        (m, pairs) => {
          // negative exponents need units: make each base odd-coprime by retrying with +1
          const ps = pairs.map(([b, e]): [bigint, bigint] => {
            let x = b % m;
            while (e < 0n && (() => { try { modInv(x, m); return false; } catch { return true; } })()) x = (x + 1n) % m;
            return [x, e];
          });
          let want = 1n % m;
          for (const [b, e] of ps) want = (want * ref(b, e, m)) % m;
          setModexpBackend('auto');
          expect(multiModPow(ps, m)).toBe(want);
          setModexpBackend('portable');
          expect(multiModPow(ps, m)).toBe(want);
          setModexpBackend('bigint');
          expect(multiModPow(ps, m)).toBe(want);
        },
      ),
      { numRuns: 40 },
    );
  });
  it('portable interleaving handles zeros and ones', () => {
    const m = 1000003n;
    expect(multiModPowPortable([], m)).toBe(1n);
    expect(multiModPowPortable([[0n, 5n]], m)).toBe(0n);
    expect(multiModPowPortable([[0n, 0n], [1n, 9n], [2n, 10n]], m)).toBe(1024n);
  });
});

describe('fixed-base tables', () => {
  it('pow matches modPow for signed exponents, in range and beyond maxBits', () => {
    const m = (1n << 2048n) - 159n;
    const base = 0xdeadbeefn ** 30n % m;
    for (const backend of ['auto', 'portable', 'bigint'] as const) {
      setModexpBackend(backend);
      const t = new FixedBaseTable(base, m, 800);
      fc.assert(
        fc.property(fc.bigInt({ min: -(1n << 1000n), max: 1n << 1000n }), (e) => {
          expect(t.pow(e)).toBe(ref(base, e, m));
        }),
        { numRuns: 30 },
      );
      expect(t.pow(0n)).toBe(1n);
    }
  });
  it('powSecret matches the reference for signed exponents on every backend; the portable route takes the kernel comb up to maxBits', () => {
    const m = (1n << 2048n) - 159n;
    const base = 0xfeedfacen ** 40n % m;
    const seen: string[] = [];
    setModexpObserver((x) => seen.push(x.route));
    for (const backend of ['auto', 'portable', 'bigint'] as const) {
      setModexpBackend(backend);
      const t = new FixedBaseTable(base, m, 900, 4);
      if (backend === 'portable') t.precompute();
      fc.assert(
        fc.property(fc.bigInt({ min: -(1n << 1000n), max: 1n << 1000n }), (e) => {
          expect(t.powSecret(e)).toBe(ref(base, e, m));
        }),
        { numRuns: 20 },
      );
      expect(t.powSecret(0n)).toBe(1n);
      expect(t.powSecret((1n << 900n) - 1n)).toBe(ref(base, (1n << 900n) - 1n, m));
    }
    expect(seen).toContain('wasm-comb'); // portable, |e| ≤ 900 bits
    expect(seen).toContain('wasm'); // portable, |e| > 900 bits: modPowSecret
    expect(seen).toContain('ladder'); // 'bigint'
  });
  it('portable table directly, several windows', () => {
    const m = (1n << 521n) - 1n;
    for (const w of [1, 3, 4, 6]) {
      const t = new PortableFixedBase(3n, m, 300, w);
      for (const e of [0n, 1n, 2n, (1n << 300n) - 1n, 0x123456789n]) expect(t.pow(e)).toBe(ref(3n, e, m));
    }
  });
  it('negative power of a non-unit throws', () => {
    const t = new FixedBaseTable(3n, 9n, 64);
    expect(t.pow(5n)).toBe(0n);
    expect(() => t.pow(-1n)).toThrow(/NOT_INVERTIBLE/);
  });
});

describe('fixed exponents', () => {
  const { p, q } = testPrimePairs(1024)[5]!;
  it('match modPow on both backends, public and secret, signed', () => {
    const n2 = (p * q) ** 2n;
    for (const backend of ['auto', 'portable', 'bigint'] as const) {
      setModexpBackend(backend);
      for (const [e, m] of [
        [p * q, n2],
        [p - 1n, p * p],
        [-(q - 1n), q * q],
        [0n, p * p],
        [65537n, p * q],
        [q, p],
      ] as const) {
        const fx = new FixedExponent(e, m);
        const fs = new FixedExponent(e, m, { secret: true, primeModulus: m === p });
        for (const b of [0n, 1n, 2n, m - 1n, m - 2n, m + 3n, -5n, 0x1234567890n ** 50n]) {
          let want: bigint;
          try {
            want = ref(b, e, m);
          } catch {
            expect(() => fx.pow(b)).toThrow(/NOT_INVERTIBLE/);
            continue;
          }
          expect(fx.pow(b), `${backend} ${b}^${e}`).toBe(want);
          expect(fs.pow(b)).toBe(want);
        }
      }
    }
  });
  it('results that OpenSSL refuses to return (1 and m − 1) come from the fallback route', () => {
    // Euler's criterion: b^((p−1)/2) mod p is 1 or p − 1 for every unit b
    const fx = new FixedExponent((p - 1n) / 2n, p, { secret: true, primeModulus: true });
    const seen = new Set<bigint>();
    for (let b = 2n; b < 40n; b++) {
      const r = fx.pow(b);
      expect(r).toBe(ref(b, (p - 1n) / 2n, p));
      seen.add(r);
    }
    expect(seen).toEqual(new Set([1n, p - 1n]));
    // Teichmüller elements x^p mod p² have x^(p−1) ≡ 1 mod p²
    const dec = new FixedExponent(p - 1n, p * p, { secret: true });
    expect(dec.pow(ref(12345n, p, p * p))).toBe(1n);
  });
});

describe('CRT', () => {
  const { p, q } = testPrimePairs(1024)[0]!;
  it('mod p·q and mod p²·q² match direct exponentiation (public and secret routes)', () => {
    const n = p * q;
    const n2 = n * n;
    const c2 = new CrtContext([
      [p, 2],
      [q, 2],
    ]);
    expect(c2.m).toBe(n2);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: n2 }), fc.bigInt({ min: -(1n << 2100n), max: 1n << 2100n }), (b, e) => {
        const unit = b % p !== 0n && b % q !== 0n;
        if (e < 0n && !unit) return;
        expect(c2.pow(b, e)).toBe(modPow(b, e, n2));
        expect(c2.pow(b, e, { secret: true })).toBe(modPow(b, e, n2));
        const b1 = b % n;
        if (e >= 0n || (b1 % p !== 0n && b1 % q !== 0n)) expect(modPowCrt(b1, e, p, q)).toBe(modPow(b1, e, n));
      }),
      { numRuns: 15 },
    );
  });
  it('portable route: a base repeated in secret powers takes the kernel comb from its second use (the own trapdoor t), same results, units and non-units', () => {
    const n = p * q;
    const crt = new CrtContext([
      [p, 1],
      [q, 1],
    ]);
    const routes: string[] = [];
    setModexpObserver((x) => routes.push(x.route));
    setModexpBackend('portable');
    const t = (0x1234567n ** 50n) % n;
    const bases = [t, t, 5n, t, 7n, p * 3n, p * 3n, p * 3n, t];
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 2900n), max: 1n << 2900n }), (e) => {
        for (const b of bases) {
          if (e < 0n && b % p === 0n) continue;
          expect(crt.pow(b, e, { secret: true }), `${b}^${e}`).toBe(ref(b, e, n));
        }
      }),
      { numRuns: 6 },
    );
    expect(routes.filter((r) => r === 'wasm-comb').length).toBeGreaterThan(0);
    // the first use of each base went to the windowed secret power
    expect(routes.slice(0, 2)).toEqual(['wasm', 'wasm']);
    setModexpBackend('auto');
    routes.length = 0;
    expect(crt.pow(t, 12345n, { secret: true })).toBe(ref(t, 12345n, n));
    expect(routes).toEqual(['native-dh', 'native-dh']); // Node: OpenSSL's constant-time route, no tables
  });
  it('non-units: multiples of p keep their zero component', () => {
    const n2 = p * p * q * q;
    const c2 = new CrtContext([
      [p, 2],
      [q, 2],
    ]);
    for (const b of [p, p * p, 3n * p * q, q]) for (const e of [0n, 1n, 2n, 5n, p]) expect(c2.pow(b, e)).toBe(ref(b, e, n2));
    expect(() => c2.pow(p, -1n)).toThrow(/NOT_INVERTIBLE/);
  });
  it('rejects equal primes and malformed factors', () => {
    expect(() => new CrtContext([[p, 1], [p, 2]])).toThrow(/INVALID_MODULUS/);
    expect(() => new CrtContext([[p, 0], [q, 1]])).toThrow(/OUT_OF_RANGE/);
    expect(() => new CrtContext([[p, 1]])).toThrow(/INVALID_ARGUMENT/);
  });
});

describe('the profiling observer', () => {
  afterEach(() => {
    setModexpObserver(undefined);
    setModexpBackend('auto');
  });
  it('reports each exponentiation with its route, sizes and secrecy; the BigInt ladder runs over the exponent word length', () => {
    const seen: ModexpSample[] = [];
    setModexpObserver((x) => seen.push(x));
    const m = (1n << 2048n) - 159n;
    const e = (1n << 255n) + 7n;
    setModexpBackend('portable');
    expect(modPow(5n, m - 2n, m)).toBe(modPowPortable(5n, m - 2n, m));
    expect(modPowSecret(5n, e, m)).toBe(modPowPortable(5n, e, m));
    setModexpBackend('bigint');
    expect(modPowSecret(5n, e, m)).toBe(modPowPortable(5n, e, m));
    expect(multiModPow([[3n, 1000n], [5n, 77n]], m)).toBe((modPowPortable(3n, 1000n, m) * modPowPortable(5n, 77n, m)) % m);
    setModexpBackend('auto');
    modPowSecret(5n, e, m);
    expect(seen.map(({ route, mBits, eBits, secret }) => [route, mBits, eBits, secret])).toEqual([
      ['wasm', 2048, 2048, false],
      ['wasm', 2048, 256, true],
      ['ladder', 2048, 256, true],
      ['bigint-multi', 2048, 10, false],
      ['native-dh', 2048, 256, true],
    ]);
    expect(seen.every((x) => x.ms >= 0)).toBe(true);
    setModexpObserver(undefined);
    modPow(5n, m - 2n, m);
    expect(seen).toHaveLength(5);
    expect(() => setModexpObserver(42 as never)).toThrow(/expected a function/);
  });
});

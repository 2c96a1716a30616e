/**
 * The WebAssembly Montgomery kernel (src/bigint/wasm/): the committed bytes are a fresh build of
 * the committed text; both builds (v128 and scalar) agree with BigInt on random operands and edge
 * cases, public and secret forms; the secret form's sequence of products depends on sizes only; the
 * portable route takes the kernel where it serves and BigInt elsewhere (no WebAssembly, a refused
 * synchronous compile, even or small moduli, `setModexpBackend('bigint')`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { modInv } from '../src/bigint/arith.js';
import { choosePortable, modPow, modPowSecret, multiModPow, setModexpBackend } from '../src/bigint/modexp.js';
import { modPowPortable } from '../src/bigint/portable.js';
import { FIXED_TABLES_MAX_BYTES, fixedWindow, limbBits, resetWasmKernel, secretBits, wasmKernel, wasmVariant, type WasmModexp } from '../src/bigint/wasm/kernel.js';
import { bytesModule, KERNELS, WASM_DIR } from '../scripts/build-wasm.js';

const oddModulus = (minBits: number, maxBits: number) =>
  fc.integer({ min: minBits, max: maxBits }).chain((bits) =>
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits - 1)) - 1n }).map((x) => (1n << BigInt(bits - 1)) | x | 1n),
  );

function kernel(scalar: boolean): WasmModexp {
  resetWasmKernel({ scalar });
  const k = wasmKernel();
  if (!k) throw new Error('kernel did not load');
  expect(wasmVariant()).toBe(scalar ? 'scalar' : 'simd');
  return k;
}

afterEach(() => {
  setModexpBackend('auto');
  resetWasmKernel();
});

describe('wasm kernel: build', () => {
  it('the committed bytes equal a fresh build of the committed .wat (npm run build:wasm)', async () => {
    for (const k of KERNELS) expect(readFileSync(join(WASM_DIR, k.out), 'utf8')).toBe(await bytesModule(k.wat));
  });
  it('both builds validate; the module is small enough for a synchronous compile on a page', async () => {
    const mod = await import('../src/bigint/wasm/modexp-wasm.bytes.js');
    for (const b64 of [mod.MODEXP_WASM_SIMD_BASE64, mod.MODEXP_WASM_SCALAR_BASE64]) {
      const bytes = Buffer.from(b64, 'base64');
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(bytes.length).toBeLessThan(4096);
    }
  });
  it('limb width keeps a column of 2s products plus the carry below 2^64', () => {
    for (const bits of [2, 64, 512, 1024, 2048, 2100, 3072, 4096, 4200, 8192, 16384]) {
      const L = limbBits(bits);
      const s = Math.ceil(bits / L);
      const top = (1n << BigInt(L)) - 1n;
      expect(2n * BigInt(s) * top * top + (1n << BigInt(64 - L))).toBeLessThan(1n << 64n);
      expect(L).toBeLessThanOrEqual(28);
    }
    expect(limbBits(2048)).toBe(28);
    expect(limbBits(4096)).toBe(27);
    expect([1, 16, 64, 256, 2048].map(fixedWindow)).toEqual([1, 2, 3, 4, 6]);
  });
});

describe.each([false, true])('wasm kernel (scalar build: %s) agrees with BigInt', (scalar) => {
  it('edge cases: bases 0, 1, 2, m − 1; exponents 1, 2, powers of two, all ones, longer than m; limb-boundary moduli', () => {
    const k = kernel(scalar);
    const ms = [3n, 5n, 65537n, (1n << 127n) - 1n, (1n << 28n) + 1n, (1n << 56n) - 1n, (1n << 2048n) - 1n, (1n << 2048n) - 159n, (1n << 2047n) + 1n, (1n << 4096n) - 1n, (1n << 4104n) - 3n, (1n << 28n * 74n) - 1n];
    for (const m of ms) {
      const bits = m.toString(2).length;
      const big = bits > 1024;
      const exps = big ? [1n, 2n, (1n << BigInt(bits + 7)) - 1n, m - 2n] : [1n, 2n, 3n, 1n << 31n, 1n << 32n, (1n << 33n) - 1n, 1n << BigInt(bits), (1n << BigInt(bits + 7)) - 1n, m - 2n, m, m + 1n];
      for (const b of big ? [0n, 1n, m - 1n, m >> 1n] : [0n, 1n, 2n, m - 1n, m - 2n, m >> 1n]) {
        for (const e of exps) {
          const want = modPowPortable(b, e, m);
          expect(k.pow(b, e, m, false), `${b}^${e} mod ${m}`).toBe(want);
          expect(k.pow(b, e, m, true), `secret ${b}^${e} mod ${m}`).toBe(want);
        }
      }
    }
  });
  it('property: random 512–4200-bit odd moduli, random bases and exponents, public = secret = BigInt', () => {
    const k = kernel(scalar);
    fc.assert(
      fc.property(oddModulus(512, 4200), fc.bigInt({ min: 0n, max: 1n << 4300n }), fc.bigInt({ min: 1n, max: 1n << 2200n }), (m, b0, e) => {
        const b = b0 % m;
        const want = modPowPortable(b, e, m);
        expect(k.pow(b, e, m, false)).toBe(want);
        expect(k.pow(b, e, m, true)).toBe(want);
      }),
      { numRuns: scalar ? 8 : 25 },
    );
  });
  it('property: small odd moduli (3–600 bits)', () => {
    const k = kernel(scalar);
    fc.assert(
      fc.property(oddModulus(2, 600), fc.bigInt({ min: 0n, max: 1n << 700n }), fc.bigInt({ min: 1n, max: 1n << 700n }), (m, b0, e) => {
        const b = b0 % m;
        const want = modPowPortable(b, e, m);
        expect(k.pow(b, e, m, false)).toBe(want);
        expect(k.pow(b, e, m, true)).toBe(want);
      }),
      { numRuns: 100 },
    );
  });
  it('alternating moduli (the per-modulus context is rebuilt) and an exponent that grows memory', () => {
    const k = kernel(scalar);
    const a = (1n << 1024n) - 105n;
    const c = (1n << 130n) - 5n;
    const huge = (1n << 1_100_000n) + 12345n; // 137 KB of exponent words: past the initial 128 KB
    const want = modPowPortable(5n, huge, c);
    for (let i = 0; i < 2; i++) {
      expect(k.pow(3n, a - 2n, a, false)).toBe(modPowPortable(3n, a - 2n, a));
      expect(k.pow(5n, huge, c, false)).toBe(want);
    }
  });
});

describe('wasm kernel: constant-time form', () => {
  // products of the secret form over nbits exponent bits: 2^w table entries, ⌈nbits / w⌉ windows × (w squarings + 1 product), 1 out of Montgomery form
  const secretProducts = (nbits: number): number => {
    const w = fixedWindow(nbits);
    return (1 << w) + Math.ceil(nbits / w) * (w + 1) + 1;
  };
  it('the secret form takes the same number of Montgomery products for every exponent of the same word length', () => {
    const k = kernel(false);
    const m = (1n << 2048n) - 159n;
    for (const [nbits, exps] of [
      [2048, [(1n << 1984n) + 1n, 1n << 2000n, (1n << 2048n) - 1n, m - 2n, 0x5555n << 2030n]],
      [64, [1n, 2n, 3n, 1n << 63n, (1n << 64n) - 1n]],
      [2112, [1n << 2048n, (1n << 2112n) - 1n]],
    ] as const) {
      const counts = new Set<number>();
      for (const e of exps) {
        k.pow(7n, e, m, true);
        counts.add(k.lastProducts);
      }
      expect(counts.size, `${nbits}-bit exponents`).toBe(1);
      expect([...counts][0]).toBe(secretProducts(nbits));
    }
    expect(secretProducts(2048)).toBe(64 + 342 * 7 + 1);
    // the public form skips zero digits: a sparse exponent takes fewer products
    k.pow(7n, 1n << 2000n, m, false);
    const sparse = k.lastProducts;
    k.pow(7n, (1n << 2048n) - 1n, m, false);
    expect(sparse).toBeLessThan(k.lastProducts);
  });

  it('a short secret exponent costs its own word length, not the modulus length (a 256-bit scalar mod a 4096-bit N²)', () => {
    for (const scalar of [false, true]) {
      const k = kernel(scalar);
      const m = (1n << 4096n) - 1557n; // odd
      const e = (1n << 255n) + 12345n;
      expect(k.pow(3n, e, m, true)).toBe(modPowPortable(3n, e, m));
      expect(k.lastProducts).toBe(secretProducts(256));
      expect(k.lastProducts * 10).toBeLessThan(secretProducts(4096));
    }
  });
});

describe('wasm kernel: resident fixed-base tables (comb)', () => {
  for (const scalar of [false, true]) {
    it(`${scalar ? 'scalar' : 'v128'}: combPow = BigInt on random 512–4200-bit odd moduli, bases and exponents up to the table, windows 1–6, between pow calls on other moduli`, () => {
      const k = kernel(scalar);
      fc.assert(
        fc.property(oddModulus(512, 4200), fc.bigInt({ min: 2n, max: 1n << 4200n }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1200 }), (m, b0, w, maxBits) => {
          const b = 2n + (b0 % (m - 3n));
          const t = k.fixedBase(b, m, maxBits, w)!;
          expect(t.maxBits).toBeGreaterThanOrEqual(secretBits(maxBits));
          const m2 = (1n << 1031n) + 2021n;
          for (const e of [1n, 2n, (1n << BigInt(maxBits)) - 1n, b0 % (1n << BigInt(maxBits)) || 3n]) {
            expect(k.combPow(t, e), `${b}^${e} mod ${m}, w ${w}`).toBe(modPowPortable(b, e, m));
            expect(k.pow(3n, e, m2, true)).toBe(modPowPortable(3n, e, m2)); // another modulus in between
          }
        }),
        { numRuns: 12 },
      );
    });
  }
  it('one masked row scan and one product per w bits of the exponent word length, the same for every exponent of that length', () => {
    const k = kernel(false);
    const m = (1n << 2048n) - 159n;
    const t = k.fixedBase(0xabcdefn, m, 2880, 4)!;
    expect(t.rows).toBe(720);
    for (const [nbits, exps] of [
      [2816, [(1n << 2752n) + 1n, (1n << 2816n) - 1n, 0x5555n << 2790n]],
      [64, [1n, 2n, (1n << 64n) - 1n]],
    ] as const) {
      const counts = new Set<number>();
      for (const e of exps) {
        expect(k.combPow(t, e)).toBe(modPowPortable(0xabcdefn, e, m));
        counts.add(k.lastProducts);
      }
      expect([...counts]).toEqual([nbits / 4 + 1]);
    }
    expect(() => k.combPow(t, 1n << 2880n)).toThrow(/OUT_OF_RANGE.*longer than the table|longer than the table/);
    expect(() => kernel(false).combPow(t, 5n)).toThrow(/another kernel instance/);
  });
  it('refuses a table that would pass the memory cap (the caller then uses pow)', () => {
    const k = kernel(false);
    const m = (1n << 4096n) - 1557n;
    // 4096-bit modulus: 608-byte entries, rows of 64 over 4096 bits: 683 rows ≈ 26.6 MB per table
    const bytesFor = (bits: number): number => Math.ceil(secretBits(bits) / 6) * 64 * 608;
    const first = k.fixedBase(3n, m, 4096, 6);
    expect(first?.bytes).toBe(bytesFor(4096));
    expect(k.fixedBase(3n, m, 4096, 6)).toBe(first); // the same parameters share one table
    let made = 1;
    while (k.fixedBase(3n + BigInt(made), m, 4096, 6)) made++;
    expect(made).toBe(Math.floor(FIXED_TABLES_MAX_BYTES / bytesFor(4096)));
    expect(k.fixedBase(3n, m, 16384, 6)).toBeUndefined(); // 106 MB alone
    expect(k.fixedBase(3n, (1n << 521n) - 1n, 64, 1)).toBeDefined(); // a small one still fits
  });
});

describe('portable route', () => {
  const m = (1n << 2048n) - 159n;
  it('takes the kernel for odd moduli from 1536 bits with exponents over 64 bits (secret exponents: any, from 128 bits), else BigInt', () => {
    expect(choosePortable(m - 2n, m)).toBe('wasm');
    expect(choosePortable(-(m - 2n), m)).toBe('wasm');
    expect(choosePortable(3n, m, true)).toBe('wasm');
    expect(choosePortable(3n, m)).toBe('bigint'); // tiny public exponent
    expect(choosePortable((1n << 64n) - 1n, m)).toBe('bigint');
    expect(choosePortable(1n << 64n, m)).toBe('wasm');
    expect(choosePortable(m - 2n, m + 1n)).toBe('bigint'); // even
    expect(choosePortable(m - 2n, (1n << 120n) + 1n)).toBe('bigint'); // small
    expect(choosePortable(m - 2n, (1n << 120n) + 1n, true)).toBe('bigint');
    expect(choosePortable(m - 2n, (1n << 1024n) - 105n)).toBe('bigint'); // public, under 1536 bits
    expect(choosePortable(m - 2n, (1n << 1024n) - 105n, true)).toBe('wasm');
    expect(choosePortable(m - 2n, (1n << 1535n) + 1n)).toBe('wasm');
    expect(choosePortable(m - 2n, (1n << 16400n) + 1n)).toBe('bigint'); // beyond the kernel's sizes
    setModexpBackend('bigint');
    expect(choosePortable(m - 2n, m)).toBe('bigint');
    expect(choosePortable(3n, m, true)).toBe('bigint');
  });
  it("setModexpBackend('bigint') and 'portable' give the same results as 'auto'", () => {
    const b = 0x1234567890abcdefn ** 40n % m;
    const want = modPowPortable(b, m - 2n, m);
    for (const be of ['auto', 'portable', 'bigint'] as const) {
      setModexpBackend(be);
      expect(modPow(b, m - 2n, m)).toBe(want);
      expect(modPowSecret(b, m - 2n, m)).toBe(want);
      expect(multiModPow([[b, m - 2n], [b, 5n], [3n, -(1n << 100n)]], m)).toBe((want * modPowPortable(b, 5n, m) * modPowPortable(modInv(3n, m), 1n << 100n, m)) % m);
    }
    expect(() => setModexpBackend('wasm' as never)).toThrow(/INVALID_ARGUMENT/);
  });
  it('without WebAssembly: BigInt, same results', () => {
    const wa = globalThis.WebAssembly;
    try {
      (globalThis as { WebAssembly?: unknown }).WebAssembly = undefined;
      resetWasmKernel();
      setModexpBackend('portable');
      expect(choosePortable(m - 2n, m)).toBe('bigint');
      expect(modPow(3n, m - 2n, m)).toBe(modPowPortable(3n, m - 2n, m));
      expect(modPowSecret(3n, m - 2n, m)).toBe(modPowPortable(3n, m - 2n, m));
    } finally {
      globalThis.WebAssembly = wa;
    }
  });
  it('a refused synchronous compile (browser main thread): BigInt until the asynchronous compile is ready', async () => {
    const wa = globalThis.WebAssembly;
    const Module = wa.Module;
    try {
      (wa as { Module: unknown }).Module = function refused() {
        throw new RangeError('WebAssembly.Module(): Buffer size is too large for sync compile');
      };
      resetWasmKernel();
      setModexpBackend('portable');
      expect(wasmKernel()).toBeUndefined();
      expect(choosePortable(m - 2n, m)).toBe('bigint');
      expect(modPow(3n, m - 2n, m)).toBe(modPowPortable(3n, m - 2n, m));
      for (let i = 0; i < 50 && wasmKernel() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      expect(wasmKernel()).toBeDefined();
      expect(choosePortable(m - 2n, m)).toBe('wasm');
      expect(modPow(3n, m - 2n, m)).toBe(modPowPortable(3n, m - 2n, m));
    } finally {
      (wa as { Module: unknown }).Module = Module;
    }
  });
});

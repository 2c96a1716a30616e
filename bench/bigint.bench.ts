/**
 * Modular exponentiation per backend. Operands are fixed (seeded) and shaped like the engine's:
 * - `modexp/2048`: 2048-bit exponent (below the modulus) mod a 2048-bit Paillier N;
 * - `modexp/4096`: ρ^N mod N² — a 2048-bit exponent mod a 4096-bit modulus (no factors known);
 * - `modexp/1024`: 1024-bit exponent mod a 1024-bit prime (a CRT half).
 * `:native` is OpenSSL through node:crypto (RSA route for public data where OpenSSL takes the
 * operands, else the padded DH route), `:portable` the BigInt sliding window, `:wasm` the
 * WebAssembly kernel (v128 build; `:wasm-scalar` the fallback build) that the portable route takes
 * where WebAssembly runs, `-secret:wasm` its constant-time form (fixed window over the modulus length). `…-secret:native` is
 * the constant-time DH route used for secret exponents; `…-fixed-exponent:native` the reusable
 * OpenSSL context of Paillier encryption (ρ^N mod N²) and decryption (c^(p−1) mod p²). Targets
 * (issue 3): GMP mpz_powm 2.5 / 9.9 / 0.34 ms; native within 1.5×, portable within 4×
 * (`bench/gmp-powm.c` measures GMP on the same machine).
 */
import { FixedExponent, modPow, modPowSecret, setModexpBackend } from '../src/bigint/modexp.js';
import { modPowLadder, modPowPortable } from '../src/bigint/portable.js';
import { createWasmKernel } from '../src/bigint/wasm/kernel.js';
import { randomBelow, seededRng } from '../src/rng.js';
import { testPrimePairs } from '../test/helpers/test-primes.js';
import type { BenchRegistry } from './registry.js';

export default function (b: BenchRegistry): void {
  const rng = seededRng('bench/bigint');
  const { p, q } = testPrimePairs(1024)[0]!;
  const n = p * q;
  const n2 = n * n;
  const e2048 = (1n << 2046n) + randomBelow(rng, n - (1n << 2046n)); // 2047/2048-bit, < N
  const b2048 = randomBelow(rng, n);
  const b4096 = randomBelow(rng, n2);
  const e1024 = (1n << 1023n) | randomBelow(rng, 1n << 1023n);
  const b1024 = randomBelow(rng, p);

  const cases: [string, bigint, bigint, bigint, number][] = [
    ['modexp/2048', b2048, e2048, n, 100],
    ['modexp/4096', b4096, n, n2, 30],
    ['modexp/1024', b1024, e1024, p, 300],
  ];
  const wasm = createWasmKernel('simd');
  const wasmScalar = createWasmKernel('scalar');
  for (const [name, base, exp, m, it] of cases) {
    b.add(`${name}:native`, () => {
      setModexpBackend('native');
      modPow(base, exp, m);
      setModexpBackend('auto');
    }, { iterations: it, time: 1000 });
    b.add(`${name}:portable`, () => modPowPortable(base, exp, m), { iterations: Math.max(10, it / 10), time: 1000 });
    b.add(`${name}:wasm`, () => wasm.pow(base, exp, m, false), { iterations: Math.max(10, it / 4), time: 1000 });
    b.add(`${name}:wasm-scalar`, () => wasmScalar.pow(base, exp, m, false), { iterations: Math.max(10, it / 4), time: 1000 });
    b.add(`${name}-secret:wasm`, () => wasm.pow(base, exp, m, true), { iterations: Math.max(10, it / 4), time: 1000 });
    b.add(`${name}-secret:native`, () => modPowSecret(base, exp, m), { iterations: it, time: 1000 });
  }
  b.add('modexp/2048-secret:portable-ladder', () => modPowLadder(b2048, e2048, n, 2048), { iterations: 10, time: 500 });
  // the reusable OpenSSL context behind Paillier encryption (ρ^N mod N², fixed N) and decryption
  const nth = new FixedExponent(n, n2);
  b.add('modexp/4096-fixed-exponent:native', () => nth.pow(b4096), { iterations: 30, time: 1000 });
  const dec = new FixedExponent(p - 1n, p * p, { secret: true });
  const bp2 = b4096 % (p * p);
  b.add('modexp/2048-fixed-exponent-1024:native', () => dec.pow(bp2), { iterations: 100, time: 1000 });
}

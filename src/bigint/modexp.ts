/**
 * Modular exponentiation with interchangeable backends that return identical results:
 *
 * - `native` (Node): OpenSSL through `node:crypto` — the RSA route for public data, the DH route
 *   (constant-time) for secret exponents and for public exponents the RSA route refuses;
 * - `portable`: the WebAssembly Montgomery kernel (`wasm/`) for odd moduli where WebAssembly runs
 *   (fixed window; constant-time form for secret exponents), else BigInt: sliding window (public)
 *   and a Montgomery ladder (secret); runs everywhere.
 *
 * The backend is chosen per call from the operand sizes with thresholds measured on the target
 * machine (see src/bigint/README.md, `bench/bigint.bench.ts`). `setModexpBackend('portable')` forces the
 * best portable path, `'bigint'` plain BigInt (tests compare them all).
 * @module
 */
import { fail } from '../errors.js';
import { modInv } from './arith.js';
import { DH_MAX_BITS, DH_MIN_BITS, dhModulus, dhPkcs8Pow, dhPow, nativeAvailable, NativeFixedBase, NativeFixedExp, rsaFeasible, rsaPow } from './native.js';
import { modPowLadder, modPowPortable, multiModPowPortable, PortableFixedBase } from './portable.js';
import { secretBits, wasmKernel, type WasmFixedTable, type WasmModexp } from './wasm/kernel.js';

export { enableNativeBackend, nativeAvailable } from './native.js';

export type ModexpBackend = 'auto' | 'portable' | 'native' | 'bigint';

/** One exponentiation as a route served it (profiling: `setModexpObserver`). */
export interface ModexpSample {
  route: 'native-rsa' | 'native-dh' | 'wasm' | 'wasm-comb' | 'bigint' | 'ladder' | 'bigint-multi' | 'bigint-table';
  /** Modulus bits and exponent bits (multi-exponentiation: the longest exponent). */
  mBits: number;
  eBits: number;
  secret: boolean;
  ms: number;
}
let observer: ((s: ModexpSample) => void) | undefined;

/**
 * Profiling hook: `fn` is called after every exponentiation with its route, sizes and duration
 * (benchmarks; `undefined` removes it). Costs one test per call when unset.
 */
export function setModexpObserver(fn: ((s: ModexpSample) => void) | undefined): void {
  if (fn !== undefined && typeof fn !== 'function') fail('INVALID_ARGUMENT', 'setModexpObserver: expected a function or undefined');
  observer = fn;
}

function observed<T>(route: ModexpSample['route'], mBits: number, eBits: number, secret: boolean, f: () => T): T {
  const o = observer;
  if (!o) return f();
  const t0 = performance.now();
  const r = f();
  o({ route, mBits, eBits, secret, ms: performance.now() - t0 });
  return r;
}

let forced: ModexpBackend = 'auto';

/**
 * Force a backend: `'portable'` never touches `node:crypto` (WebAssembly kernel where it serves,
 * else BigInt); `'bigint'` is plain BigInt only (tests, benchmarks); `'native'` uses OpenSSL
 * wherever its limits allow (no size threshold); `'auto'` (default) picks by the measured thresholds.
 */
export function setModexpBackend(b: ModexpBackend): void {
  if (b !== 'auto' && b !== 'portable' && b !== 'native' && b !== 'bigint') fail('INVALID_ARGUMENT', `setModexpBackend: unknown backend ${String(b)}`);
  forced = b;
}
export function getModexpBackend(): ModexpBackend {
  return forced;
}

/**
 * Thresholds from `bench/modexp-thresholds.ts` (2-core EPYC Zen 4, Node 20.20, OpenSSL 3.0.19; the
 * table is in README.bigint.md):
 * - below 512-bit moduli OpenSSL's DH refuses the modulus and BigInt costs microseconds anyway;
 * - a native call has a fixed cost (~15 µs RSA route, ~30–130 µs padded DH), so public powers with
 *   tiny exponents stay in BigInt: ≤ 16 bits below 2048-bit moduli, ≤ 4 bits from 2048 up;
 * - DH route: the PKCS#8 form (fixed ~0.45 ms, no padding) beats the padded modulus from 1536-bit
 *   moduli with exponents of ≥ 1000 bits (e.g. 2048/2047: 2.3 vs 2.9 ms; 4096/2048: 7.8 vs 9.0);
 *   below that the padded form wins (2048/256: 0.42 vs 0.72 ms).
 */
export const THRESHOLDS = {
  nativeMinModBits: DH_MIN_BITS,
  nativeMinExpBitsSmall: 16,
  nativeMinExpBitsLarge: 4,
  largeModBits: 2048,
  pkcs8MinModBits: 1536,
  pkcs8MinExpBits: 1000,
  /** portable route, secret exponents: the WebAssembly kernel from this modulus size up (odd moduli; the BigInt ladder is slower everywhere above) … */
  wasmMinModBits: 128,
  /**
   * … public exponents: from this modulus size up (Chromium's BigInt matches the kernel at 2048 bits
   * and beats it at 1024; Node 20's BigInt is ~2× slower than the kernel at every size) …
   */
  wasmMinModBitsPublic: 1536,
  /** … for exponents above this many bits (below, BigInt's few products beat the kernel's set-up) … */
  wasmMinExpBits: 64,
  /** … and up to this modulus size (linear memory grows with it; beyond, BigInt). */
  wasmMaxModBits: 16384,
} as const;

/**
 * Whether the portable route takes the WebAssembly kernel for modulus m (mBits bits) and an
 * exponent of eBits bits: odd m in the kernel's sizes, `WebAssembly` present, not forced to BigInt.
 * Secret exponents take it whatever their length (the kernel's constant-time form).
 */
function useWasm(m: bigint, mBits: number, eBits: number, secret: boolean): boolean {
  if (forced === 'bigint' || (m & 1n) === 0n) return false;
  if (mBits < THRESHOLDS.wasmMinModBits || mBits > THRESHOLDS.wasmMaxModBits) return false;
  if (!secret && (mBits < THRESHOLDS.wasmMinModBitsPublic || eBits <= THRESHOLDS.wasmMinExpBits)) return false;
  return wasmKernel() !== undefined;
}

/** The portable route for public data: the kernel's fixed window, or BigInt's sliding window. b ∈ [2, m), e ≥ 2. */
function portablePow(b: bigint, e: bigint, m: bigint, mBits: number, eBits: number): bigint {
  if (useWasm(m, mBits, eBits, false)) return observed('wasm', mBits, eBits, false, () => wasmKernel()!.pow(b, e, m, false));
  return observed('bigint', mBits, eBits, false, () => modPowPortable(b, e, m));
}

/**
 * The portable route for a secret exponent: the kernel's constant-time form, or the BigInt ladder,
 * both over the exponent's length rounded up to 64-bit words (what OpenSSL's constant-time route
 * does in Node; a modulus-length padding cost a 256-bit Paillier scalar 16× its work mod N²).
 */
function portablePowSecret(b: bigint, e: bigint, m: bigint, mBits: number): bigint {
  if (useWasm(m, mBits, 0, true)) return observed('wasm', mBits, observer ? bits(e) : 0, true, () => wasmKernel()!.pow(b, e, m, true));
  const eBits = bits(e);
  return observed('ladder', mBits, eBits, true, () => modPowLadder(b, e, m, secretBits(eBits)));
}

/** The constant-time DH route, in whichever form is faster for the sizes. */
function dhBest(b: bigint, e: bigint, m: bigint, mBits: number, eBits: number, secret: boolean): bigint {
  if (mBits >= THRESHOLDS.pkcs8MinModBits && eBits >= THRESHOLDS.pkcs8MinExpBits && dhModulus(m, mBits) !== m) return observed('native-dh', mBits, eBits, secret, () => dhPkcs8Pow(b, e, m));
  return observed('native-dh', mBits, eBits, secret, () => dhPow(b, e, m, mBits));
}

function bits(x: bigint): number {
  if (x === 0n) return 0;
  const h = x.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0]!, 16)));
}

function amodulus(m: unknown): bigint {
  if (typeof m !== 'bigint') fail('INVALID_ARGUMENT', 'm: expected bigint');
  if (m <= 0n) fail('INVALID_MODULUS', 'm: modulus must be positive');
  return m;
}
function abig(x: unknown, title: string): bigint {
  if (typeof x !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
  return x;
}

/** Normalise (base, exp, m): base into [0, m), a negative exp becomes the inverse's power. */
function prep(base: bigint, exp: bigint, m: bigint): [bigint, bigint] {
  let b = base % m;
  if (b < 0n) b += m;
  if (exp < 0n) {
    b = modInv(b, m);
    exp = -exp;
  }
  return [b, exp];
}

function useNative(mBits: number, eBits: number, m: bigint): boolean {
  if (forced === 'portable' || forced === 'bigint' || !nativeAvailable() || (m & 1n) === 0n) return false;
  if (mBits < DH_MIN_BITS || mBits > DH_MAX_BITS) return false;
  if (forced === 'native') return true;
  const minExp = mBits >= THRESHOLDS.largeModBits ? THRESHOLDS.nativeMinExpBitsLarge : THRESHOLDS.nativeMinExpBitsSmall;
  return mBits >= THRESHOLDS.nativeMinModBits && eBits > minExp;
}

/** Whether the constant-time native route serves modulus m (any exponent). */
function secretNative(m: bigint, mBits: number): boolean {
  return forced !== 'portable' && forced !== 'bigint' && nativeAvailable() && (m & 1n) === 1n && mBits >= DH_MIN_BITS && mBits <= DH_MAX_BITS;
}

/**
 * The route `modPow` (or, with `secret`, `modPowSecret`) takes for (exp, m): exposed for tests and
 * benchmarks. `portable` means the portable route (`choosePortable` tells which one).
 */
export function chooseBackend(exp: bigint, m: bigint, secret = false): 'portable' | 'native-rsa' | 'native-dh' {
  const mBits = bits(m);
  const e = exp < 0n ? -exp : exp;
  if (secret) return secretNative(m, mBits) ? 'native-dh' : 'portable';
  const eBits = bits(e);
  if (!useNative(mBits, eBits, m)) return 'portable';
  return rsaFeasible(e, m, mBits, eBits) ? 'native-rsa' : 'native-dh';
}

/**
 * Which portable route serves (exp, m) when the portable route is taken: `'wasm'` (the
 * WebAssembly kernel) or `'bigint'` (sliding window; the ladder for secret exponents).
 */
export function choosePortable(exp: bigint, m: bigint, secret = false): 'wasm' | 'bigint' {
  const e = exp < 0n ? -exp : exp;
  return useWasm(m, bits(m), bits(e), secret) ? 'wasm' : 'bigint';
}

/**
 * base^exp mod m for PUBLIC data (variable time). m ≥ 1; a negative exp is the power of the
 * inverse (NOT_INVERTIBLE when there is none). Fastest backend for the operand sizes.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  abig(base, 'base');
  abig(exp, 'exp');
  amodulus(m);
  if (m === 1n) return 0n;
  const [b, e] = prep(base, exp, m);
  if (e === 0n) return 1n;
  if (b <= 1n || e === 1n) return b;
  const mBits = bits(m);
  const eBits = bits(e);
  if (!useNative(mBits, eBits, m)) return portablePow(b, e, m, mBits, eBits);
  if (rsaFeasible(e, m, mBits, eBits)) return observed('native-rsa', mBits, eBits, false, () => rsaPow(b, e, m, mBits, eBits));
  return dhBest(b, e, m, mBits, eBits, false);
}

/**
 * base^exp mod m for a SECRET exponent: only constant-time routes — OpenSSL's
 * BN_mod_exp_mont_consttime (DH route) in Node; elsewhere the WebAssembly kernel's constant-time
 * fixed window (odd moduli in its sizes), else the BigInt Montgomery ladder (all three run over the
 * exponent's word length; BigInt itself is not constant-time, see README). Degenerate inputs (base 0/1,
 * exp 0, modulus 1) return directly.
 */
export function modPowSecret(base: bigint, exp: bigint, m: bigint): bigint {
  abig(base, 'base');
  abig(exp, 'exp');
  amodulus(m);
  if (m === 1n) return 0n;
  const [b, e] = prep(base, exp, m);
  if (e === 0n) return 1n;
  if (b <= 1n) return b;
  const mBits = bits(m);
  if (secretNative(m, mBits)) {
    return dhBest(b, e, m, mBits, bits(e), true);
  }
  return portablePowSecret(b, e, m, mBits);
}

/**
 * Simultaneous multi-exponentiation Π base_i^exp_i mod m (public data; negative exponents use
 * inverses). Native: one OpenSSL call per pair, multiplied in BigInt (each call is ~6× faster than
 * BigInt, more than the shared squarings save). Portable: interleaved sliding windows (one shared
 * chain of squarings beats a kernel power per pair in Chromium); a single pair is a `modPow`.
 */
export function multiModPow(pairs: readonly (readonly [bigint, bigint])[], m: bigint): bigint {
  if (!Array.isArray(pairs)) fail('INVALID_ARGUMENT', 'pairs: expected an array of [base, exp]');
  amodulus(m);
  if (m === 1n) return 0n;
  const norm: [bigint, bigint][] = pairs.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) fail('INVALID_ARGUMENT', `pairs[${i}]: expected [base, exp]`);
    return prep(abig(p[0], `pairs[${i}][0]`), abig(p[1], `pairs[${i}][1]`), m);
  });
  const mBits = bits(m);
  const anyNative = norm.some(([, e]) => useNative(mBits, bits(e), m));
  if (!anyNative) {
    if (norm.length === 1) return modPow(norm[0]![0], norm[0]![1], m);
    return observed('bigint-multi', mBits, observer ? Math.max(0, ...norm.map(([, e]) => bits(e))) : 0, false, () => multiModPowPortable(norm, m));
  }
  let r = 1n;
  for (const [b, e] of norm) r = (r * modPow(b, e, m)) % m;
  return r;
}

/** Default window for fixed-base tables: rows × 2^w entries, ⌈bits / w⌉ − 1 products per power. */
const FIXED_BASE_WINDOW = 5;

/** Whether a reusable native DH object can serve modulus m (exact size, no padding). */
function reusableNative(m: bigint): boolean {
  if (forced === 'portable' || forced === 'bigint' || !nativeAvailable() || (m & 1n) === 0n) return false;
  const mb = bits(m);
  return mb >= DH_MIN_BITS && mb <= DH_MAX_BITS;
}

/**
 * A base reused many times under one modulus (ring-Pedersen s and t). Signed exponents.
 * - Node: one reusable OpenSSL DH object per base (constant-time; its one-time DH_check costs one
 *   full exponentiation for a composite modulus, 64 for a prime — meant for composite moduli).
 * - Portable: `pow` uses a windowed BigInt table built on first use (⌈bits / w⌉ − 1 products,
 *   variable time, public exponents, up to `maxBits`; larger ones use `modPow`); `powSecret` uses
 *   a comb over a table resident in the WebAssembly kernel's memory (rows of 2^w Montgomery-form
 *   powers, w ≤ 6, built on first use: ⌈bits/w⌉·2^w products; then one masked row scan and one
 *   product per w bits of the exponent's word length, no squaring), else `modPowSecret`.
 * A negative exponent uses the inverse base (NOT_INVERTIBLE if there is none).
 */
export class FixedBaseTable {
  readonly base: bigint;
  readonly m: bigint;
  readonly maxBits: number;
  readonly #window: number;
  #table: PortableFixedBase | undefined;
  #native: NativeFixedBase | undefined;
  /** The kernel's resident table (undefined: not built, or refused by the kernel's memory cap) and the kernel instance it was asked of. */
  #comb: WasmFixedTable | undefined;
  #combKernel: WasmModexp | undefined;
  #inverse: FixedBaseTable | undefined;
  constructor(base: bigint, m: bigint, maxBits: number, window = FIXED_BASE_WINDOW) {
    abig(base, 'base');
    amodulus(m);
    if (!Number.isSafeInteger(maxBits) || maxBits < 1 || maxBits > 1 << 16) fail('OUT_OF_RANGE', 'maxBits: expected 1..65536');
    if (!Number.isSafeInteger(window) || window < 1 || window > 10) fail('OUT_OF_RANGE', 'window: expected 1..10');
    this.base = ((base % m) + m) % m;
    this.m = m;
    this.maxBits = maxBits;
    this.#window = window;
  }
  /** Build the portable tables now (e.g. in a worker, or at start, before they are needed): the BigInt one, and the kernel's where `powSecret` would use it. */
  precompute(): this {
    if (!this.#table) this.#table = new PortableFixedBase(this.base, this.m, this.maxBits, this.#window);
    if (this.#trivial(2n) === undefined) this.#combTable();
    return this;
  }
  /** The kernel's resident table for secret exponents, where the portable route takes the kernel (undefined otherwise). */
  #combTable(): WasmFixedTable | undefined {
    if (reusableNative(this.m)) return undefined;
    const mb = bits(this.m);
    if (!useWasm(this.m, mb, 0, true)) return undefined;
    const k = wasmKernel()!;
    if (this.#combKernel !== k) {
      this.#combKernel = k;
      this.#comb = k.fixedBase(this.base, this.m, this.maxBits, Math.min(this.#window, 6));
    }
    return this.#comb;
  }
  #inv(): FixedBaseTable {
    if (!this.#inverse) this.#inverse = new FixedBaseTable(modInv(this.base, this.m), this.m, this.maxBits, this.#window);
    return this.#inverse;
  }
  /** Degenerate bases and exponent 0: the answer without a backend, or undefined. */
  #trivial(e: bigint): bigint | undefined {
    const m = this.m;
    if (m === 1n) return 0n;
    if (e === 0n) return 1n;
    if (this.base <= 1n) return this.base;
    if (this.base === m - 1n) return e & 1n ? m - 1n : 1n;
    return undefined;
  }
  #nativePow(e: bigint): bigint | undefined {
    if (!reusableNative(this.m)) return undefined;
    if (!this.#native) this.#native = new NativeFixedBase(this.base, this.m);
    return this.#native.pow(e);
  }
  /** base^exp mod m for a PUBLIC exponent. */
  pow(exp: bigint): bigint {
    abig(exp, 'exp');
    if (exp < 0n) return this.#inv().pow(-exp);
    const t = this.#trivial(exp);
    if (t !== undefined) return t;
    const n = this.#nativePow(exp);
    if (n !== undefined) return n;
    if (bits(exp) > this.maxBits) return modPow(this.base, exp, this.m);
    const table = (this.#table ??= new PortableFixedBase(this.base, this.m, this.maxBits, this.#window));
    return observed('bigint-table', bits(this.m), observer ? bits(exp) : 0, false, () => table.pow(exp));
  }
  /** base^exp mod m for a SECRET exponent (constant-time route; the sign picks the inverse base). */
  powSecret(exp: bigint): bigint {
    abig(exp, 'exp');
    if (exp < 0n) return this.#inv().powSecret(-exp);
    const t = this.#trivial(exp);
    if (t !== undefined) return t;
    const n = this.#nativePow(exp);
    if (n !== undefined) return n;
    const comb = bits(exp) <= this.maxBits ? this.#combTable() : undefined;
    if (comb) return observed('wasm-comb', bits(this.m), observer ? bits(exp) : 0, true, () => comb.kernel.combPow(comb, exp));
    return modPowSecret(this.base, exp, this.m);
  }
}

/**
 * An exponent reused many times under one modulus with varying bases: Paillier's ρ^N mod N²,
 * decryption's c^(p−1) mod p². Node: one reusable OpenSSL DH object (`computeSecret`, constant-time;
 * one-time DH_check as for `FixedBaseTable`). Portable: sliding window, or the ladder when
 * `secret`. A negative exponent inverts each base.
 */
export class FixedExponent {
  readonly m: bigint;
  readonly #exp: bigint;
  readonly #neg: boolean;
  readonly #secret: boolean;
  readonly #prime: boolean;
  #native: NativeFixedExp | undefined;
  /**
   * `secret`: the exponent is secret (portable: ladder). `primeModulus`: m is prime — in Node the
   * context then works modulo a padded multiple of m, because OpenSSL's one-time DH_check would run
   * 64 Miller–Rabin rounds on a prime (27 ms at 1024 bits, ~190 ms for a 1536-bit safe prime).
   */
  constructor(exp: bigint, m: bigint, opts: { secret?: boolean; primeModulus?: boolean } = {}) {
    abig(exp, 'exp');
    amodulus(m);
    this.m = m;
    this.#neg = exp < 0n;
    this.#exp = exp < 0n ? -exp : exp;
    this.#secret = opts.secret === true;
    this.#prime = opts.primeModulus === true;
  }
  /** base^exp mod m. */
  pow(base: bigint): bigint {
    abig(base, 'base');
    const m = this.m;
    if (m === 1n) return 0n;
    let b = base % m;
    if (b < 0n) b += m;
    if (this.#neg) b = modInv(b, m);
    const e = this.#exp;
    if (e === 0n) return 1n;
    if (b <= 1n) return b;
    if (b === m - 1n) return e & 1n ? b : 1n;
    if (reusableNative(m)) {
      if (!this.#native) this.#native = new NativeFixedExp(e, m, this.#prime);
      const r = this.#native.pow(b);
      if (r !== undefined) return r; // undefined: the result is 1 or m − 1, which OpenSSL refuses to return
    }
    return this.#secret ? modPowSecret(b, e, m) : modPow(b, e, m);
  }
}

/**
 * CRT exponentiation modulo m = Π p_i^k_i with known prime factors (Paillier: p², q²); results
 * recombine by Garner. `secret: true` (secret exponent): exponents of units are reduced modulo
 * φ(p_i^k_i) = p_i^(k_i−1)(p_i − 1) and each half runs on the constant-time route. Otherwise the
 * (public) exponent is used unreduced on the fastest route.
 */
/** Bases a CrtContext remembers per part for the repeated-base comb (a few: the own trapdoor's t). */
const CRT_SEEN_MAX = 8;
const CRT_TABLES_MAX = 2;

/** One prime power of a CrtContext, with the bases seen for secret powers and their tables. */
interface CrtPart {
  p: bigint;
  mod: bigint;
  phi: bigint;
  seen: Map<bigint, number>;
  tables: Map<bigint, FixedBaseTable>;
}

export class CrtContext {
  readonly m: bigint;
  readonly #parts: CrtPart[];
  readonly #coef: bigint; // (m1)^{-1} mod m2 for two parts
  constructor(factors: readonly (readonly [p: bigint, k: number])[]) {
    if (factors.length !== 2) fail('INVALID_ARGUMENT', 'CrtContext: expected exactly two prime powers');
    this.#parts = factors.map(([p, k], i) => {
      abig(p, `factors[${i}].p`);
      if (p < 2n) fail('INVALID_MODULUS', `factors[${i}]: prime must be ≥ 2`);
      if (!Number.isSafeInteger(k) || k < 1) fail('OUT_OF_RANGE', `factors[${i}]: exponent must be ≥ 1`);
      const pk1 = p ** BigInt(k - 1);
      return { p, mod: pk1 * p, phi: pk1 * (p - 1n), seen: new Map<bigint, number>(), tables: new Map<bigint, FixedBaseTable>() };
    });
    const a = this.#parts[0]!;
    const b = this.#parts[1]!;
    if (a.p === b.p) fail('INVALID_MODULUS', 'CrtContext: the primes must be distinct');
    this.m = a.mod * b.mod;
    this.#coef = modInv(a.mod, b.mod);
  }
  /** The two prime-power moduli. */
  get moduli(): [bigint, bigint] {
    return [this.#parts[0]!.mod, this.#parts[1]!.mod];
  }
  /** x mod m from its residues (r1 mod m1, r2 mod m2). */
  combine(r1: bigint, r2: bigint): bigint {
    const a = this.#parts[0]!;
    const b = this.#parts[1]!;
    let h = ((r2 - r1) % b.mod) * this.#coef % b.mod;
    if (h < 0n) h += b.mod;
    return r1 + a.mod * h;
  }
  /**
   * One component base^exp mod p^k. `secret`: the exponent is reduced mod φ(p^k) for units (the
   * reduced exponent depends on p, so it only ever goes to the constant-time route). Public
   * exponents are used as they are, so nothing secret-derived reaches the variable-time route.
   */
  powPart(i: 0 | 1, base: bigint, exp: bigint, secret = false): bigint {
    const part = this.#parts[i]!;
    let b = base % part.mod;
    if (b < 0n) b += part.mod;
    if (!secret) return modPow(b, exp, part.mod);
    let e = exp;
    if (b % part.p !== 0n) {
      e %= part.phi;
      if (e < 0n) e += part.phi;
    } else if (e < 0n) {
      fail('NOT_INVERTIBLE', 'CrtContext: negative power of a non-unit');
    }
    const table = this.#repeatedBase(part, b);
    return table ? table.powSecret(e) : modPowSecret(b, e, part.mod);
  }
  /**
   * Portable route only: a base seen twice for secret powers of one part (the own trapdoor's t in
   * t^(λz₁+z₃) mod p, q, once per verified commitment) gets a `FixedBaseTable` over φ(p^k)'s length,
   * so its later powers take the kernel's comb (no squarings). At most `CRT_TABLES_MAX` per part.
   */
  #repeatedBase(part: CrtPart, b: bigint): FixedBaseTable | undefined {
    const mb = bits(part.mod);
    // the route is chosen per call (a backend may be forced in between): only the kernel's, never a native DH object on a prime
    if (secretNative(part.mod, mb) || !useWasm(part.mod, mb, 0, true)) return undefined;
    const hit = part.tables.get(b);
    if (hit) return hit;
    if (part.tables.size >= CRT_TABLES_MAX) return undefined;
    const n = (part.seen.get(b) ?? 0) + 1;
    if (n < 2) {
      if (part.seen.size >= CRT_SEEN_MAX) part.seen.clear();
      part.seen.set(b, n);
      return undefined;
    }
    part.seen.delete(b);
    const t = new FixedBaseTable(b, part.mod, bits(part.phi), 4);
    part.tables.set(b, t);
    return t;
  }
  /** base^exp mod m (exp may be negative for units). */
  pow(base: bigint, exp: bigint, opts: { secret?: boolean } = {}): bigint {
    abig(base, 'base');
    abig(exp, 'exp');
    const s = opts.secret === true;
    return this.combine(this.powPart(0, base, exp, s), this.powPart(1, base, exp, s));
  }
}

/** base^exp mod p·q for distinct primes p, q (with `secret`, exponent reduced mod p−1, q−1 for units). */
export function modPowCrt(base: bigint, exp: bigint, p: bigint, q: bigint, opts: { secret?: boolean } = {}): bigint {
  return new CrtContext([
    [p, 1],
    [q, 1],
  ]).pow(base, exp, opts);
}

/**
 * The WebAssembly Montgomery kernel (`modexp.wat`, bytes in `modexp-wasm.bytes.ts`): loading,
 * limb conversion and memory layout. Touches no platform API but `WebAssembly` itself; where that
 * is missing, or the module fails to compile, `wasmKernel()` is undefined and callers use BigInt.
 *
 * Two builds of one source: v128 (i64x2.extmul of u32 lanes) where `WebAssembly.validate` accepts
 * it, scalar i64 otherwise. Limbs: L ≤ 28 bits in u32 words, the largest L for which a
 * product-scanning column (2s products of L-bit limbs plus the carry) stays below 2^64: 28 bits up
 * to 3584-bit moduli (74 limbs at 2048), 27 bits to 13 824 (152 at 4096), then 26.
 * @module
 */
import { MODEXP_WASM_SCALAR_BASE64, MODEXP_WASM_SIMD_BASE64 } from './modexp-wasm.bytes.js';

interface Exports {
  memory: WebAssembly.Memory;
  setup(s: number, L: number, ninv: bigint, n: number, A: number, B: number, M: number, N: number, T: number): void;
  mont(dst: number, a: number, b: number): void;
  count(): number;
  pow(out: number, base: number, e: number, nbits: number, w: number, secret: number, tab: number, acc: number, sel: number, r2: number, one: number): void;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(new ArrayBuffer((clean.length * 3) >> 2));
  let acc = 0;
  let n = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]!);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out[o++] = (acc >> n) & 0xff;
    }
  }
  return out;
}

/** Largest limb width L ≤ 28 with 2s·(2^L − 1)² + 2^(64−L) < 2^64, s = ⌈bits / L⌉. */
export function limbBits(bits: number): number {
  for (let L = 28; L >= 16; L--) {
    const s = Math.ceil(bits / L);
    const m = (1n << BigInt(L)) - 1n;
    if (2n * BigInt(s) * m * m + (1n << BigInt(64 - L)) < 1n << 64n) return L;
  }
  return 16;
}

/** Fixed-window width for an exponent of `bits` bits: minimises table (2^w) + products (bits / w). */
export function fixedWindow(bits: number): number {
  let best = 1;
  let cost = Infinity;
  for (let w = 1; w <= 6; w++) {
    const c = (1 << w) + Math.ceil(bits / w);
    if (c < cost) {
      cost = c;
      best = w;
    }
  }
  return best;
}

/**
 * The bits a secret exponent of `eBits` bits is processed over: its length rounded up to 64-bit
 * words (at least one word). The value's bits below its word length never change the work.
 */
export function secretBits(eBits: number): number {
  return Math.max(64, Math.ceil(eBits / 64) * 64);
}

/** x ≥ 0 into s limbs of L bits at byte offset ptr (u32 words). */
function writeLimbs(u32: Uint32Array, ptr: number, x: bigint, s: number, L: number): void {
  const hex = x.toString(16);
  let w = ptr >> 2;
  let limb = 0;
  let fill = 0;
  let k = 0;
  const mask = (1 << L) - 1;
  for (let i = hex.length - 1; i >= 0; i--) {
    const d = parseInt(hex[i]!, 16);
    limb |= (d << fill) & mask;
    fill += 4;
    if (fill >= L) {
      u32[w++] = limb >>> 0;
      k++;
      fill -= L;
      limb = d >> (4 - fill);
    }
  }
  for (; k < s; k++) {
    u32[w++] = limb >>> 0;
    limb = 0;
  }
}

function readLimbs(u32: Uint32Array, ptr: number, s: number, L: number): bigint {
  const bl = BigInt(L);
  let r = 0n;
  for (let j = s - 1, w = (ptr >> 2) + j; j >= 0; j--, w--) r = (r << bl) | BigInt(u32[w]!);
  return r;
}

/** x ≥ 0 as 32-bit little-endian words at ptr, then two zero words. */
function writeWords(u32: Uint32Array, ptr: number, x: bigint, words: number): void {
  const hex = x.toString(16);
  let w = ptr >> 2;
  for (let end = hex.length; end > 0; end -= 8, w++) u32[w] = parseInt(hex.slice(Math.max(0, end - 8), end), 16) >>> 0;
  for (let k = Math.ceil(hex.length / 8); k < words + 2; k++, w++) u32[w] = 0;
}

function bitLen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Per-modulus constants, kept for the last modulus used (Paillier and CRT reuse a few moduli). */
interface ModCtx {
  m: bigint;
  bits: number;
  L: number;
  s: number;
  ninv: bigint;
  r2: bigint;
}

/** The kernel bound to one WebAssembly instance. Calls are synchronous and not re-entrant. */
export class WasmModexp {
  readonly #ex: Exports;
  #u32: Uint32Array;
  #ctx: ModCtx | undefined;
  /** Montgomery products the last `pow` took (tests: the secret form's count depends on sizes only). */
  lastProducts = 0;
  constructor(ex: Exports) {
    this.#ex = ex;
    this.#u32 = new Uint32Array(ex.memory.buffer);
  }
  #context(m: bigint): ModCtx {
    const c = this.#ctx;
    if (c && c.m === m) return c;
    const bits = bitLen(m);
    const L = limbBits(bits);
    const s = Math.ceil(bits / L);
    const two = 1n << BigInt(L);
    // n' = −m^−1 mod 2^L by Newton–Hensel: x ← x(2 − m·x) doubles the correct low bits
    const n0 = m & (two - 1n);
    let x = 1n;
    for (let i = 0; i < 5; i++) x = (x * (2n - n0 * x)) & (two - 1n);
    const ctx = { m, bits, L, s, ninv: (two - x) & (two - 1n), r2: (1n << BigInt(2 * L * s)) % m };
    this.#ctx = ctx;
    return ctx;
  }
  #ensure(bytes: number): void {
    const mem = this.#ex.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (this.#u32.buffer !== mem.buffer) this.#u32 = new Uint32Array(mem.buffer);
  }
  /**
   * base^exp mod m for odd m ≥ 3, 0 ≤ base < m, exp ≥ 1. `secret`: a fixed window over the
   * exponent's length rounded up to 64-bit words (`secretBits`; as OpenSSL's
   * BN_mod_exp_mont_consttime, Node's route, runs over the exponent's word length) with a masked
   * table scan: the sequence of operations depends on the modulus size and the exponent's word
   * length only; otherwise zero digits are skipped.
   */
  pow(base: bigint, exp: bigint, m: bigint, secret: boolean): bigint {
    const c = this.#context(m);
    const { s, L } = c;
    const eBits = bitLen(exp);
    const nbits = secret ? secretBits(eBits) : eBits;
    const w = fixedWindow(nbits);
    const limb = 4 * s;
    const words = Math.ceil(nbits / 32);
    // layout (16-byte aligned): A, B, M, N', T (the kernel's work areas), n, r2, one, base, acc, sel, out, e, table
    const stride = (limb + 15) & ~15;
    const A = 0;
    const B = A + stride;
    const M = B + stride;
    const Nr = M + stride;
    const T = Nr + stride;
    const N = T + stride;
    const R2 = N + stride;
    const ONE = R2 + stride;
    const BASE = ONE + stride;
    const ACC = BASE + stride;
    const SEL = ACC + stride;
    const OUT = SEL + stride;
    const E = OUT + stride;
    const TAB = (E + 4 * (words + 2) + 15) & ~15;
    this.#ensure(TAB + (stride << w));
    const u32 = this.#u32;
    writeLimbs(u32, N, m, s, L);
    writeLimbs(u32, R2, c.r2, s, L);
    writeLimbs(u32, ONE, 1n, s, L);
    writeLimbs(u32, BASE, base, s, L);
    writeWords(u32, E, exp, words);
    this.#ex.setup(s, L, c.ninv, N, A, B, M, Nr, T);
    this.#ex.pow(OUT, BASE, E, nbits, w, secret ? 1 : 0, TAB, ACC, SEL, R2, ONE);
    const r = readLimbs(this.#u32, OUT, s, L);
    this.lastProducts = this.#ex.count();
    // the secret window's table and accumulator are not left behind in linear memory
    if (secret) new Uint8Array(this.#ex.memory.buffer, 0, TAB + (stride << w)).fill(0);
    return r;
  }
}

let state: 'unloaded' | 'loading' | 'failed' | WasmModexp = 'unloaded';
let variant: 'simd' | 'scalar' | undefined;
let forceScalar = false;

/** Which build the loaded kernel is (undefined before it loads or where it cannot). */
export function wasmVariant(): 'simd' | 'scalar' | undefined {
  return typeof state === 'object' ? variant : undefined;
}

function instantiate(mod: WebAssembly.Module): WasmModexp {
  return new WasmModexp(new WebAssembly.Instance(mod, {}).exports as unknown as Exports);
}

/**
 * A separate instance of one build, compiled synchronously (benchmarks comparing the builds;
 * throws where WebAssembly refuses it). Library code uses `wasmKernel()`.
 */
export function createWasmKernel(build: 'simd' | 'scalar'): WasmModexp {
  const bytes = fromBase64(build === 'simd' ? MODEXP_WASM_SIMD_BASE64 : MODEXP_WASM_SCALAR_BASE64);
  return instantiate(new WebAssembly.Module(bytes));
}

/**
 * The kernel, compiled on first use: synchronously (Node, workers, and any page — the module is
 * under the 4 KB that browsers' main threads compile synchronously), or, where a synchronous
 * compile is refused, asynchronously in the background (undefined until ready: BigInt meanwhile).
 * Undefined where WebAssembly is unavailable or refuses the module.
 */
export function wasmKernel(): WasmModexp | undefined {
  if (typeof state === 'object') return state;
  if (state !== 'unloaded') return undefined;
  const wa = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!wa || typeof wa.Module !== 'function') {
    state = 'failed';
    return undefined;
  }
  const simd = fromBase64(MODEXP_WASM_SIMD_BASE64);
  const bytes = wa.validate(simd) && !forceScalar ? simd : fromBase64(MODEXP_WASM_SCALAR_BASE64);
  if (!wa.validate(bytes)) {
    state = 'failed';
    return undefined;
  }
  variant = bytes === simd ? 'simd' : 'scalar';
  try {
    state = instantiate(new wa.Module(bytes));
    return state;
  } catch {
    state = 'loading';
    wa.compile(bytes).then(
      (mod) => {
        state = instantiate(mod);
      },
      () => {
        state = 'failed';
      },
    );
    return undefined;
  }
}

/** Tests and benchmarks: forget the loaded kernel; the next `wasmKernel()` loads the SIMD build, or the scalar one with `scalar`. */
export function resetWasmKernel(opts: { scalar?: boolean } = {}): void {
  state = 'unloaded';
  variant = undefined;
  forceScalar = opts.scalar === true;
}

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
import { fail } from '../../errors.js';
import { MODEXP_WASM_SCALAR_BASE64, MODEXP_WASM_SIMD_BASE64 } from './modexp-wasm.bytes.js';

interface Exports {
  memory: WebAssembly.Memory;
  setup(s: number, L: number, ninv: bigint, n: number, A: number, B: number, M: number, N: number, T: number): void;
  mont(dst: number, a: number, b: number): void;
  count(): number;
  pow(out: number, base: number, e: number, nbits: number, w: number, secret: number, tab: number, acc: number, sel: number, r2: number, one: number): void;
  comb(out: number, e: number, nrows: number, w: number, tab: number, acc: number, sel: number, one: number): void;
}

/**
 * A fixed-base table resident in one kernel instance's linear memory (`WasmModexp.fixedBase`):
 * rows × 2^w Montgomery-form entries g^(d·2^(w·i))·R mod m. Its entries are powers of a public
 * base (ring-Pedersen s, t); secret exponents only choose among them under a mask.
 */
export interface WasmFixedTable {
  readonly kernel: WasmModexp;
  readonly m: bigint;
  readonly ptr: number;
  readonly rows: number;
  readonly w: number;
  /** Exponents up to this many bits (rows · w). */
  readonly maxBits: number;
  /** Linear memory it takes. */
  readonly bytes: number;
}

/** Linear memory the resident fixed-base tables of one instance may take in all (beyond: no table, the caller uses `pow`). */
export const FIXED_TABLES_MAX_BYTES = 64 << 20;

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

/** Byte offsets of one call's work areas (`WasmModexp.#layout`). */
interface Layout {
  stride: number;
  A: number;
  B: number;
  M: number;
  Nr: number;
  T: number;
  N: number;
  R2: number;
  ONE: number;
  BASE: number;
  ACC: number;
  SEL: number;
  OUT: number;
  E: number;
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
  /** Where the per-call work areas start: above the resident fixed-base tables. */
  #heap = 0;
  #tables: WasmFixedTable[] = [];
  #byKey = new Map<string, WasmFixedTable>();

  /** The per-call work areas from byte `base` (16-byte aligned): A, B, M, N', T (the kernel's), n, r2, one, base, acc, sel, out, then e. */
  #layout(base: number, s: number): Layout {
    const stride = (4 * s + 15) & ~15;
    const at = (k: number): number => base + k * stride;
    return { stride, A: at(0), B: at(1), M: at(2), Nr: at(3), T: at(4), N: at(5), R2: at(6), ONE: at(7), BASE: at(8), ACC: at(9), SEL: at(10), OUT: at(11), E: at(12) };
  }

  /** Write m, R² and 1 and point the kernel at modulus m (areas of `#layout`). */
  #setup(c: ModCtx, l: Layout): void {
    const u32 = this.#u32;
    writeLimbs(u32, l.N, c.m, c.s, c.L);
    writeLimbs(u32, l.R2, c.r2, c.s, c.L);
    writeLimbs(u32, l.ONE, 1n, c.s, c.L);
    this.#ex.setup(c.s, c.L, c.ninv, l.N, l.A, l.B, l.M, l.Nr, l.T);
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
    const words = Math.ceil(nbits / 32);
    const l = this.#layout(this.#heap, s);
    const TAB = (l.E + 4 * (words + 2) + 15) & ~15;
    this.#ensure(TAB + (l.stride << w));
    this.#setup(c, l);
    writeLimbs(this.#u32, l.BASE, base, s, L);
    writeWords(this.#u32, l.E, exp, words);
    this.#ex.pow(l.OUT, l.BASE, l.E, nbits, w, secret ? 1 : 0, TAB, l.ACC, l.SEL, l.R2, l.ONE);
    const r = readLimbs(this.#u32, l.OUT, s, L);
    this.lastProducts = this.#ex.count();
    // the secret window's table and accumulator are not left behind in linear memory
    if (secret) new Uint8Array(this.#ex.memory.buffer, this.#heap, TAB + (l.stride << w) - this.#heap).fill(0);
    return r;
  }

  /**
   * A fixed-base table for base^e mod m (odd m in the kernel's sizes, 1 < base < m) with exponents
   * of up to `maxBits` bits, in windows of w ≤ 6 bits, built now (rows · 2^w products) and kept in
   * this instance's linear memory for its lifetime (the same parameters again return the same
   * table); undefined when the resident tables would pass `FIXED_TABLES_MAX_BYTES` (the caller then
   * uses `pow`).
   */
  fixedBase(base: bigint, m: bigint, maxBits: number, w: number): WasmFixedTable | undefined {
    const rows = Math.ceil(secretBits(maxBits) / w);
    // one table per (base, m, w, rows) in an instance: objects re-created for the same parameters share it
    const key = `${m.toString(16)}:${base.toString(16)}:${w}:${rows}`;
    const known = this.#byKey.get(key);
    if (known) return known;
    const c = this.#context(m);
    const size = 1 << w;
    const stride = (4 * c.s + 15) & ~15;
    const bytes = rows * size * stride;
    const used = this.#tables.reduce((a, t) => a + t.bytes, 0);
    if (used + bytes > FIXED_TABLES_MAX_BYTES) return undefined;
    const ptr = this.#heap;
    const heap = (ptr + bytes + 15) & ~15;
    const l = this.#layout(heap, c.s);
    this.#ensure(l.E + 16);
    this.#setup(c, l);
    writeLimbs(this.#u32, l.BASE, base, c.s, c.L);
    const ex = this.#ex;
    const entry = (i: number, d: number): number => ptr + (i * size + d) * stride;
    // row i: entry 0 = R mod n, entry 1 = g_i·R with g_0 = base, entry d = entry(d − 1)·entry 1; g_{i+1} = g_i^(2^w)
    ex.mont(entry(0, 1), l.BASE, l.R2);
    for (let i = 0; i < rows; i++) {
      ex.mont(entry(i, 0), l.R2, l.ONE);
      if (i > 0) ex.mont(entry(i, 1), entry(i - 1, size - 1), entry(i - 1, 1));
      for (let d = 2; d < size; d++) ex.mont(entry(i, d), entry(i, d - 1), entry(i, 1));
    }
    this.#heap = heap;
    const t: WasmFixedTable = { kernel: this, m, ptr, rows, w, maxBits: rows * w, bytes };
    this.#tables.push(t);
    this.#byKey.set(key, t);
    return t;
  }

  /**
   * base^exp mod m from a resident table, for a SECRET exponent 0 < exp < 2^t.maxBits: one masked
   * row scan and one product per w bits of the exponent's length rounded up to 64-bit words
   * (`secretBits`) — the operations depend on the sizes only. Work areas are zeroed afterwards.
   */
  combPow(t: WasmFixedTable, exp: bigint): bigint {
    if (t.kernel !== this) fail('INVALID_ARGUMENT', 'combPow: a table of another kernel instance');
    const c = this.#context(t.m);
    const nbits = secretBits(bitLen(exp));
    if (nbits > t.maxBits) fail('OUT_OF_RANGE', 'combPow: the exponent is longer than the table');
    const words = Math.ceil(nbits / 32);
    const l = this.#layout(this.#heap, c.s);
    const end = l.E + 4 * (words + 2);
    this.#ensure(end);
    this.#setup(c, l);
    writeWords(this.#u32, l.E, exp, words);
    this.#ex.comb(l.OUT, l.E, Math.ceil(nbits / t.w), t.w, t.ptr, l.ACC, l.SEL, l.ONE);
    const r = readLimbs(this.#u32, l.OUT, c.s, c.L);
    this.lastProducts = this.#ex.count();
    new Uint8Array(this.#ex.memory.buffer, this.#heap, end - this.#heap).fill(0);
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

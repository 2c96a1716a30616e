/**
 * Prime generation: plain, Blum (p ≡ 3 mod 4) and safe (p = 2q + 1, q prime) primes.
 *
 * - In Node with the default CSPRNG: OpenSSL's `crypto.generatePrime` (async, off the main thread
 *   in libuv's pool) or `generatePrimeSync`; safe primes use `{safe: true}`. The result is
 *   re-checked here (Miller–Rabin) before it is returned.
 * - Elsewhere, or whenever an explicit `Rng` is passed (seeded, reproducible generation for
 *   vectors): a JS sieve over candidates (and 2q + 1 for safe primes) with Miller–Rabin. The async
 *   form yields to the event loop between sieve batches.
 * - `PrimePool` prepares primes ahead of time; `setPrimeGeneratorHook` lets the runtime route
 *   generation to a worker pool (workers/).
 * @module
 */
import { aInt } from '../bytes.js';
import { fail } from '../errors.js';
import { cryptoRng, type Rng } from '../rng.js';
import { hasSmallFactor, isProbablePrime, primesBelow } from './arith.js';
import { chooseBackend, modPowSecret } from './modexp.js';

export type PrimeKind = 'plain' | 'blum' | 'safe';

export interface PrimeOptions {
  /** `plain`, `blum` (≡ 3 mod 4), or `safe` (2q + 1 with q prime; also Blum). Default `safe`. */
  kind?: PrimeKind;
  /** Randomness. Omit for the platform generator (OpenSSL in Node); pass one for reproducible JS generation. */
  rng?: Rng;
}

interface NodePrimeApi {
  generatePrime(bits: number, opts: { safe?: boolean; add?: bigint; rem?: bigint; bigint: true }, cb: (err: Error | null, p: bigint) => void): void;
  generatePrimeSync(bits: number, opts: { safe?: boolean; add?: bigint; rem?: bigint; bigint: true }): bigint;
}

function nodePrimes(): NodePrimeApi | undefined {
  try {
    const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
    if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return undefined;
    const c = proc.getBuiltinModule('node:crypto') as Partial<NodePrimeApi> | undefined;
    return c && typeof c.generatePrime === 'function' && typeof c.generatePrimeSync === 'function' ? (c as NodePrimeApi) : undefined;
  } catch {
    return undefined;
  }
}

function nodeOpts(kind: PrimeKind): { safe?: boolean; add?: bigint; rem?: bigint; bigint: true } {
  if (kind === 'safe') return { safe: true, bigint: true };
  if (kind === 'blum') return { add: 4n, rem: 3n, bigint: true };
  return { bigint: true };
}

function aKind(kind: unknown): PrimeKind {
  if (kind !== 'plain' && kind !== 'blum' && kind !== 'safe') fail('INVALID_ARGUMENT', `kind: expected plain, blum or safe`);
  return kind;
}

function aBits(bits: unknown, kind: PrimeKind): number {
  return aInt(bits, 'bits', kind === 'safe' ? 16 : 8, 8192);
}

/**
 * Cheap shape checks of a safe prime found elsewhere (a pool worker that already ran Miller–Rabin):
 * exactly `bits` bits, p ≡ 3 (mod 4), and neither p nor (p − 1)/2 has a small prime factor. No
 * exponentiation, so it never blocks a browser's main thread; the full re-check runs where the key
 * is used (the aux session's `validateInput`).
 */
export function looksLikeSafePrime(p: bigint, bits: number): boolean {
  if (typeof p !== 'bigint' || p.toString(2).length !== bits || (p & 3n) !== 3n) return false;
  return !hasSmallFactor(p) && !hasSmallFactor(p >> 1n);
}

/** True when p is a probable safe prime: p and (p − 1)/2 both pass Miller–Rabin. */
export function isSafePrime(p: bigint, rounds = 40, rng: Rng = cryptoRng): boolean {
  if (typeof p !== 'bigint' || p < 5n || (p & 3n) !== 3n) return p === 5n || p === 7n ? true : false;
  const q = p >> 1n;
  // cheap filters first: Fermat base 2 on q and p (constant-time route: the candidates are secret)
  if (q > 2000n && (hasSmallFactor(q) || modPowSecret(2n, q - 1n, q) !== 1n)) return false;
  if (p > 2000n && (hasSmallFactor(p) || modPowSecret(2n, p - 1n, p) !== 1n)) return false;
  return isProbablePrime(q, rounds, rng) && isProbablePrime(p, rounds, rng);
}

/** True when p is a probable prime ≡ 3 (mod 4). */
export function isBlumPrime(p: bigint, rounds = 40, rng: Rng = cryptoRng): boolean {
  return typeof p === 'bigint' && (p & 3n) === 3n && isProbablePrime(p, rounds, rng);
}

/** Check a generated prime of `kind` and `bits` bits; PRIME_GENERATION_FAILED otherwise. */
function verify(p: bigint, bits: number, kind: PrimeKind, rounds: number): bigint {
  const lenOk = p.toString(2).length === bits;
  const ok = lenOk && (kind === 'safe' ? isSafePrime(p, rounds) : kind === 'blum' ? isBlumPrime(p, rounds) : isProbablePrime(p, rounds));
  if (!ok) fail('PRIME_GENERATION_FAILED', `generated ${kind} prime of ${bits} bits failed verification`);
  return p;
}

/** Miller–Rabin rounds used to re-check what OpenSSL returns (OpenSSL already ran its own 64+). */
const RECHECK_ROUNDS = 2;
/** Rounds for JS-generated candidates: 2^−80 error for random 1024-bit candidates needs far fewer, we use 40. */
const JS_ROUNDS = 40;

// ---------------------------------------------------------------------------------------------
// JS sieve

/**
 * Sieve tables: the odd primes below a bound B. A window of candidates c_k = start + step·k is
 * sieved by marking, per prime s, the k with c_k ≡ 0 (and, for safe primes, 2c_k + 1 ≡ 0) mod s —
 * so only about 1 in 150 safe-prime candidates reaches the first exponentiation with B = 2^16
 * (1 in 70 with primes below 2000), 1 in 230 with B = 2^20 (survivors ∝ 1/ln²B for safe primes).
 * A deeper sieve removes only composites, which the Fermat filter would have rejected without
 * drawing randomness: seeded generation returns the same primes whatever the depth.
 *
 * - `SHALLOW` (B = 2^16): a fresh random start per window (seeded generation; its residues cost
 *   one BigInt division per three primes, per window).
 * - `DEEP` (B = 2^20, built on first use): the incremental search of the platform RNG (pool
 *   workers, browsers), whose residues are computed once per start and then advanced in doubles.
 */
interface SieveTable {
  readonly nums: readonly number[];
  /** Runs of consecutive primes whose product stays < 2^53 (x mod product is exact as a double): one BigInt division per run. */
  readonly groups: readonly { prod: bigint; from: number; to: number }[];
}

function sieveTable(bound: number): SieveTable {
  const nums = primesBelow(bound).slice(1);
  const groups: { prod: bigint; from: number; to: number }[] = [];
  for (let i = 0; i < nums.length; ) {
    let to = i + 1;
    let prod = nums[i]!;
    while (to < nums.length && prod * nums[to]! < 2 ** 53) prod *= nums[to++]!;
    groups.push({ prod: BigInt(prod), from: i, to });
    i = to;
  }
  return { nums, groups };
}

const SHALLOW: SieveTable = sieveTable(1 << 16);
let deep: SieveTable | undefined;
const DEEP = (): SieveTable => (deep ??= sieveTable(1 << 20));

/** start mod s for every sieve prime s (one BigInt division per three primes). */
function sieveResidues(start: bigint, table: SieveTable = SHALLOW): Float64Array {
  const r = new Float64Array(table.nums.length);
  for (const g of table.groups) {
    const m = Number(start % g.prod);
    for (let i = g.from; i < g.to; i++) r[i] = m % table.nums[i]!;
  }
  return r;
}

/** Candidate indices k < span that a sieve prime s < 2^(bits−3) (below every candidate) rules out; `res[i]` = start mod s_i. */
function sieveMarks(res: Float64Array, kind: PrimeKind, bits: number, span: number, table: SieveTable = SHALLOW): Uint8Array {
  const step = kind === 'blum' ? 4 : 2;
  const dead = new Uint8Array(span);
  const maxS = 2 ** Math.max(0, bits - 3);
  const nums = table.nums;
  for (let i = 0; i < nums.length; i++) {
    const s = nums[i]!;
    if (s >= maxS) break;
    const r = res[i]!;
    const half = (s + 1) / 2; // 2⁻¹ mod s
    const inv = step === 2 ? half : (half * half) % s; // step⁻¹ mod s (products < 2^40: exact)
    // c_k ≡ r + step·k ≡ 0 (mod s)  ⇔  k ≡ −r·step⁻¹
    for (let k = (((s - r) % s) * inv) % s; k < span; k += s) dead[k] = 1;
    // safe: p = 2c_k + 1 ≡ 0  ⇔  c_k ≡ (s − 1)/2  ⇔  k ≡ ((s − 1)/2 − r)·step⁻¹
    if (kind === 'safe') for (let k = ((((s - 1) / 2 - r + s) % s) * inv) % s; k < span; k += s) dead[k] = 1;
  }
  return dead;
}

/**
 * 2^e mod m on a regular schedule — every exponent bit costs one squaring, one doubling and a
 * selection, whatever its value (the discipline of the ladder `modPowSecret` takes in portable
 * code, at half its multiplications: doubling is a shift). For Fermat tests of secret candidates.
 */
export function pow2Secret(e: bigint, m: bigint): bigint {
  const bits = e.toString(2);
  let r = 1n % m;
  for (let i = 0; i < bits.length; i++) {
    r = (r * r) % m;
    const d = r << 1n;
    const d2 = d >= m ? d - m : d;
    r = bits.charCodeAt(i) === 49 ? d2 : r;
  }
  return r;
}

/** Fermat base 2: 2^(c−1) ≡ 1 (mod c). Portable code: `pow2Secret`; where `modPowSecret` has a native route, that. */
function fermat2(c: bigint): boolean {
  return (chooseBackend(c - 1n, c, true) === 'portable' ? pow2Secret(c - 1n, c) : modPowSecret(2n, c - 1n, c)) === 1n;
}

/** Residues of start + delta from those of start (delta < 2^53). */
function advanceResidues(res: Float64Array, delta: number, table: SieveTable = SHALLOW): void {
  const nums = table.nums;
  for (let i = 0; i < res.length; i++) res[i] = (res[i]! + (delta % nums[i]!)) % nums[i]!;
}

/** A random `bits`-bit odd integer with the two top bits set (so p·q has exactly 2·bits bits). */
function randomStart(bits: number, rng: Rng): bigint {
  const len = Math.ceil(bits / 8);
  const b = rng.bytes(len);
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  x &= (1n << BigInt(bits)) - 1n;
  x |= (3n << BigInt(bits - 2)) | 1n;
  return x;
}

/**
 * One sieve window: returns the first prime of `kind` among candidates start + step·k (k < span),
 * or undefined. For safe primes the candidate is q and p = 2q + 1 is sieved alongside.
 */
function sieveWindow(start: bigint, kind: PrimeKind, bits: number, rng: Rng, span: number, res: Float64Array = sieveResidues(start), table: SieveTable = SHALLOW): bigint | undefined {
  // candidates: plain: odd; blum: ≡ 3 mod 4; safe: q odd (p = 2q+1 ≡ 3 mod 4 automatically)
  const step = kind === 'blum' ? 4 : 2;
  const dead = sieveMarks(res, kind, bits, span, table);
  for (let k = 0; k < span; k++) {
    if (dead[k]) continue;
    const off = step * k;
    const c = start + BigInt(off);
    if (kind === 'safe') {
      const p = 2n * c + 1n;
      if (p.toString(2).length !== bits) return undefined;
      // q and p: Fermat base 2 filters, then full MR on both
      if (!fermat2(c) || !fermat2(p)) continue;
      if (isProbablePrime(c, JS_ROUNDS, rng) && isProbablePrime(p, JS_ROUNDS, rng)) return p;
    } else {
      if (c.toString(2).length !== bits) return undefined;
      if (!fermat2(c)) continue;
      if (isProbablePrime(c, JS_ROUNDS, rng)) return c;
    }
  }
  return undefined;
}

function jsStart(bits: number, kind: PrimeKind, rng: Rng): bigint {
  if (kind === 'safe') return randomStart(bits - 1, rng);
  let s = randomStart(bits, rng);
  if (kind === 'blum') s |= 3n;
  return s;
}

/** Candidates per window of the seeded search (a fresh start each: fixed, so seeded results stay as pinned). */
const SPAN = 1024;
/** Candidates per window of the incremental search (≈ 35 survivors of the deep sieve for safe primes). */
const INCREMENTAL_SPAN = 8192;
/** The incremental search yields to the event loop (abort messages) when this long passed since the last yield, ms. */
const YIELD_MS = 25;

function jsPrimeSync(bits: number, kind: PrimeKind, rng: Rng): bigint {
  for (;;) {
    const p = sieveWindow(jsStart(bits, kind, rng), kind, bits, rng, SPAN);
    if (p !== undefined) return p;
  }
}

const clock = (): number => (typeof globalThis.performance === 'object' ? performance.now() : Date.now());
/** A macrotask turn (a MessageChannel where there is one: no 4 ms clamp of nested timers). */
function yieldTurn(): Promise<void> {
  const MC = (globalThis as { MessageChannel?: typeof MessageChannel }).MessageChannel;
  if (typeof MC !== 'function') return new Promise<void>((r) => setTimeout(r, 0));
  return new Promise<void>((r) => {
    const ch = new MC();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(0);
  });
}

/**
 * Async JS search. With an explicit (seeded) rng: a fresh random start per window of `SPAN`, as
 * `jsPrimeSync` (reproducible). With the platform CSPRNG (browsers, pool workers): an incremental
 * search from one random start, window after window of `INCREMENTAL_SPAN` sieved by the primes
 * below 2^20 (the residues advance without BigInt division), until the candidates leave the bit
 * size — then a new start. It yields to the event loop every `YIELD_MS` (so an abort is seen).
 */
async function jsPrime(bits: number, kind: PrimeKind, rng: Rng, signal?: AbortSignal): Promise<bigint> {
  const incremental = rng === cryptoRng;
  const table = incremental ? DEEP() : SHALLOW;
  const span = incremental ? INCREMENTAL_SPAN : SPAN;
  const stride = (kind === 'blum' ? 4 : 2) * span;
  let start = jsStart(bits, kind, rng);
  let res = sieveResidues(start, table);
  let lastYield = clock();
  for (;;) {
    if (signal?.aborted) fail('ABORTED', 'prime generation aborted');
    const p = sieveWindow(start, kind, bits, rng, span, res, table);
    if (p !== undefined) return p;
    const next = start + BigInt(stride);
    const top = kind === 'safe' ? 2n * next + 1n : next;
    if (incremental && top.toString(2).length === bits) {
      start = next;
      advanceResidues(res, stride, table);
    } else {
      start = jsStart(bits, kind, rng);
      res = sieveResidues(start, table);
    }
    if (!incremental || clock() - lastYield >= YIELD_MS) {
      await (incremental ? yieldTurn() : new Promise<void>((r) => setTimeout(r, 0)));
      lastYield = clock();
    }
  }
}

/** Sieve internals for tests: the survivors of one window, with either table. */
export const __TEST = {
  survivors(start: bigint, kind: PrimeKind, bits: number, span: number, depth: 'shallow' | 'deep'): number[] {
    const table = depth === 'deep' ? DEEP() : SHALLOW;
    const dead = sieveMarks(sieveResidues(start, table), kind, bits, span, table);
    const out: number[] = [];
    for (let k = 0; k < span; k++) if (!dead[k]) out.push(k);
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// public API

/** A pluggable async generator (the worker pool installs one). */
export type PrimeGeneratorHook = (bits: number, kind: PrimeKind) => Promise<bigint>;
let hook: PrimeGeneratorHook | undefined;

/**
 * Route `generatePrime` calls that use the platform RNG to `fn` (e.g. a worker pool); `undefined`
 * restores the built-in path. Results from the hook are verified like any other.
 */
export function setPrimeGeneratorHook(fn: PrimeGeneratorHook | undefined): void {
  if (fn !== undefined && typeof fn !== 'function') fail('INVALID_ARGUMENT', 'hook: expected a function');
  hook = fn;
}

/**
 * A random prime of exactly `bits` bits, asynchronously. With the platform RNG in Node this runs
 * in OpenSSL on libuv's thread pool (the main thread stays free); with an explicit `rng` or
 * outside Node, the JS sieve runs in slices between event-loop turns.
 */
export async function generatePrime(bits: number, opts: PrimeOptions & { signal?: AbortSignal } = {}): Promise<bigint> {
  const kind = aKind(opts.kind ?? 'safe');
  aBits(bits, kind);
  if (opts.signal?.aborted) fail('ABORTED', 'prime generation aborted');
  if (opts.rng === undefined) {
    if (hook) return verify(await hook(bits, kind), bits, kind, RECHECK_ROUNDS);
    const node = nodePrimes();
    if (node) {
      // OpenSSL's search cannot be interrupted: an abort is honoured when it returns (stop the worker to stop it at once)
      const p = await new Promise<bigint>((res, rej) => node.generatePrime(bits, nodeOpts(kind), (err, v) => (err ? rej(err) : res(v))));
      if (opts.signal?.aborted) fail('ABORTED', 'prime generation aborted');
      return verify(p, bits, kind, RECHECK_ROUNDS);
    }
  }
  return jsPrime(bits, kind, opts.rng ?? cryptoRng, opts.signal);
}

/** Synchronous `generatePrime` (blocks the calling thread: use in workers or scripts). */
export function generatePrimeSync(bits: number, opts: PrimeOptions = {}): bigint {
  const kind = aKind(opts.kind ?? 'safe');
  aBits(bits, kind);
  if (opts.rng === undefined) {
    const node = nodePrimes();
    if (node) return verify(node.generatePrimeSync(bits, nodeOpts(kind)), bits, kind, RECHECK_ROUNDS);
  }
  return jsPrimeSync(bits, kind, opts.rng ?? cryptoRng);
}

/** A safe prime of `bits` bits (async). */
export function generateSafePrime(bits: number, opts: Omit<PrimeOptions, 'kind'> = {}): Promise<bigint> {
  return generatePrime(bits, { ...opts, kind: 'safe' });
}

/** A Blum prime (≡ 3 mod 4) of `bits` bits (async). */
export function generateBlumPrime(bits: number, opts: Omit<PrimeOptions, 'kind'> = {}): Promise<bigint> {
  return generatePrime(bits, { ...opts, kind: 'blum' });
}

/**
 * Primes prepared ahead of time: `fill()` generates in the background (one at a time, so it never
 * monopolises a shared machine) until `target` are ready; `take()` returns a ready prime at once or
 * generates one. Each prime is handed out once.
 */
export class PrimePool {
  readonly bits: number;
  readonly kind: PrimeKind;
  readonly target: number;
  readonly #ready: bigint[] = [];
  #filling: Promise<void> | undefined;
  #stopped = false;
  readonly #rng: Rng | undefined;
  constructor(opts: { bits: number; kind?: PrimeKind; target?: number; rng?: Rng }) {
    this.kind = aKind(opts.kind ?? 'safe');
    this.bits = aBits(opts.bits, this.kind);
    this.target = aInt(opts.target ?? 2, 'target', 0, 1024);
    this.#rng = opts.rng;
  }
  /** How many primes are ready now. */
  get size(): number {
    return this.#ready.length;
  }
  #gen(): Promise<bigint> {
    return generatePrime(this.bits, this.#rng ? { kind: this.kind, rng: this.#rng } : { kind: this.kind });
  }
  /** Start (or join) background generation up to `target`; resolves when the pool is full or stopped. */
  fill(): Promise<void> {
    this.#stopped = false;
    if (!this.#filling) {
      this.#filling = (async () => {
        try {
          while (!this.#stopped && this.#ready.length < this.target) this.#ready.push(await this.#gen());
        } finally {
          this.#filling = undefined;
        }
      })();
    }
    return this.#filling;
  }
  /** A prime: a prepared one when available, otherwise generated now. Refills in the background. */
  async take(): Promise<bigint> {
    const p = this.#ready.shift();
    const out = p ?? (await this.#gen());
    if (!this.#stopped) void this.fill().catch(() => undefined);
    return out;
  }
  /** Add externally generated primes (verified). */
  add(...primes: bigint[]): void {
    for (const p of primes) this.#ready.push(verify(p, this.bits, this.kind, RECHECK_ROUNDS));
  }
  /** Stop background generation after the prime in progress. */
  stop(): void {
    this.#stopped = true;
  }
}

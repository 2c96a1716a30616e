/**
 * Portable modular exponentiation on native bigint: runs wherever BigInt does (browsers, workers,
 * React Native/Hermes, Node). No platform API is touched. Inputs are pre-validated by
 * `modexp.ts`: m ≥ 2, 0 ≤ base < m, exp ≥ 0.
 *
 * Montgomery multiplication written in BigInt is slower than `%` at every size we care about
 * (performance.md), so reduction is plain `%`.
 * @module
 */

/** Sliding-window width for an exponent of `bits` bits (minimises precomputation + multiplications). */
export function windowBits(bits: number): number {
  if (bits > 1300) return 6;
  if (bits > 400) return 5;
  if (bits > 120) return 4;
  if (bits > 30) return 3;
  if (bits > 6) return 2;
  return 1;
}

/** Odd powers b, b³, b⁵, …, b^(2^w − 1) mod m. */
function oddPowers(b: bigint, w: number, m: bigint): bigint[] {
  const n = 1 << (w - 1);
  const t: bigint[] = new Array<bigint>(n);
  t[0] = b;
  if (n > 1) {
    const b2 = (b * b) % m;
    for (let i = 1; i < n; i++) t[i] = (t[i - 1]! * b2) % m;
  }
  return t;
}

/** One window of a left-to-right sliding-window decomposition: value (odd) and its lowest bit. */
interface Window {
  value: number;
  low: number;
}

/** Sliding-window decomposition of e > 0 (bit string, most significant first). */
function slidingWindows(bits: string, w: number): Window[] {
  const out: Window[] = [];
  const n = bits.length;
  let i = 0;
  while (i < n) {
    if (bits.charCodeAt(i) === 48) {
      i++;
      continue;
    }
    let j = Math.min(i + w, n) - 1;
    while (bits.charCodeAt(j) === 48) j--;
    out.push({ value: parseInt(bits.slice(i, j + 1), 2), low: n - 1 - j });
    i = j + 1;
  }
  return out;
}

/** base^exp mod m by left-to-right sliding window. Variable time: public data only. */
export function modPowPortable(base: bigint, exp: bigint, m: bigint): bigint {
  if (exp === 0n) return 1n % m;
  if (base <= 1n) return base;
  const bits = exp.toString(2);
  const w = windowBits(bits.length);
  const table = oddPowers(base, w, m);
  const n = bits.length;
  let r = 1n;
  let started = false;
  let i = 0;
  while (i < n) {
    if (bits.charCodeAt(i) === 48) {
      if (started) r = (r * r) % m;
      i++;
      continue;
    }
    let j = Math.min(i + w, n) - 1;
    while (bits.charCodeAt(j) === 48) j--;
    const v = parseInt(bits.slice(i, j + 1), 2);
    if (started) {
      for (let k = i; k <= j; k++) r = (r * r) % m;
      r = (r * table[v >> 1]!) % m;
    } else {
      r = table[v >> 1]!;
      started = true;
    }
    i = j + 1;
  }
  return r;
}

/**
 * base^exp mod m by a Montgomery ladder over `minBits` (at least the exponent's length) bits:
 * the sequence of multiplications does not depend on the exponent's bits. BigInt arithmetic
 * itself is not constant-time, so this is the best a portable engine can do; in Node the
 * native constant-time route is used instead.
 */
export function modPowLadder(base: bigint, exp: bigint, m: bigint, minBits = 0): bigint {
  const bits = exp.toString(2).padStart(minBits, '0');
  let r0 = 1n % m;
  let r1 = base;
  for (let i = 0; i < bits.length; i++) {
    if (bits.charCodeAt(i) === 49) {
      r0 = (r0 * r1) % m;
      r1 = (r1 * r1) % m;
    } else {
      r1 = (r0 * r1) % m;
      r0 = (r0 * r0) % m;
    }
  }
  return r0;
}

/**
 * Π base_i^exp_i mod m by interleaved sliding windows (one shared chain of squarings).
 * Bases reduced into [0, m), exponents ≥ 0.
 */
export function multiModPowPortable(pairs: readonly (readonly [bigint, bigint])[], m: bigint): bigint {
  const live = pairs.filter(([b, e]) => e !== 0n && b !== 1n);
  if (live.some(([b]) => b === 0n)) return 0n;
  if (live.length === 0) return 1n % m;
  let maxBits = 0;
  const decomp = live.map(([b, e]) => {
    const bits = e.toString(2);
    if (bits.length > maxBits) maxBits = bits.length;
    const w = Math.min(windowBits(bits.length), 5);
    return { table: oddPowers(b, w, m), windows: slidingWindows(bits, w) };
  });
  // bucket the windows by their lowest bit position
  const at: { table: bigint[]; value: number }[][] = Array.from({ length: maxBits }, () => []);
  for (const d of decomp) for (const win of d.windows) at[win.low]!.push({ table: d.table, value: win.value });
  let r = 1n;
  let started = false;
  for (let pos = maxBits - 1; pos >= 0; pos--) {
    if (started) r = (r * r) % m;
    for (const { table, value } of at[pos]!) {
      r = started ? (r * table[value >> 1]!) % m : table[value >> 1]!;
      started = true;
    }
  }
  return r;
}

/**
 * Fixed-base windowed table: rows[i][d] = base^(d · 2^(w·i)) mod m for d < 2^w. A power with an
 * exponent of k bits costs ⌈k / w⌉ − 1 multiplications and no squaring.
 */
export class PortableFixedBase {
  readonly w: number;
  readonly maxBits: number;
  readonly #rows: bigint[][];
  readonly #m: bigint;
  constructor(base: bigint, m: bigint, maxBits: number, w: number) {
    this.w = w;
    this.maxBits = maxBits;
    this.#m = m;
    const rowsN = Math.ceil(maxBits / w);
    const size = 1 << w;
    this.#rows = new Array<bigint[]>(rowsN);
    let g = base;
    for (let i = 0; i < rowsN; i++) {
      const row = new Array<bigint>(size);
      row[0] = 1n;
      row[1] = g;
      for (let d = 2; d < size; d++) row[d] = (row[d - 1]! * g) % m;
      this.#rows[i] = row;
      g = (row[size - 1]! * g) % m; // g^(2^w)
    }
  }
  /** base^exp mod m for 0 ≤ exp < 2^maxBits. */
  pow(exp: bigint): bigint {
    const m = this.#m;
    const w = this.w;
    const mask = BigInt((1 << w) - 1);
    const wb = BigInt(w);
    let r = 1n;
    let started = false;
    for (let i = 0; exp > 0n; i++, exp >>= wb) {
      const d = Number(exp & mask);
      if (d === 0) continue;
      const v = this.#rows[i]![d]!;
      r = started ? (r * v) % m : v;
      started = true;
    }
    return started ? r % m : 1n % m;
  }
}

/**
 * Πprm prover commitments made ahead of time (issue 13): the prover's first message draws
 * a_i ← Z_φ(N) and computes A_i = t^a_i mod N for each of the m repetitions. Neither depends on the
 * statement's transcript — only on the party's own (N, t) and φ(N) — so they can be made before the
 * session (e.g. in the math pool's workers once the primes are known) and the round only hashes
 * and adds. `take()` REMOVES the entry: an a_i answers one challenge only (two answers z_i, z'_i
 * with different e_i give λ = z'_i − z_i mod φ). The pool lives in the thread that made it; a
 * structured clone of it is not a pool (private fields do not cross) and is refused by the aux
 * input's validation.
 * @module
 */
import { CrtContext } from '../bigint/modexp.js';
import { fail } from '../errors.js';
import { cryptoRng, randomBelow, type Rng } from '../rng.js';
import { isRpElement } from './util.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** One prepared repetition: A = t^a mod N, a ∈ [0, φ(N)). Secret a. */
export interface PrmCommitment {
  readonly a: bigint;
  readonly A: bigint;
}

/** Default capacity: one proof's worth at the largest profile (m = 128). */
export const PRM_POOL_CAPACITY = 128;

/** Draw a_i ← Z_φ(N) and A_i = t^a_i mod N by CRT (p, q: the factors of N; constant-time route). */
export function drawPrmCommitments(p: bigint, q: bigint, t: bigint, count: number, rng: Rng = cryptoRng): PrmCommitment[] {
  if (typeof p !== 'bigint' || typeof q !== 'bigint' || typeof t !== 'bigint' || p < 3n || q < 3n || p === q) fail('INVALID_ARGUMENT', 'drawPrmCommitments: expected the factors p, q of N and t');
  if (!Number.isSafeInteger(count) || count < 0 || count > 1 << 16) fail('OUT_OF_RANGE', 'drawPrmCommitments: count must be 0..65536');
  const phi = (p - 1n) * (q - 1n);
  const crt = new CrtContext([
    [p, 1],
    [q, 1],
  ]);
  const out: PrmCommitment[] = [];
  for (let i = 0; i < count; i++) {
    const a = randomBelow(rng, phi);
    out.push({ a, A: crt.pow(t, a, { secret: true }) });
  }
  return out;
}

/** A bounded single-use pool of (a_i, A_i) for one party's own (N, t). */
export class PrmPool {
  readonly N: bigint;
  readonly t: bigint;
  readonly capacity: number;
  #entries: PrmCommitment[] = [];

  constructor(N: bigint, t: bigint, capacity = PRM_POOL_CAPACITY) {
    if (typeof N !== 'bigint' || N < 3n || (N & 1n) === 0n) fail('INVALID_ARGUMENT', 'PrmPool: N must be an odd modulus');
    if (typeof t !== 'bigint' || !isRpElement(t, N) || t === N - 1n) fail('INVALID_ARGUMENT', 'PrmPool: t must be in Z*_N \\ {1, N−1}');
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 1 << 16) fail('OUT_OF_RANGE', 'PrmPool: capacity must be 1..65536');
    this.N = N;
    this.t = t;
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Whether this pool serves the parameters (N, t). */
  serves(N: bigint, t: bigint): boolean {
    return this.N === N && this.t === t;
  }

  /** One entry, removed from the pool, or undefined when none is ready. */
  take(): PrmCommitment | undefined {
    return this.#entries.pop();
  }

  /** Compute up to `count` entries now from the factors of N (never beyond capacity); returns how many were added. */
  fillSync(p: bigint, q: bigint, count: number, rng: Rng = cryptoRng): number {
    if (typeof p !== 'bigint' || typeof q !== 'bigint' || p * q !== this.N) fail('INVALID_ARGUMENT', 'PrmPool.fillSync: p, q do not factor N');
    if (!Number.isSafeInteger(count) || count < 0) fail('OUT_OF_RANGE', 'PrmPool.fillSync: count must be a non-negative integer');
    const n = Math.max(0, Math.min(count, this.capacity - this.#entries.length));
    this.#entries.push(...drawPrmCommitments(p, q, this.t, n, rng));
    return n;
  }

  /**
   * Entries made elsewhere by this application (its own math pool workers), added up to capacity;
   * returns how many were added. Each is checked for shape — a ∈ [0, N), A ∈ Z*_N \ {1} — and
   * none is added on a failure (INVALID_ARGUMENT); that A = t^a is not re-checked (it would cost
   * the exponentiation the worker saved): only hand it entries from your own workers. An entry
   * already in the pool is refused (never two proofs with one a_i).
   */
  add(entries: readonly PrmCommitment[]): number {
    if (!Array.isArray(entries)) fail('INVALID_ARGUMENT', 'PrmPool.add: expected an array of {a, A}');
    const seen = new Set(this.#entries.map((e) => e.a));
    entries.forEach((e, i) => {
      const { a, A } = (e ?? {}) as Partial<PrmCommitment>;
      if (typeof a !== 'bigint' || a < 0n || a >= this.N) fail('INVALID_ARGUMENT', `PrmPool.add: entries[${i}].a ∉ [0, N)`);
      if (typeof A !== 'bigint' || !isRpElement(A, this.N)) fail('INVALID_ARGUMENT', `PrmPool.add: entries[${i}].A ∉ Z*_N or is 1`);
      if (seen.has(a)) fail('INVALID_ARGUMENT', `PrmPool.add: entries[${i}] repeats an a_i`);
      seen.add(a);
    });
    let added = 0;
    for (const { a, A } of entries) {
      if (this.#entries.length >= this.capacity) break;
      this.#entries.push({ a, A });
      added++;
    }
    return added;
  }

  /** Every entry, removed (to hand the pool to another thread: `PrmPool.add` there). */
  drain(): PrmCommitment[] {
    const out = this.#entries;
    this.#entries = [];
    return out;
  }

  clear(): void {
    this.#entries = [];
  }

  toJSON(): { N: string; t: string; size: number; entries: '<redacted>' } {
    return { N: this.N.toString(16), t: this.t.toString(16), size: this.size, entries: '<redacted>' };
  }
  toString(): string {
    return `PrmPool(${this.size}, <redacted>)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

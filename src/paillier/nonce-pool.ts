/**
 * Paillier nonce powers computed ahead of time (CGGMP21's encryptions are enc(m; ρ) = (1 + mN)·ρ^N
 * mod N²; ρ^N is the whole cost and does not depend on m). A `NoncePool` holds fresh pairs
 * (ρ, ρ^N mod N²) for one key, filled off the critical path (idle time, between sessions); an
 * online encryption then takes one pair and costs one multiplication.
 *
 * Single use: `take()` removes the pair it returns, so no nonce is ever handed out twice. The pool
 * holds secrets (a nonce is a witness of the ciphertext it randomises): it redacts itself in
 * `toJSON` / `util.inspect` and `clear()` drops every pair.
 * @module
 */
import { fail } from '../errors.js';
import { gcd } from '../bigint/arith.js';
import { cryptoRng, type Rng } from '../rng.js';
import type { PaillierPublicKey, PaillierSecretKey } from './keys.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A precomputed nonce: ρ ∈ Z*_N and ρ^N mod N². Single use. */
export interface NoncePair {
  readonly nonce: bigint;
  readonly noncePower: bigint;
}

/** Default bound on the pairs one pool keeps (each ~0.8 KB at 2048-bit N). */
export const NONCE_POOL_CAPACITY = 64;

/** Yield to the event loop (portable: setTimeout exists in Node, browsers and React Native). */
function yieldNow(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A bounded pool of (ρ, ρ^N mod N²) pairs for one Paillier key. Built on a public key (ρ^N by one
 * exponentiation mod N²) or on the owner's secret key (CRT, ~2× faster); the pairs are identical
 * in kind either way.
 */
export class NoncePool {
  readonly n: bigint;
  readonly capacity: number;
  readonly #source: Pick<PaillierPublicKey, 'precomputeNonce'> | Pick<PaillierSecretKey, 'precomputeNonce'>;
  #pairs: NoncePair[] = [];

  constructor(key: PaillierPublicKey | PaillierSecretKey, capacity = NONCE_POOL_CAPACITY) {
    const n = (key as PaillierSecretKey).publicKey?.n ?? (key as PaillierPublicKey).n;
    if (typeof n !== 'bigint' || typeof key.precomputeNonce !== 'function') fail('INVALID_ARGUMENT', 'NoncePool: expected a Paillier key');
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 1 << 16) fail('OUT_OF_RANGE', 'NoncePool: capacity must be 1..65536');
    this.n = n;
    this.capacity = capacity;
    this.#source = key;
  }

  /** Pairs ready now. */
  get size(): number {
    return this.#pairs.length;
  }

  /** One pair, removed from the pool (never handed out again), or undefined when empty. */
  take(): NoncePair | undefined {
    return this.#pairs.pop();
  }

  /** Compute pairs now until `count` more are held or the pool is full; returns how many were added. */
  fillSync(count = this.capacity, rng: Rng = cryptoRng): number {
    if (!Number.isSafeInteger(count) || count < 0) fail('OUT_OF_RANGE', 'NoncePool.fillSync: count must be a non-negative integer');
    let added = 0;
    while (added < count && this.#pairs.length < this.capacity) {
      this.#pairs.push(this.#source.precomputeNonce(rng));
      added++;
    }
    return added;
  }

  /**
   * The same in the background: one pair per event-loop turn, so sessions running meanwhile are
   * not held up for more than one exponentiation. Stops early (without throwing) on `signal`.
   */
  async fill(count = this.capacity, opts: { rng?: Rng; signal?: AbortSignal } = {}): Promise<number> {
    if (!Number.isSafeInteger(count) || count < 0) fail('OUT_OF_RANGE', 'NoncePool.fill: count must be a non-negative integer');
    let added = 0;
    while (added < count && this.#pairs.length < this.capacity && opts.signal?.aborted !== true) {
      added += this.fillSync(1, opts.rng ?? cryptoRng);
      await yieldNow();
    }
    return added;
  }

  /**
   * Pairs made elsewhere by this application (the math pool's workers, `MathPool.preparePresign`),
   * added up to capacity; returns how many were added. Each is checked for shape — ρ ∈ Z*_N,
   * ρ^N ∈ Z*_{N²} — (INVALID_ARGUMENT, nothing added); that the power is ρ^N is not re-checked (it
   * would cost the exponentiation the worker saved): only hand it pairs from your own workers.
   */
  add(pairs: readonly NoncePair[]): number {
    if (!Array.isArray(pairs)) fail('INVALID_ARGUMENT', 'NoncePool.add: expected an array of {nonce, noncePower}');
    const n = this.n;
    const n2 = n * n;
    pairs.forEach((p, i) => {
      const { nonce, noncePower } = (p ?? {}) as Partial<NoncePair>;
      if (typeof nonce !== 'bigint' || nonce <= 0n || nonce >= n || gcd(nonce, n) !== 1n) fail('INVALID_ARGUMENT', `NoncePool.add: pairs[${i}].nonce ∉ Z*_N`);
      if (typeof noncePower !== 'bigint' || noncePower <= 0n || noncePower >= n2 || gcd(noncePower, n) !== 1n) fail('INVALID_ARGUMENT', `NoncePool.add: pairs[${i}].noncePower ∉ Z*_{N²}`);
    });
    let added = 0;
    for (const p of pairs as readonly NoncePair[]) {
      if (this.#pairs.length >= this.capacity) break;
      this.#pairs.push({ nonce: p.nonce, noncePower: p.noncePower });
      added++;
    }
    return added;
  }

  /** Drop every pair. */
  clear(): void {
    this.#pairs = [];
  }

  toJSON(): { n: string; size: number; pairs: '<redacted>' } {
    return { n: this.n.toString(16), size: this.#pairs.length, pairs: '<redacted>' };
  }
  toString(): string {
    return `NoncePool(size ${this.#pairs.length}, <redacted>)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

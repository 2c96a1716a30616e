/**
 * Ring-Pedersen mask commitments computed ahead of time (issue 13 item 4). The provers' first
 * messages commit to fresh random masks under the VERIFIER's (N̂, s, t): s^α t^γ, s^β t^δ, and the
 * t^μ half of s^x t^μ. Masks do not depend on the statement, so a pool can draw them and compute
 * their commitments off the critical path; online the prover takes one (removed: never reused) and
 * keeps only the witness-dependent s^x.
 *
 *   kind     x (s-exponent)     y (t-exponent)       used for
 *   'mu'     0                  μ ← ±2^ℓ·N̂           S = s^x·t^μ (Πenc, Πlog*), S, T (Πaff-g: m, μ)
 *   'gamma'  α ← ±2^{ℓ+ε}       γ ← ±2^{ℓ+ε}·N̂       C (Πenc), D (Πlog*), E (Πaff-g)
 *   'delta'  β ← ±2^{ℓ'+ε}      δ ← ±2^{ℓ+ε}·N̂       F (Πaff-g)
 *
 * The distributions are exactly the provers' own; commitments use the constant-time route
 * (`RingPedersenParams.commit`). Masks are secrets: the pool redacts itself.
 * @module
 */
import { fail } from '../errors.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import { cryptoRng, type Rng } from '../rng.js';
import { pow2 } from './params.js';
import { inSigned, isRpElement, randomSigned } from './util.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export type MaskKind = 'mu' | 'gamma' | 'delta';
export const MASK_KINDS: readonly MaskKind[] = ['mu', 'gamma', 'delta'];

/** A precomputed mask: c = s^x · t^y mod N̂ under the parameters with modulus `N`. Single use. */
export interface Mask {
  readonly kind: MaskKind;
  readonly N: bigint;
  readonly x: bigint;
  readonly y: bigint;
  readonly c: bigint;
}

/** Default bound on the masks one pool keeps per kind. */
export const MASK_POOL_CAPACITY = 64;

/** Draw a mask of `kind` for `rp` (the provers' distributions) and commit to it. */
export function drawMask(rp: RingPedersenParams, kind: MaskKind, rng: Rng = cryptoRng): Mask {
  const { ell, ellPrime, epsilon } = rp.profile;
  let x = 0n;
  let y: bigint;
  if (kind === 'mu') y = randomSigned(rng, pow2(ell) * rp.N);
  else if (kind === 'gamma') {
    x = randomSigned(rng, pow2(ell + epsilon));
    y = randomSigned(rng, pow2(ell + epsilon) * rp.N);
  } else if (kind === 'delta') {
    x = randomSigned(rng, pow2(ellPrime + epsilon));
    y = randomSigned(rng, pow2(ell + epsilon) * rp.N);
  } else fail('INVALID_ARGUMENT', `mask kind: expected one of ${MASK_KINDS.join(', ')}`);
  return { kind, N: rp.N, x, y, c: rp.commit(x, y) };
}

/** The mask a prover was handed, checked to fit: same kind and the verifier's N̂ (INVALID_ARGUMENT otherwise). */
export function checkMask(m: Mask, rp: RingPedersenParams, kind: MaskKind, title: string): Mask {
  if (typeof m !== 'object' || m === null || m.kind !== kind || m.N !== rp.N || typeof m.c !== 'bigint') fail('INVALID_ARGUMENT', `${title}: not a '${kind}' mask under this N̂`);
  return m;
}

/** The bounds of a mask of `kind`: |x| ≤ xBound, |y| ≤ yBound (the provers' distributions). */
function maskBounds(rp: RingPedersenParams, kind: MaskKind): { x: bigint; y: bigint } {
  const { ell, ellPrime, epsilon } = rp.profile;
  if (kind === 'mu') return { x: 0n, y: pow2(ell) * rp.N };
  if (kind === 'gamma') return { x: pow2(ell + epsilon), y: pow2(ell + epsilon) * rp.N };
  return { x: pow2(ellPrime + epsilon), y: pow2(ell + epsilon) * rp.N };
}

/** A bounded pool of masks per kind for one set of ring-Pedersen parameters (a verifier's). */
export class MaskPool {
  readonly rp: RingPedersenParams;
  readonly capacity: number;
  readonly #masks: Record<MaskKind, Mask[]> = { mu: [], gamma: [], delta: [] };

  constructor(rp: RingPedersenParams, capacity = MASK_POOL_CAPACITY) {
    if (typeof rp?.N !== 'bigint' || typeof rp.commit !== 'function') fail('INVALID_ARGUMENT', 'MaskPool: expected RingPedersenParams');
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 1 << 16) fail('OUT_OF_RANGE', 'MaskPool: capacity must be 1..65536');
    this.rp = rp;
    this.capacity = capacity;
  }

  size(kind: MaskKind): number {
    return this.#list(kind).length;
  }

  #list(kind: MaskKind): Mask[] {
    if (!MASK_KINDS.includes(kind)) fail('INVALID_ARGUMENT', `mask kind: expected one of ${MASK_KINDS.join(', ')}`);
    return this.#masks[kind];
  }

  /** One mask of `kind`, removed from the pool, or undefined when none is ready. */
  take(kind: MaskKind): Mask | undefined {
    return this.#list(kind).pop();
  }

  /** Compute up to `count` masks of `kind` now (never beyond capacity); returns how many were added. */
  fillSync(kind: MaskKind, count: number, rng: Rng = cryptoRng): number {
    const list = this.#list(kind);
    if (!Number.isSafeInteger(count) || count < 0) fail('OUT_OF_RANGE', 'MaskPool.fillSync: count must be a non-negative integer');
    let added = 0;
    while (added < count && list.length < this.capacity) {
      list.push(drawMask(this.rp, kind, rng));
      added++;
    }
    return added;
  }

  /** The same in the background: one mask per event-loop turn; stops early on `signal`. */
  async fill(demand: Partial<Record<MaskKind, number>>, opts: { rng?: Rng; signal?: AbortSignal } = {}): Promise<number> {
    let added = 0;
    for (const kind of MASK_KINDS) {
      const want = demand[kind] ?? 0;
      for (let i = 0; i < want && opts.signal?.aborted !== true; i++) {
        if (this.fillSync(kind, 1, opts.rng ?? cryptoRng) === 0) break;
        added++;
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
    }
    return added;
  }

  /**
   * Masks made elsewhere by this application (the math pool's workers, `MathPool.preparePresign`),
   * added to their kinds' lists up to capacity; returns how many were added. Each is checked for
   * shape — a known kind, this N̂, x and y within the kind's ranges, c ∈ Z*_N̂ \ {1} —
   * (INVALID_ARGUMENT, nothing added); that c = s^x·t^y is not re-checked (it would cost the
   * exponentiations the worker saved): only hand it masks from your own workers.
   */
  add(masks: readonly Mask[]): number {
    if (!Array.isArray(masks)) fail('INVALID_ARGUMENT', 'MaskPool.add: expected an array of masks');
    const N = this.rp.N;
    masks.forEach((m, i) => {
      const { kind, x, y, c } = (m ?? {}) as Partial<Mask>;
      if (!MASK_KINDS.includes(kind as MaskKind) || m.N !== N) fail('INVALID_ARGUMENT', `MaskPool.add: masks[${i}] is not a mask under this N̂`);
      const b = maskBounds(this.rp, kind!);
      if (typeof x !== 'bigint' || typeof y !== 'bigint' || !inSigned(x, b.x) || !inSigned(y, b.y)) fail('INVALID_ARGUMENT', `MaskPool.add: masks[${i}] exponents outside the '${kind}' ranges`);
      if (typeof c !== 'bigint' || !isRpElement(c, N)) fail('INVALID_ARGUMENT', `MaskPool.add: masks[${i}].c ∉ Z*_N̂ or is 1`);
    });
    let added = 0;
    for (const m of masks as readonly Mask[]) {
      const list = this.#masks[m.kind];
      if (list.length >= this.capacity) continue;
      list.push({ kind: m.kind, N, x: m.x, y: m.y, c: m.c });
      added++;
    }
    return added;
  }

  clear(): void {
    for (const k of MASK_KINDS) this.#masks[k] = [];
  }

  toJSON(): { N: string; sizes: Record<MaskKind, number>; masks: '<redacted>' } {
    return { N: this.rp.N.toString(16), sizes: { mu: this.size('mu'), gamma: this.size('gamma'), delta: this.size('delta') }, masks: '<redacted>' };
  }
  toString(): string {
    return `MaskPool(mu ${this.size('mu')}, gamma ${this.size('gamma')}, delta ${this.size('delta')}, <redacted>)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

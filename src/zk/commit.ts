/**
 * The prover's first messages shared by Πenc (Fig. 14) and Πlog* (Fig. 25) — the same draws in
 * the same order, and the same responses:
 *
 *   α ← ±2^{ℓ+ε} (Πlog*: α ≢ 0 mod q), μ ← ±2^ℓ·N̂, r ← Z*_N0, γ ← ±2^{ℓ+ε}·N̂
 *   S = s^x t^μ, A = enc_N0(α; r), C = s^α t^γ        (Πlog* names C "D" and adds Y = α·g)
 *   z1 = α + e·x, z2 = r·ρ^e mod N0, z3 = γ + e·μ
 *
 * with the precomputed parts (`CommitPre`) replacing the corresponding draws.
 * @module
 */
import { modPowSecret } from '../bigint/modexp.js';
import { modN } from '../curve.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import type { NoncePair } from '../paillier/nonce-pool.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import { checkMask, type Mask } from './mask-pool.js';
import { pow2 } from './params.js';
import { randomSigned, randomUnit } from './util.js';

/**
 * Optional precomputed parts (single use): r, a `NoncePool` pair under N0 for A; `mu`, `gamma`,
 * `MaskPool` masks under the verifier's N̂ for t^μ (of S) and (α, γ, C).
 */
export interface CommitPre {
  r?: NoncePair | undefined;
  mu?: Mask | undefined;
  gamma?: Mask | undefined;
}

/** The secret draws and the commitments S, A, C. */
export interface EncCommitment {
  alpha: bigint;
  mu: bigint;
  r: bigint;
  gamma: bigint;
  S: bigint;
  A: bigint;
  C: bigint;
}

/**
 * Draw (α, μ, r, γ) — or take them from `pre` — and commit: S = s^x t^μ, A = enc_N0(α; r),
 * C = s^α t^γ. `alphaNonZero`: α ≢ 0 (mod q) (Πlog*, where α·g must not be the identity; a
 * 'gamma' mask with α ≡ 0 is dropped as a drawn α would be). `what` names the proof in errors.
 */
export function encCommit(key: PaillierPublicKey, rp: RingPedersenParams, x: bigint, rng: Rng, pre: CommitPre, what: string, alphaNonZero: boolean): EncCommitment {
  const { ell, epsilon } = key.profile;
  const mg0 = pre.gamma && checkMask(pre.gamma, rp, 'gamma', `${what} γ`);
  const mg = mg0 && alphaNonZero && modN(mg0.x) === 0n ? undefined : mg0;
  const mm = pre.mu && checkMask(pre.mu, rp, 'mu', `${what} μ`);
  let alpha: bigint;
  if (mg) alpha = mg.x;
  else {
    do alpha = randomSigned(rng, pow2(ell + epsilon));
    while (alphaNonZero && modN(alpha) === 0n);
  }
  const mu = mm ? mm.y : randomSigned(rng, pow2(ell) * rp.N);
  const r = pre.r ? key.validateNonce(pre.r.nonce, 'r') : randomUnit(rng, key.n);
  const gamma = mg ? mg.y : randomSigned(rng, pow2(ell + epsilon) * rp.N);
  const S = mm ? (rp.commit(x, 0n) * mm.c) % rp.N : rp.commit(x, mu); // s^x · t^μ
  const A = pre.r ? key.encryptWithNoncePower(alpha, pre.r) : key.encryptWithNonce(alpha, r);
  const C = mg ? mg.c : rp.commit(alpha, gamma);
  return { alpha, mu, r, gamma, S, A, C };
}

/** z1 = α + e·x, z2 = r·ρ^e mod N0, z3 = γ + e·μ (ρ^e on the constant-time route: ρ is secret). */
export function encResponses(key: PaillierPublicKey, c: EncCommitment, e: bigint, x: bigint, rho: bigint): { z1: bigint; z2: bigint; z3: bigint } {
  return { z1: c.alpha + e * x, z2: (c.r * modPowSecret(rho, e, key.n)) % key.n, z3: c.gamma + e * c.mu };
}

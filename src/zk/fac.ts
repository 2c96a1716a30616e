/**
 * Πfac — no small factor: N0 = pq with |p|, |q| ≤ √N0·2^{ℓ+ε}, hence both factors
 * ≥ √N0 / 2^{ℓ+ε} (CGGMP21 Fig. 28). Made under the VERIFIER's ring-Pedersen parameters
 * (N̂, s, t) — never the prover's own (Taurus fix 21fa6bf).
 *
 *   prover:   α, β ← ±2^{ℓ+ε}·√N0;  μ, ν ← ±2^ℓ·N̂;  σ ← ±2^ℓ·N0·N̂;  r ← ±2^{ℓ+ε}·N0·N̂;
 *             x, y ← ±2^{ℓ+ε}·N̂
 *             P = s^p t^μ, Q = s^q t^ν, A = s^α t^x, B = s^β t^y, T = Q^α t^r (mod N̂)
 *   e = H(transcript, N0, N̂, s, t, P, Q, A, B, T, σ) ∈ ±q
 *   prover:   z1 = α + e·p, z2 = β + e·q, w1 = x + e·μ, w2 = y + e·ν, v = r + e·(σ − ν·p)
 *   verifier: bitlen(N0) in the profile window; P, Q, A, B, T ∈ Z*_N̂ \ {1}; |σ| ≤ 2^ℓ·N0·N̂;
 *             z1, z2 ∈ ±√N0·2^{ℓ+ε}; with R = s^N0·t^σ:
 *             s^z1 t^w1 = A·P^e, s^z2 t^w2 = B·Q^e, Q^z1 t^v = T·R^e (mod N̂)
 * √N0 is taken as 2^⌈bitlen(N0)/2⌉.
 * e ∈ [−2^128, 2^128].
 * @module
 */
import { modPow, modPowSecret, multiModPow } from '../bigint/modexp.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import { fail } from '../errors.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound, pow2, type ZkProfile } from './params.js';
import type { Transcript } from './transcript.js';
import { checkModulusSize, inSigned, isRpElement, randomSigned, sqrtBound } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/fac/v1';

export interface FacPublic {
  /** The prover's modulus. */
  N0: bigint;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
  profile: ZkProfile;
}
export interface FacPrivate {
  p: bigint;
  q: bigint;
}
export interface FacProof {
  P: bigint;
  Q: bigint;
  A: bigint;
  B: bigint;
  T: bigint;
  sigma: bigint;
  z1: bigint;
  z2: bigint;
  w1: bigint;
  w2: bigint;
  v: bigint;
}

export const SCHEMA: Schema = [
  ['P', 'nat'],
  ['Q', 'nat'],
  ['A', 'nat'],
  ['B', 'nat'],
  ['T', 'nat'],
  ['sigma', 'int'],
  ['z1', 'int'],
  ['z2', 'int'],
  ['w1', 'int'],
  ['w2', 'int'],
  ['v', 'int'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<FacProof>(SCHEMA);

type FacCommit = Pick<FacProof, 'P' | 'Q' | 'A' | 'B' | 'T' | 'sigma'>;

function challenge(pub: FacPublic, c: FacCommit, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.N0)
    .ringPedersen(rp)
    .int('P', c.P)
    .int('Q', c.Q)
    .int('A', c.A)
    .int('B', c.B)
    .int('T', c.T)
    .int('sigma', c.sigma)
    .challengeSigned('e', challengeBound(pub.profile));
}

export function prove(pub: FacPublic, priv: FacPrivate, transcript: Transcript, rng: Rng): FacProof {
  const { N0, rp, profile } = pub;
  const { p, q } = priv;
  if (p * q !== N0 || p <= 1n || q <= 1n) fail('INVALID_ARGUMENT', 'Πfac: witness does not factor N0');
  const { ell, epsilon: eps } = profile;
  const Nh = rp.N;
  const sq = sqrtBound(N0);
  const alpha = randomSigned(rng, sq << BigInt(ell + eps));
  const beta = randomSigned(rng, sq << BigInt(ell + eps));
  const mu = randomSigned(rng, pow2(ell) * Nh);
  const nu = randomSigned(rng, pow2(ell) * Nh);
  const sigma = randomSigned(rng, pow2(ell) * N0 * Nh);
  const r = randomSigned(rng, pow2(ell + eps) * N0 * Nh);
  const x = randomSigned(rng, pow2(ell + eps) * Nh);
  const y = randomSigned(rng, pow2(ell + eps) * Nh);
  const P = rp.commit(p, mu);
  const Q = rp.commit(q, nu);
  const A = rp.commit(alpha, x);
  const B = rp.commit(beta, y);
  const T = (modPowSecret(Q, alpha, Nh) * modPowSecret(rp.t, r, Nh)) % Nh;
  const c = { P, Q, A, B, T, sigma };
  const e = challenge(pub, c, transcript);
  return { ...c, z1: alpha + e * p, z2: beta + e * q, w1: x + e * mu, w2: y + e * nu, v: r + e * (sigma - nu * p) };
}

export function verify(pub: FacPublic, proof: FacProof, transcript: Transcript): Verdict {
  const { N0, rp, profile } = pub ?? {};
  if (typeof N0 !== 'bigint' || typeof rp?.N !== 'bigint' || typeof rp.s !== 'bigint' || typeof rp.t !== 'bigint' || typeof profile?.ell !== 'number') {
    return reject('STATEMENT_MALFORMED');
  }
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const size = checkModulusSize(N0, profile);
  if (size) return size;
  const Nh = rp.N;
  for (const k of ['P', 'Q', 'A', 'B', 'T'] as const) if (!isRpElement(proof[k], Nh)) return reject('RP_NOT_UNIT', k);
  const { ell, epsilon: eps } = profile;
  if (!inSigned(proof.sigma, pow2(ell) * N0 * Nh)) return reject('SIGMA_RANGE');
  const zb = sqrtBound(N0) << BigInt(ell + eps);
  if (!inSigned(proof.z1, zb)) return reject('Z1_RANGE');
  if (!inSigned(proof.z2, zb)) return reject('Z2_RANGE');
  const e = challenge(pub, proof, transcript);
  // s^z1 t^w1 = A·P^e, s^z2 t^w2 = B·Q^e
  if (rp.commitTimes(proof.z1, proof.w1, [[proof.P, -e]]) !== proof.A) return reject('RP_EQUATION', 'P');
  if (rp.commitTimes(proof.z2, proof.w2, [[proof.Q, -e]]) !== proof.B) return reject('RP_EQUATION', 'Q');
  // Q^z1 · t^v = T · R^e with R = s^N0 · t^σ
  const R = multiModPow(
    [
      [rp.s, N0],
      [rp.t, proof.sigma],
    ],
    Nh,
  );
  const lhs = multiModPow(
    [
      [proof.Q, proof.z1],
      [rp.t, proof.v],
    ],
    Nh,
  );
  if (lhs !== (proof.T * modPow(R, e, Nh)) % Nh) return reject('RP_EQUATION', 'N0');
  return OK;
}

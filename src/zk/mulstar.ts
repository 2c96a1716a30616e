/**
 * Πmul* — Paillier multiplication with group commitment in range (CGGMP21 Fig. 31; identifiable
 * abort after a failed signature: Ĥ_i = K_i^{x_i}·ρ^N): D = C^x · ρ^N0 (mod N0²), X = x·G,
 * x ∈ ±2^ℓ (proven up to ±2^{ℓ+ε}), under the verifier's ring-Pedersen parameters.
 *
 *   prover:   α ← ±2^{ℓ+ε}, m ← ±2^ℓ·N̂, γ ← ±2^{ℓ+ε}·N̂, r ← Z*_N0
 *             A = C^α·r^N0, B_x = α·G, E = s^α t^γ, S = s^x t^m
 *   e = H(transcript, N0, N̂, s, t, C, D, X, A, B_x, E, S) ∈ [−2^128, 2^128]
 *   prover:   z1 = α + e·x, z2 = γ + e·m, w = r·ρ^e mod N0
 *   verifier: C, D, A ∈ Z*_{N0²}; X, B_x ≠ identity; E, S ∈ Z*_N̂ \ {1}; w ∈ Z*_N0;
 *             z1 ∈ ±2^{ℓ+ε}; C^z1·w^N0 = A·D^e; z1·G = B_x + e·X; s^z1 t^z2 = E·S^e
 * @module
 */
import { modPow, modPowSecret } from '../bigint/modexp.js';
import { G, modN, mulG, mulPublic, type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound, pow2 } from './params.js';
import type { Transcript } from './transcript.js';
import { inSigned, isRpElement, isUnit, isUnitN2, randomSigned, randomUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/mulstar/v1';

export interface MulStarPublic {
  /** N0: the key C and D live under. */
  key: PaillierPublicKey;
  C: bigint;
  D: bigint;
  X: Point;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
}
export interface MulStarPrivate {
  x: bigint;
  rho: bigint;
}
export interface MulStarProof {
  A: bigint;
  Bx: Point;
  E: bigint;
  S: bigint;
  z1: bigint;
  z2: bigint;
  w: bigint;
}

export const SCHEMA: Schema = [
  ['A', 'nat'],
  ['Bx', 'point'],
  ['E', 'nat'],
  ['S', 'nat'],
  ['z1', 'int'],
  ['z2', 'int'],
  ['w', 'nat'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<MulStarProof>(SCHEMA);

function challenge(pub: MulStarPublic, c: Pick<MulStarProof, 'A' | 'Bx' | 'E' | 'S'>, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.key.n)
    .ringPedersen(rp)
    .int('C', pub.C)
    .int('D', pub.D)
    .point('X', pub.X)
    .int('A', c.A)
    .point('Bx', c.Bx)
    .int('E', c.E)
    .int('S', c.S)
    .challengeSigned('e', challengeBound(pub.key.profile));
}

export function prove(pub: MulStarPublic, priv: MulStarPrivate, transcript: Transcript, rng: Rng): MulStarProof {
  const { key, rp } = pub;
  const { ell, epsilon } = key.profile;
  if (!inSigned(priv.x, pow2(ell))) fail('OUT_OF_RANGE', 'Πmul*: x ∉ ±2^ℓ');
  let alpha: bigint;
  do alpha = randomSigned(rng, pow2(ell + epsilon));
  while (modN(alpha) === 0n);
  const m = randomSigned(rng, pow2(ell) * rp.N);
  const gamma = randomSigned(rng, pow2(ell + epsilon) * rp.N);
  const r = randomUnit(rng, key.n);
  const A = (key.mul(pub.C, alpha) * modPow(r, key.n, key.n2)) % key.n2;
  const Bx = mulG(modN(alpha));
  const E = rp.commit(alpha, gamma);
  const S = rp.commit(priv.x, m);
  const e = challenge(pub, { A, Bx, E, S }, transcript);
  return { A, Bx, E, S, z1: alpha + e * priv.x, z2: gamma + e * m, w: (r * modPowSecret(priv.rho, e, key.n)) % key.n };
}

export function verify(pub: MulStarPublic, proof: MulStarProof, transcript: Transcript): Verdict {
  const { key, rp } = pub ?? {};
  if (typeof key?.n !== 'bigint' || typeof rp?.N !== 'bigint' || typeof pub.C !== 'bigint' || typeof pub.D !== 'bigint' || shapeError([['X', 'point']], pub) !== null) {
    return reject('STATEMENT_MALFORMED');
  }
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const { n, n2 } = key;
  for (const [v, name] of [
    [pub.C, 'C'],
    [pub.D, 'D'],
    [proof.A, 'A'],
  ] as const) {
    if (!isUnitN2(v, n, n2)) return reject('CIPHERTEXT_NOT_UNIT', name);
  }
  if (pub.X.is0()) return reject('POINT_IDENTITY', 'X');
  if (proof.Bx.is0()) return reject('POINT_IDENTITY', 'Bx');
  if (!isRpElement(proof.E, rp.N)) return reject('RP_NOT_UNIT', 'E');
  if (!isRpElement(proof.S, rp.N)) return reject('RP_NOT_UNIT', 'S');
  if (!isUnit(proof.w, n)) return reject('NONCE_NOT_UNIT', 'w');
  const { ell, epsilon } = key.profile;
  if (!inSigned(proof.z1, pow2(ell + epsilon))) return reject('Z1_RANGE');
  const e = challenge(pub, proof, transcript);
  // C^z1 · w^N0 = A · D^e (mod N0²)
  const lhs = (modPow(pub.C, proof.z1, n2) * modPow(proof.w, n, n2)) % n2;
  if (lhs !== (proof.A * modPow(pub.D, e, n2)) % n2) return reject('PAILLIER_EQUATION');
  if (!mulPublic(G, proof.z1).equals(proof.Bx.add(mulPublic(pub.X, e)))) return reject('POINT_EQUATION');
  if (rp.commitTimes(proof.z1, proof.z2, [[proof.S, -e]]) !== proof.E) return reject('RP_EQUATION');
  return OK;
}

/**
 * Πenc — Paillier encryption in range (CGGMP21 Fig. 14): K = enc_N0(k; ρ) with k ∈ ±2^ℓ, proven
 * up to ±2^{ℓ+ε}, under the VERIFIER's ring-Pedersen parameters (N̂, s, t).
 *
 *   prover:   α ← ±2^{ℓ+ε}, μ ← ±2^ℓ·N̂, r ← Z*_N0, γ ← ±2^{ℓ+ε}·N̂
 *             S = s^k t^μ, A = enc_N0(α; r), C = s^α t^γ
 *   e = H(transcript, N0, N̂, s, t, K, S, A, C) ∈ [−2^128, 2^128]
 *   prover:   z1 = α + e·k, z2 = r·ρ^e mod N0, z3 = γ + e·μ
 *   verifier: K, A ∈ Z*_{N0²}; S, C ∈ Z*_N̂ \ {1}; z2 ∈ Z*_N0; z1 ∈ ±2^{ℓ+ε};
 *             enc_N0(z1; z2) = A·K^e (mod N0²); s^z1 t^z3 = C·S^e (mod N̂)
 * @module
 */
import { fail } from '../errors.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import { type CommitPre, encCommit, encResponses } from './commit.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound, pow2 } from './params.js';
import type { Transcript } from './transcript.js';
import { allCoprime, encEquals, inSigned, isRpElement } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/enc/v1';

export interface EncPublic {
  /** The prover's Paillier key N0. */
  key: PaillierPublicKey;
  /** K = enc_N0(k; ρ) */
  K: bigint;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
}
export interface EncPrivate {
  k: bigint;
  rho: bigint;
}
export interface EncProof {
  S: bigint;
  A: bigint;
  C: bigint;
  z1: bigint;
  z2: bigint;
  z3: bigint;
}

export const SCHEMA: Schema = [
  ['S', 'nat'],
  ['A', 'nat'],
  ['C', 'nat'],
  ['z1', 'int'],
  ['z2', 'nat'],
  ['z3', 'int'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<EncProof>(SCHEMA);

function challenge(pub: EncPublic, c: Pick<EncProof, 'S' | 'A' | 'C'>, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.key.n)
    .ringPedersen(rp)
    .int('K', pub.K)
    .int('S', c.S)
    .int('A', c.A)
    .int('C', c.C)
    .challengeSigned('e', challengeBound(pub.key.profile));
}

/** Optional precomputed parts (single use), see `CommitPre`. */
export type EncPre = CommitPre;

function proveUnchecked(pub: EncPublic, priv: EncPrivate, transcript: Transcript, rng: Rng, pre: EncPre = {}): EncProof {
  const c = encCommit(pub.key, pub.rp, priv.k, rng, pre, 'Πenc', false);
  const e = challenge(pub, c, transcript);
  return { S: c.S, A: c.A, C: c.C, ...encResponses(pub.key, c, e, priv.k, priv.rho) };
}

/** `pre`: precomputed nonce power and masks replacing the corresponding draws (the proof is the same in kind). */
export function prove(pub: EncPublic, priv: EncPrivate, transcript: Transcript, rng: Rng, pre?: EncPre): EncProof {
  if (!inSigned(priv.k, pow2(pub.key.profile.ell))) fail('OUT_OF_RANGE', 'Πenc: k ∉ ±2^ℓ');
  return proveUnchecked(pub, priv, transcript, rng, pre);
}

export function verify(pub: EncPublic, proof: EncProof, transcript: Transcript): Verdict {
  const { key, rp, K } = pub ?? {};
  if (typeof key?.n !== 'bigint' || typeof rp?.N !== 'bigint' || typeof K !== 'bigint') return reject('STATEMENT_MALFORMED');
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  // one gcd per modulus when all are units (then each check below is a range test and a lookup)
  key.areCoprimePublic([K, proof.A, proof.z2]);
  const rpCoprime = allCoprime([proof.S, proof.C], rp.N);
  if (!key.isValidCiphertext(K)) return reject('CIPHERTEXT_NOT_UNIT', 'K');
  if (!key.isValidCiphertext(proof.A)) return reject('CIPHERTEXT_NOT_UNIT', 'A');
  if (!isRpElement(proof.S, rp.N, rpCoprime)) return reject('RP_NOT_UNIT', 'S');
  if (!isRpElement(proof.C, rp.N, rpCoprime)) return reject('RP_NOT_UNIT', 'C');
  if (!key.isValidPublicNonce(proof.z2)) return reject('NONCE_NOT_UNIT', 'z2');
  const { ell, epsilon } = key.profile;
  if (!inSigned(proof.z1, pow2(ell + epsilon))) return reject('Z1_RANGE');
  const e = challenge(pub, proof, transcript);
  if (!encEquals(key, proof.z1, proof.z2, proof.A, K, e)) return reject('PAILLIER_EQUATION');
  if (rp.commitTimes(proof.z1, proof.z3, [[proof.S, -e]]) !== proof.C) return reject('RP_EQUATION');
  return OK;
}

/** Test-only: a prover without the witness range guard (to show the verifier catches it). */
export const __TEST = { proveUnchecked };

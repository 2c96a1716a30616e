/**
 * Πsch — Schnorr proof of knowledge of x with X = x·G (CGGMP21 Fig. 22).
 *
 *   prover:   α ← Z_q, A = α·G            (A may be committed a round earlier: `commit`)
 *   e = H(transcript, X, A) ∈ [0, q)
 *   prover:   z = α + e·x mod q
 *   verifier: X, A ≠ identity, z ∈ [0, q), z·G = A + e·X
 * @module
 */
import { G, type Point, mulG, mulPublic, modN, N as q, randomScalar } from '../curve.js';
import { fail } from '../errors.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import type { Transcript } from './transcript.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/sch/v1';

export interface SchPublic {
  /** X = x·G */
  X: Point;
}
export interface SchPrivate {
  x: bigint;
}
export interface SchProof {
  A: Point;
  z: bigint;
}
/** Round-1 commitment kept secret until the response (keygen commits to A before rid is known). */
export interface SchNonce {
  alpha: bigint;
  A: Point;
}

export const SCHEMA: Schema = [
  ['A', 'point'],
  ['z', 'nat'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<SchProof>(SCHEMA);

function challenge(pub: SchPublic, A: Point, transcript: Transcript): bigint {
  return transcript.clone().domain(TAG).point('X', pub.X).point('A', A).challengeBelow('e', q);
}

/** α ← Z_q*, A = α·G. */
export function commit(rng: Rng): SchNonce {
  const alpha = randomScalar(rng);
  return { alpha, A: mulG(alpha) };
}

/** z = α + e·x mod q for a nonce from `commit`. */
export function proveWithNonce(pub: SchPublic, priv: SchPrivate, nonce: SchNonce, transcript: Transcript): SchProof {
  if (pub.X.is0()) fail('INVALID_POINT', 'Πsch: X is the identity');
  const e = challenge(pub, nonce.A, transcript);
  return { A: nonce.A, z: modN(nonce.alpha + e * priv.x) };
}

export function prove(pub: SchPublic, priv: SchPrivate, transcript: Transcript, rng: Rng): SchProof {
  return proveWithNonce(pub, priv, commit(rng), transcript);
}

export function verify(pub: SchPublic, proof: SchProof, transcript: Transcript): Verdict {
  if (shapeError([['X', 'point']], pub) !== null) return reject('STATEMENT_MALFORMED', 'X');
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  if (pub.X.is0()) return reject('SCH_X_IDENTITY');
  if (proof.A.is0()) return reject('SCH_A_IDENTITY');
  try {
    pub.X.assertValidity();
    proof.A.assertValidity();
  } catch {
    return reject('PROOF_MALFORMED', 'point off the curve');
  }
  if (proof.z < 0n || proof.z >= q) return reject('SCH_Z_RANGE');
  const e = challenge(pub, proof.A, transcript);
  // z·G = A + e·X
  if (!mulPublic(G, proof.z).equals(proof.A.add(mulPublic(pub.X, e)))) return reject('SCH_EQUATION');
  return OK;
}

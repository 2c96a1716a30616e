/**
 * Πmul — Paillier multiplication (CGGMP21 Fig. 29; identifiable abort: H_i = enc(k_i·γ_i)):
 *   X = enc_N(x; ρ_x),  C = Y^x · ρ^N (mod N²)   for ciphertexts X, Y, C under the prover's own N.
 * No ring-Pedersen parameters and no range: the statement has none.
 *
 *   prover:   α ← Z_N, r, s ← Z*_N;  A = Y^α · r^N, B = enc_N(α; s)
 *   e = H(transcript, N, X, Y, C, A, B) ∈ [−2^128, 2^128]
 *   prover:   z = α + e·x, u = r·ρ^e mod N, v = s·ρ_x^e mod N
 *   verifier: X, Y, C, A, B ∈ Z*_{N²}; u, v ∈ Z*_N;
 *             Y^z · u^N = A · C^e (mod N²);  enc_N(z; v) = B · X^e (mod N²)
 * @module
 */
import { modPow, modPowSecret } from '../bigint/modexp.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import { randomBelow, type Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound } from './params.js';
import type { Transcript } from './transcript.js';
import { encEquals, isUnit, isUnitN2, randomUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/mul/v1';

export interface MulPublic {
  /** The prover's Paillier key N. */
  key: PaillierPublicKey;
  X: bigint;
  Y: bigint;
  C: bigint;
}
export interface MulPrivate {
  x: bigint;
  /** nonce in C = Y^x ρ^N */
  rho: bigint;
  /** nonce of X = enc(x; ρ_x) */
  rhoX: bigint;
}
export interface MulProof {
  A: bigint;
  B: bigint;
  z: bigint;
  u: bigint;
  v: bigint;
}

export const SCHEMA: Schema = [
  ['A', 'nat'],
  ['B', 'nat'],
  ['z', 'int'],
  ['u', 'nat'],
  ['v', 'nat'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<MulProof>(SCHEMA);

function challenge(pub: MulPublic, A: bigint, B: bigint, transcript: Transcript): bigint {
  return transcript
    .clone()
    .domain(TAG)
    .int('N', pub.key.n)
    .int('X', pub.X)
    .int('Y', pub.Y)
    .int('C', pub.C)
    .int('A', A)
    .int('B', B)
    .challengeSigned('e', challengeBound(pub.key.profile));
}

export function prove(pub: MulPublic, priv: MulPrivate, transcript: Transcript, rng: Rng): MulProof {
  const { key } = pub;
  const n = key.n;
  const alpha = randomBelow(rng, n);
  const r = randomUnit(rng, n);
  const s = randomUnit(rng, n);
  const A = (key.mul(pub.Y, alpha) * modPow(r, n, key.n2)) % key.n2;
  const B = key.encryptWithNonce(alpha, s);
  const e = challenge(pub, A, B, transcript);
  return {
    A,
    B,
    z: alpha + e * priv.x,
    u: (r * modPowSecret(priv.rho, e, n)) % n,
    v: (s * modPowSecret(priv.rhoX, e, n)) % n,
  };
}

export function verify(pub: MulPublic, proof: MulProof, transcript: Transcript): Verdict {
  const { key } = pub ?? {};
  if (typeof key?.n !== 'bigint' || typeof pub.X !== 'bigint' || typeof pub.Y !== 'bigint' || typeof pub.C !== 'bigint') return reject('STATEMENT_MALFORMED');
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const { n, n2 } = key;
  for (const [v, name] of [
    [pub.X, 'X'],
    [pub.Y, 'Y'],
    [pub.C, 'C'],
    [proof.A, 'A'],
    [proof.B, 'B'],
  ] as const) {
    if (!isUnitN2(v, n, n2)) return reject('CIPHERTEXT_NOT_UNIT', name);
  }
  if (!isUnit(proof.u, n)) return reject('NONCE_NOT_UNIT', 'u');
  if (!isUnit(proof.v, n)) return reject('NONCE_NOT_UNIT', 'v');
  const e = challenge(pub, proof.A, proof.B, transcript);
  // Y^z · u^N = A · C^e
  const lhs = (modPow(pub.Y, proof.z, n2) * modPow(proof.u, n, n2)) % n2;
  if (lhs !== (proof.A * modPow(pub.C, e, n2)) % n2) return reject('PAILLIER_EQUATION', 'C');
  if (!encEquals(key, proof.z, proof.v, proof.B, pub.X, e)) return reject('PAILLIER_EQUATION', 'X');
  return OK;
}

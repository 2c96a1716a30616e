/**
 * Πdec — Paillier decryption modulo q (CGGMP21 Fig. 30; identifiable abort after a failed δ
 * check): C = enc_N0(y; ρ) and x = y mod q, under the verifier's ring-Pedersen parameters.
 *
 *   prover:   α ← ±2^{bitlen(N0)+ε}, μ ← ±2^ℓ·N̂, ν ← ±2^{ℓ+ε}·N̂, r ← Z*_N0
 *             S = s^y t^μ, T = s^α t^ν, A = enc_N0(α; r), γ = α mod q
 *   e = H(transcript, N0, N̂, s, t, q, C, x, S, T, A, γ) ∈ [−2^128, 2^128]
 *   prover:   z1 = α + e·y, z2 = ν + e·μ, w = r·ρ^e mod N0
 *   verifier: C, A ∈ Z*_{N0²}; S, T ∈ Z*_N̂ \ {1}; w ∈ Z*_N0; x, γ ∈ [0, q);
 *             enc_N0(z1; w) = A·C^e;  z1 ≡ γ + e·x (mod q);  s^z1 t^z2 = T·S^e
 *
 * The paper draws α ← ±2^{ℓ+ε}; here y is any plaintext (|y| < N0/2: the combined δ ciphertext
 * decrypts to ~2^{ℓ'+ε}-bit integers), so α is drawn wide enough to hide e·y statistically.
 * There is no range check: the statement has no range.
 * @module
 */
import { bitLength } from '../bigint/arith.js';
import { modPowSecret } from '../bigint/modexp.js';
import { modN, N as q } from '../curve.js';
import { fail } from '../errors.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound, pow2 } from './params.js';
import type { Transcript } from './transcript.js';
import { encEquals, isRpElement, isUnit, isUnitN2, randomSigned, randomUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/dec/v1';

export interface DecPublic {
  /** The prover's Paillier key N0. */
  key: PaillierPublicKey;
  /** C = enc_N0(y; ρ) */
  C: bigint;
  /** x = y mod q */
  x: bigint;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
}
export interface DecPrivate {
  /** the plaintext as a signed integer, |y| < N0/2 */
  y: bigint;
  rho: bigint;
}
export interface DecProof {
  S: bigint;
  T: bigint;
  A: bigint;
  gamma: bigint;
  z1: bigint;
  z2: bigint;
  w: bigint;
}

export const SCHEMA: Schema = [
  ['S', 'nat'],
  ['T', 'nat'],
  ['A', 'nat'],
  ['gamma', 'nat'],
  ['z1', 'int'],
  ['z2', 'int'],
  ['w', 'nat'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<DecProof>(SCHEMA);

function challenge(pub: DecPublic, c: Pick<DecProof, 'S' | 'T' | 'A' | 'gamma'>, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.key.n)
    .ringPedersen(rp)
    .int('q', q)
    .int('C', pub.C)
    .int('x', pub.x)
    .int('S', c.S)
    .int('T', c.T)
    .int('A', c.A)
    .int('gamma', c.gamma)
    .challengeSigned('e', challengeBound(pub.key.profile));
}

export function prove(pub: DecPublic, priv: DecPrivate, transcript: Transcript, rng: Rng): DecProof {
  const { key, rp } = pub;
  const { ell, epsilon } = key.profile;
  if (priv.y <= -key.n || priv.y >= key.n) fail('OUT_OF_RANGE', 'Πdec: |y| ≥ N0');
  const alpha = randomSigned(rng, pow2(bitLength(key.n) + epsilon));
  const mu = randomSigned(rng, pow2(ell) * rp.N);
  const nu = randomSigned(rng, pow2(ell + epsilon) * rp.N);
  const r = randomUnit(rng, key.n);
  const S = rp.commit(priv.y, mu);
  const T = rp.commit(alpha, nu);
  const A = key.encryptWithNonce(((alpha % key.n) + key.n) % key.n, r);
  const gamma = modN(alpha);
  const e = challenge(pub, { S, T, A, gamma }, transcript);
  return { S, T, A, gamma, z1: alpha + e * priv.y, z2: nu + e * mu, w: (r * modPowSecret(priv.rho, e, key.n)) % key.n };
}

export function verify(pub: DecPublic, proof: DecProof, transcript: Transcript): Verdict {
  const { key, rp, C, x } = pub ?? {};
  if (typeof key?.n !== 'bigint' || typeof rp?.N !== 'bigint' || typeof C !== 'bigint' || typeof x !== 'bigint') return reject('STATEMENT_MALFORMED');
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const N0 = key.n;
  if (!isUnitN2(C, N0, key.n2)) return reject('CIPHERTEXT_NOT_UNIT', 'C');
  if (!isUnitN2(proof.A, N0, key.n2)) return reject('CIPHERTEXT_NOT_UNIT', 'A');
  if (!isRpElement(proof.S, rp.N)) return reject('RP_NOT_UNIT', 'S');
  if (!isRpElement(proof.T, rp.N)) return reject('RP_NOT_UNIT', 'T');
  if (!isUnit(proof.w, N0)) return reject('NONCE_NOT_UNIT', 'w');
  if (x < 0n || x >= q) return reject('SCALAR_RANGE', 'x');
  if (proof.gamma >= q) return reject('SCALAR_RANGE', 'gamma');
  const e = challenge(pub, proof, transcript);
  if (!encEquals(key, proof.z1, proof.w, proof.A, C, e)) return reject('PAILLIER_EQUATION');
  if (modN(proof.z1) !== modN(proof.gamma + e * x)) return reject('MOD_Q_EQUATION');
  if (rp.commitTimes(proof.z1, proof.z2, [[proof.S, -e]]) !== proof.T) return reject('RP_EQUATION');
  return OK;
}

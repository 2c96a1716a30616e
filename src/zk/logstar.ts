/**
 * Πlog* — knowledge of exponent vs Paillier encryption (CGGMP21 Fig. 25): C = enc_N0(x; ρ) and
 * X = x·g with x ∈ ±2^ℓ (proven up to ±2^{ℓ+ε}), under the verifier's ring-Pedersen parameters.
 * The base g is G in presign round 2 (ψ') and Γ in round 3 (ψ'').
 *
 *   prover:   α ← ±2^{ℓ+ε}, μ ← ±2^ℓ·N̂, r ← Z*_N0, γ ← ±2^{ℓ+ε}·N̂
 *             S = s^x t^μ, A = enc_N0(α; r), Y = α·g, D = s^α t^γ
 *   e = H(transcript, N0, N̂, s, t, C, X, g, S, A, Y, D) ∈ [−2^128, 2^128]
 *   prover:   z1 = α + e·x, z2 = r·ρ^e mod N0, z3 = γ + e·μ
 *   verifier: C, A ∈ Z*_{N0²}; S, D ∈ Z*_N̂ \ {1}; X, g, Y ≠ identity; z2 ∈ Z*_N0; z1 ∈ ±2^{ℓ+ε};
 *             enc_N0(z1; z2) = A·C^e; z1·g = Y + e·X; s^z1 t^z3 = D·S^e
 * @module
 */
import { modPowSecret } from '../bigint/modexp.js';
import { G, mulPublic, mulSecret, modN, type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import type { NoncePair } from '../paillier/nonce-pool.js';
import { checkMask, type Mask } from './mask-pool.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound, pow2 } from './params.js';
import type { Transcript } from './transcript.js';
import { allCoprime, encEquals, inSigned, isRpElement, randomSigned, randomUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/logstar/v1';

export interface LogStarPublic {
  /** The prover's Paillier key N0. */
  key: PaillierPublicKey;
  /** C = enc_N0(x; ρ) */
  C: bigint;
  /** X = x·g */
  X: Point;
  /** Base point g (G when omitted). */
  g?: Point;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
}
export interface LogStarPrivate {
  x: bigint;
  rho: bigint;
}
export interface LogStarProof {
  S: bigint;
  A: bigint;
  Y: Point;
  D: bigint;
  z1: bigint;
  z2: bigint;
  z3: bigint;
}

export const SCHEMA: Schema = [
  ['S', 'nat'],
  ['A', 'nat'],
  ['Y', 'point'],
  ['D', 'nat'],
  ['z1', 'int'],
  ['z2', 'nat'],
  ['z3', 'int'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<LogStarProof>(SCHEMA);

function challenge(pub: LogStarPublic, c: Pick<LogStarProof, 'S' | 'A' | 'Y' | 'D'>, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.key.n)
    .ringPedersen(rp)
    .int('C', pub.C)
    .point('X', pub.X)
    .point('g', pub.g ?? G)
    .int('S', c.S)
    .int('A', c.A)
    .point('Y', c.Y)
    .int('D', c.D)
    .challengeSigned('e', challengeBound(pub.key.profile));
}

/**
 * Optional precomputed parts (single use): r, a `NoncePool` pair under N0 for A; `mu`, `gamma`,
 * `MaskPool` masks under the verifier's N̂ for t^μ (of S) and (α, γ, D).
 */
export interface LogStarPre {
  r?: NoncePair | undefined;
  mu?: Mask | undefined;
  gamma?: Mask | undefined;
}

function proveUnchecked(pub: LogStarPublic, priv: LogStarPrivate, transcript: Transcript, rng: Rng, pre: LogStarPre = {}): LogStarProof {
  const { key, rp } = pub;
  const g = pub.g ?? G;
  const { ell, epsilon } = key.profile;
  // a mask with α ≡ 0 (mod q) is discarded, as a drawn α would be
  const mg = pre.gamma && modN(checkMask(pre.gamma, rp, 'gamma', 'Πlog* γ').x) !== 0n ? pre.gamma : undefined;
  const mm = pre.mu && checkMask(pre.mu, rp, 'mu', 'Πlog* μ');
  let alpha: bigint;
  if (mg) alpha = mg.x;
  else {
    do alpha = randomSigned(rng, pow2(ell + epsilon));
    while (modN(alpha) === 0n);
  }
  const mu = mm ? mm.y : randomSigned(rng, pow2(ell) * rp.N);
  const r = pre.r ? key.validateNonce(pre.r.nonce, 'r') : randomUnit(rng, key.n);
  const gamma = mg ? mg.y : randomSigned(rng, pow2(ell + epsilon) * rp.N);
  const S = mm ? (rp.commit(priv.x, 0n) * mm.c) % rp.N : rp.commit(priv.x, mu); // s^x · t^μ
  const A = pre.r ? key.encryptWithNoncePower(alpha, pre.r) : key.encryptWithNonce(alpha, r);
  const Y = mulSecret(g, modN(alpha));
  const D = mg ? mg.c : rp.commit(alpha, gamma);
  const e = challenge(pub, { S, A, Y, D }, transcript);
  return { S, A, Y, D, z1: alpha + e * priv.x, z2: (r * modPowSecret(priv.rho, e, key.n)) % key.n, z3: gamma + e * mu };
}

/** `pre`: precomputed nonce power and masks replacing the corresponding draws. */
export function prove(pub: LogStarPublic, priv: LogStarPrivate, transcript: Transcript, rng: Rng, pre?: LogStarPre): LogStarProof {
  if (!inSigned(priv.x, pow2(pub.key.profile.ell))) fail('OUT_OF_RANGE', 'Πlog*: x ∉ ±2^ℓ');
  return proveUnchecked(pub, priv, transcript, rng, pre);
}

export function verify(pub: LogStarPublic, proof: LogStarProof, transcript: Transcript): Verdict {
  const { key, rp, C } = pub ?? {};
  if (typeof key?.n !== 'bigint' || typeof rp?.N !== 'bigint' || typeof C !== 'bigint') return reject('STATEMENT_MALFORMED');
  if (shapeError([['X', 'point']], pub) !== null || (pub.g !== undefined && shapeError([['g', 'point']], pub) !== null)) {
    return reject('STATEMENT_MALFORMED', 'X/g');
  }
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const g = pub.g ?? G;
  // one gcd per modulus when all are units (then each check below is a range test and a lookup)
  key.areCoprimePublic([C, proof.A, proof.z2]);
  const rpCoprime = allCoprime([proof.S, proof.D], rp.N);
  if (!key.isValidCiphertext(C)) return reject('CIPHERTEXT_NOT_UNIT', 'C');
  if (!key.isValidCiphertext(proof.A)) return reject('CIPHERTEXT_NOT_UNIT', 'A');
  if (!isRpElement(proof.S, rp.N, rpCoprime)) return reject('RP_NOT_UNIT', 'S');
  if (!isRpElement(proof.D, rp.N, rpCoprime)) return reject('RP_NOT_UNIT', 'D');
  if (pub.X.is0()) return reject('POINT_IDENTITY', 'X');
  if (g.is0()) return reject('POINT_IDENTITY', 'g');
  if (proof.Y.is0()) return reject('POINT_IDENTITY', 'Y');
  if (!key.isValidPublicNonce(proof.z2)) return reject('NONCE_NOT_UNIT', 'z2');
  const { ell, epsilon } = key.profile;
  if (!inSigned(proof.z1, pow2(ell + epsilon))) return reject('Z1_RANGE');
  const e = challenge(pub, proof, transcript);
  if (!encEquals(key, proof.z1, proof.z2, proof.A, C, e)) return reject('PAILLIER_EQUATION');
  // z1·g = Y + e·X
  if (!mulPublic(g, proof.z1).equals(proof.Y.add(mulPublic(pub.X, e)))) return reject('POINT_EQUATION');
  if (rp.commitTimes(proof.z1, proof.z3, [[proof.S, -e]]) !== proof.D) return reject('RP_EQUATION');
  return OK;
}

/** Test-only: a prover without the witness range guard. */
export const __TEST = { proveUnchecked };

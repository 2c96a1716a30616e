/**
 * Πaff-g — Paillier affine operation with group commitment in range (CGGMP21 Fig. 15):
 *   D = C^x · enc_N0(y; ρ) (mod N0²),  Y = enc_N1(y; ρ_y) (mod N1²),  X = x·G,
 * with x ∈ ±2^ℓ, y ∈ ±2^ℓ' (proven up to ±2^{ℓ+ε}, ±2^{ℓ'+ε}). N0 is the VERIFIER's Paillier key
 * (C = K_j, D = D_{j,i}), N1 the prover's (Y = F_{j,i}); (N̂, s, t) the verifier's ring-Pedersen.
 *
 *   prover:   α ← ±2^{ℓ+ε}, β ← ±2^{ℓ'+ε}, r ← Z*_N0, r_y ← Z*_N1,
 *             γ, δ ← ±2^{ℓ+ε}·N̂, m, μ ← ±2^ℓ·N̂
 *             A = C^α·enc_N0(β; r), B_x = α·G, B_y = enc_N1(β; r_y),
 *             E = s^α t^γ, S = s^x t^m, F = s^β t^δ, T = s^y t^μ
 *   e = H(transcript, N0, N1, N̂, s, t, C, D, Y, X, A, B_x, B_y, E, S, F, T) ∈ [−2^128, 2^128]
 *   prover:   z1 = α + e·x, z2 = β + e·y, z3 = γ + e·m, z4 = δ + e·μ,
 *             w = r·ρ^e mod N0, w_y = r_y·ρ_y^e mod N1
 *   verifier: C, D, A ∈ Z*_{N0²}; Y, B_y ∈ Z*_{N1²}; X, B_x ≠ identity; E, S, F, T ∈ Z*_N̂ \ {1};
 *             w ∈ Z*_N0, w_y ∈ Z*_N1; z1 ∈ ±2^{ℓ+ε}, z2 ∈ ±2^{ℓ'+ε};
 *             C^z1·enc_N0(z2; w) = A·D^e;  z1·G = B_x + e·X;  enc_N1(z2; w_y) = B_y·Y^e;
 *             s^z1 t^z3 = E·S^e;  s^z2 t^z4 = F·T^e
 * @module
 */
import { modPowSecret } from '../bigint/modexp.js';
import { G, modN, mulG, mulPublic, type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { PaillierPublicKey } from '../paillier/keys.js';
import type { NoncePair } from '../paillier/nonce-pool.js';
import { checkMask, type Mask } from './mask-pool.js';
import type { RingPedersenParams } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import { challengeBound, pow2 } from './params.js';
import type { Transcript } from './transcript.js';
import { allCoprime, encEquals, inSigned, isRpElement, randomSigned, powsEqual, randomUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/affg/v1';

export interface AffgPublic {
  /** N0: the verifier's Paillier key (C and D live under it). */
  key0: PaillierPublicKey;
  /** N1: the prover's Paillier key (Y lives under it). */
  key1: PaillierPublicKey;
  C: bigint;
  D: bigint;
  Y: bigint;
  X: Point;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
}
export interface AffgPrivate {
  x: bigint;
  y: bigint;
  /** nonce of enc_N0(y; ρ) inside D */
  rho: bigint;
  /** nonce of Y = enc_N1(y; ρ_y) */
  rhoY: bigint;
}
export interface AffgProof {
  A: bigint;
  Bx: Point;
  By: bigint;
  E: bigint;
  S: bigint;
  F: bigint;
  T: bigint;
  z1: bigint;
  z2: bigint;
  z3: bigint;
  z4: bigint;
  w: bigint;
  wy: bigint;
}

export const SCHEMA: Schema = [
  ['A', 'nat'],
  ['Bx', 'point'],
  ['By', 'nat'],
  ['E', 'nat'],
  ['S', 'nat'],
  ['F', 'nat'],
  ['T', 'nat'],
  ['z1', 'int'],
  ['z2', 'int'],
  ['z3', 'int'],
  ['z4', 'int'],
  ['w', 'nat'],
  ['wy', 'nat'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<AffgProof>(SCHEMA);

type Commit = Pick<AffgProof, 'A' | 'Bx' | 'By' | 'E' | 'S' | 'F' | 'T'>;

function challenge(pub: AffgPublic, c: Commit, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.key0.n)
    .int('N1', pub.key1.n)
    .ringPedersen(rp)
    .int('C', pub.C)
    .int('D', pub.D)
    .int('Y', pub.Y)
    .point('X', pub.X)
    .int('A', c.A)
    .point('Bx', c.Bx)
    .int('By', c.By)
    .int('E', c.E)
    .int('S', c.S)
    .int('F', c.F)
    .int('T', c.T)
    .challengeSigned('e', challengeBound(pub.key0.profile));
}

/**
 * Optional precomputed parts (single use): `NoncePool` pairs r under N0 and r_y under N1;
 * `MaskPool` masks under the verifier's N̂: `gamma` (α, γ, E), `delta` (β, δ, F), `m` and `mu`
 * ('mu'-kind masks for t^m of S and t^μ of T).
 */
export interface AffgPre {
  r?: NoncePair | undefined;
  ry?: NoncePair | undefined;
  gamma?: Mask | undefined;
  delta?: Mask | undefined;
  m?: Mask | undefined;
  mu?: Mask | undefined;
}

function proveUnchecked(pub: AffgPublic, priv: AffgPrivate, transcript: Transcript, rng: Rng, pre: AffgPre = {}): AffgProof {
  const { key0, key1, rp } = pub;
  const { ell, ellPrime, epsilon } = key0.profile;
  // a mask with α ≡ 0 (mod q) is discarded, as a drawn α would be
  const mg = pre.gamma && modN(checkMask(pre.gamma, rp, 'gamma', 'Πaff-g γ').x) !== 0n ? pre.gamma : undefined;
  const md = pre.delta && checkMask(pre.delta, rp, 'delta', 'Πaff-g δ');
  const mm = pre.m && checkMask(pre.m, rp, 'mu', 'Πaff-g m');
  const mmu = pre.mu && checkMask(pre.mu, rp, 'mu', 'Πaff-g μ');
  if (mm && mm === mmu) fail('INVALID_ARGUMENT', 'Πaff-g: m and μ must be different masks');
  let alpha: bigint;
  if (mg) alpha = mg.x;
  else {
    do alpha = randomSigned(rng, pow2(ell + epsilon));
    while (modN(alpha) === 0n);
  }
  const beta = md ? md.x : randomSigned(rng, pow2(ellPrime + epsilon));
  const r = pre.r ? key0.validateNonce(pre.r.nonce, 'r') : randomUnit(rng, key0.n);
  const ry = pre.ry ? key1.validateNonce(pre.ry.nonce, 'ry') : randomUnit(rng, key1.n);
  const gamma = mg ? mg.y : randomSigned(rng, pow2(ell + epsilon) * rp.N);
  const m = mm ? mm.y : randomSigned(rng, pow2(ell) * rp.N);
  const delta = md ? md.y : randomSigned(rng, pow2(ell + epsilon) * rp.N);
  const mu = mmu ? mmu.y : randomSigned(rng, pow2(ell) * rp.N);
  const encR = pre.r ? key0.encryptWithNoncePower(beta, pre.r) : key0.encryptWithNonce(beta, r);
  const A = (key0.mul(pub.C, alpha) * encR) % key0.n2;
  const Bx = mulG(modN(alpha));
  const By = pre.ry ? key1.encryptWithNoncePower(beta, pre.ry) : key1.encryptWithNonce(beta, ry);
  const E = mg ? mg.c : rp.commit(alpha, gamma);
  const S = mm ? (rp.commit(priv.x, 0n) * mm.c) % rp.N : rp.commit(priv.x, m); // s^x · t^m
  const F = md ? md.c : rp.commit(beta, delta);
  const T = mmu ? (rp.commit(priv.y, 0n) * mmu.c) % rp.N : rp.commit(priv.y, mu); // s^y · t^μ
  const c = { A, Bx, By, E, S, F, T };
  const e = challenge(pub, c, transcript);
  return {
    ...c,
    z1: alpha + e * priv.x,
    z2: beta + e * priv.y,
    z3: gamma + e * m,
    z4: delta + e * mu,
    w: (r * modPowSecret(priv.rho, e, key0.n)) % key0.n,
    wy: (ry * modPowSecret(priv.rhoY, e, key1.n)) % key1.n,
  };
}

/** `pre`: precomputed nonce powers and masks replacing the corresponding draws. */
export function prove(pub: AffgPublic, priv: AffgPrivate, transcript: Transcript, rng: Rng, pre?: AffgPre): AffgProof {
  const { ell, ellPrime } = pub.key0.profile;
  if (!inSigned(priv.x, pow2(ell))) fail('OUT_OF_RANGE', 'Πaff-g: x ∉ ±2^ℓ');
  if (!inSigned(priv.y, pow2(ellPrime))) fail('OUT_OF_RANGE', "Πaff-g: y ∉ ±2^ℓ'");
  return proveUnchecked(pub, priv, transcript, rng, pre);
}

export function verify(pub: AffgPublic, proof: AffgProof, transcript: Transcript): Verdict {
  const { key0, key1, rp } = pub ?? {};
  if (typeof key0?.n !== 'bigint' || typeof key1?.n !== 'bigint' || typeof rp?.N !== 'bigint') return reject('STATEMENT_MALFORMED');
  if (typeof pub.C !== 'bigint' || typeof pub.D !== 'bigint' || typeof pub.Y !== 'bigint' || shapeError([['X', 'point']], pub) !== null) {
    return reject('STATEMENT_MALFORMED');
  }
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  // one gcd per modulus when all are units (then each check below is a range test and a lookup)
  key0.areCoprimePublic([pub.C, pub.D, proof.A, proof.w]);
  key1.areCoprimePublic([pub.Y, proof.By, proof.wy]);
  const rpCoprime = allCoprime([proof.E, proof.S, proof.F, proof.T], rp.N);
  for (const [v, name] of [
    [pub.C, 'C'],
    [pub.D, 'D'],
    [proof.A, 'A'],
  ] as const) {
    if (!key0.isValidCiphertext(v)) return reject('CIPHERTEXT_NOT_UNIT', name);
  }
  if (!key1.isValidCiphertext(pub.Y)) return reject('CIPHERTEXT_NOT_UNIT', 'Y');
  if (!key1.isValidCiphertext(proof.By)) return reject('CIPHERTEXT_NOT_UNIT', 'By');
  if (pub.X.is0()) return reject('POINT_IDENTITY', 'X');
  if (proof.Bx.is0()) return reject('POINT_IDENTITY', 'Bx');
  for (const k of ['E', 'S', 'F', 'T'] as const) if (!isRpElement(proof[k], rp.N, rpCoprime)) return reject('RP_NOT_UNIT', k);
  if (!key0.isValidPublicNonce(proof.w)) return reject('NONCE_NOT_UNIT', 'w');
  if (!key1.isValidPublicNonce(proof.wy)) return reject('NONCE_NOT_UNIT', 'wy');
  const { ell, ellPrime, epsilon } = key0.profile;
  if (!inSigned(proof.z1, pow2(ell + epsilon))) return reject('Z1_RANGE');
  if (!inSigned(proof.z2, pow2(ellPrime + epsilon))) return reject('Z2_RANGE');
  const e = challenge(pub, proof, transcript);
  // C^z1 · enc_N0(z2; w) = A · D^e (mod N0²)
  const enc0 = key0.encryptWithNonce(proof.z2, proof.w);
  if (!powsEqual(key0, enc0, [[pub.C, proof.z1]], proof.A, [[pub.D, e]])) return reject('PAILLIER_EQUATION', 'N0');
  // z1·G = B_x + e·X
  if (!mulPublic(G, proof.z1).equals(proof.Bx.add(mulPublic(pub.X, e)))) return reject('POINT_EQUATION');
  // enc_N1(z2; w_y) = B_y · Y^e (mod N1²)
  if (!encEquals(key1, proof.z2, proof.wy, proof.By, pub.Y, e)) return reject('PAILLIER_EQUATION', 'N1');
  if (rp.commitTimes(proof.z1, proof.z3, [[proof.S, -e]]) !== proof.E) return reject('RP_EQUATION', 'E');
  if (rp.commitTimes(proof.z2, proof.z4, [[proof.T, -e]]) !== proof.F) return reject('RP_EQUATION', 'F');
  return OK;
}

/** Test-only: a prover without the witness range guards. */
export const __TEST = { proveUnchecked };

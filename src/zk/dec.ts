/**
 * Πdec — Paillier decryption modulo q, with a range (CGGMP21 Fig. 30 + the z1 range of Fig. 14;
 * identifiable abort after a failed δ/χ check): C = enc_N0(y; ρ), x = y mod q and |y| ≤ 2^{ℓ_y},
 * under the verifier's ring-Pedersen parameters. ℓ_y (`yBits`) is part of the statement.
 *
 *   L = ℓ_y + c + λ            (c = 128 challenge bits, λ = 100 statistical hiding bits)
 *   statement fits N0 iff  ℓ_y + c + λ + 4 ≤ bitlen(N0)   (then 2^{L+3} < N0, N0 odd)
 *   prover:   α ← ±2^L, μ ← ±2^ℓ·N̂, ν ← ±2^{ℓ+ε}·N̂, r ← Z*_N0
 *             S = s^y t^μ, T = s^α t^ν, A = enc_N0(α; r), γ = α mod q
 *   e = H(transcript, N0, N̂, s, t, q, ℓ_y, C, x, S, T, A, γ) ∈ [−2^c, 2^c]
 *   prover:   z1 = α + e·y, z2 = ν + e·μ, w = r·ρ^e mod N0
 *   verifier: ℓ_y fits N0; C, A ∈ Z*_{N0²}; S, T ∈ Z*_N̂ \ {1}; w ∈ Z*_N0; x, γ ∈ [0, q);
 *             |z1| ≤ 2^{L+1};  enc_N0(z1; w) = A·C^e;  z1 ≡ γ + e·x (mod q);  s^z1 t^z2 = T·S^e
 *
 * Soundness: two accepting answers (e ≠ e') give y = (z1 − z1')/(e − e') ∈ Z (ring-Pedersen
 * binding), y ≡ dec(C) (mod N0) (Paillier equation, gcd(e − e', N0) = 1) and |y| ≤ 2^{L+2} < N0/2
 * (range), so y IS the centred decryption of C; and (e − e')(y − x) ≡ 0 (mod q) with
 * 0 < |e − e'| ≤ 2^{c+1} < q, so x = dec(C) mod q. Without the range (v1), y was only fixed mod N0
 * and y + k·N0 "proved" any residue mod q. Completeness: |z1| ≤ 2^L + 2^{c+ℓ_y} < 2^{L+1} always.
 * Zero knowledge: z1 is within statistical distance 2^{−λ} of uniform on ±2^L; γ ≡ z1 − e·x.
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
import { challengeBound, pow2, type ZkProfile } from './params.js';
import type { Transcript } from './transcript.js';
import { encEquals, inSigned, isRpElement, isUnit, isUnitN2, randomSigned, randomUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/dec/v2';

/** λ: statistical hiding of y in z1 = α + e·y (bits). */
export const LAMBDA = 100;

export interface DecPublic {
  /** The prover's Paillier key N0. */
  key: PaillierPublicKey;
  /** C = enc_N0(y; ρ) */
  C: bigint;
  /** x = y mod q */
  x: bigint;
  /** ℓ_y: the plaintext bound, |y| ≤ 2^{ℓ_y} (a non-negative safe integer that fits N0). */
  yBits: number;
  /** The verifier's ring-Pedersen parameters. */
  rp: RingPedersenParams;
}
export interface DecPrivate {
  /** the plaintext as a signed integer, |y| ≤ 2^{ℓ_y} */
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

/** L = ℓ_y + c + λ: α ← ±2^L; the verifier accepts |z1| ≤ 2^{L+1}. */
export function alphaBits(profile: ZkProfile, yBits: number): number {
  return yBits + profile.challengeBits + LAMBDA;
}

/**
 * The largest ℓ_y a modulus of `modulusBits` bits can carry soundly: ℓ_y + c + λ + 4 ≤ bitlen(N0),
 * i.e. the extracted |y| ≤ 2^{L+2} stays below N0/2 (N0 odd, N0 > 2^{bitlen−1} ≥ 2^{L+3}).
 */
export function maxYBits(profile: ZkProfile, modulusBits: number): number {
  return modulusBits - 4 - profile.challengeBits - LAMBDA;
}

/** True when the statement's ℓ_y fits N0 (the only case in which Πdec is sound). */
export function yBitsFit(profile: ZkProfile, yBits: number, N0: bigint): boolean {
  return Number.isSafeInteger(yBits) && yBits >= 0 && yBits <= maxYBits(profile, bitLength(N0));
}

/** Throws DEC_BOUND_UNFIT unless ℓ_y fits N0. */
export function assertYBitsFit(profile: ZkProfile, yBits: number, N0: bigint): void {
  if (!yBitsFit(profile, yBits, N0)) fail('DEC_BOUND_UNFIT', `Πdec: ℓ_y = ${yBits} does not fit a ${bitLength(N0)}-bit N0 (at most ${maxYBits(profile, bitLength(N0))})`);
}

function challenge(pub: DecPublic, c: Pick<DecProof, 'S' | 'T' | 'A' | 'gamma'>, transcript: Transcript): bigint {
  const { rp } = pub;
  return transcript
    .clone()
    .domain(TAG)
    .int('N0', pub.key.n)
    .ringPedersen(rp)
    .int('q', q)
    .uint('yBits', pub.yBits)
    .int('C', pub.C)
    .int('x', pub.x)
    .int('S', c.S)
    .int('T', c.T)
    .int('A', c.A)
    .int('gamma', c.gamma)
    .challengeSigned('e', challengeBound(pub.key.profile));
}

function proveUnchecked(pub: DecPublic, priv: DecPrivate, transcript: Transcript, rng: Rng): DecProof {
  const { key, rp } = pub;
  const { ell, epsilon } = key.profile;
  const alpha = randomSigned(rng, pow2(alphaBits(key.profile, pub.yBits)));
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

export function prove(pub: DecPublic, priv: DecPrivate, transcript: Transcript, rng: Rng): DecProof {
  assertYBitsFit(pub.key.profile, pub.yBits, pub.key.n);
  if (!inSigned(priv.y, pow2(pub.yBits))) fail('OUT_OF_RANGE', 'Πdec: |y| > 2^ℓ_y');
  return proveUnchecked(pub, priv, transcript, rng);
}

export function verify(pub: DecPublic, proof: DecProof, transcript: Transcript): Verdict {
  const { key, rp, C, x, yBits } = pub ?? {};
  if (typeof key?.n !== 'bigint' || typeof rp?.N !== 'bigint' || typeof C !== 'bigint' || typeof x !== 'bigint' || !Number.isSafeInteger(yBits) || yBits < 0) {
    return reject('STATEMENT_MALFORMED');
  }
  if (!yBitsFit(key.profile, yBits, key.n)) return reject('DEC_BOUND_UNFIT', `ℓ_y = ${yBits}, at most ${maxYBits(key.profile, bitLength(key.n))}`);
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
  if (!inSigned(proof.z1, pow2(alphaBits(key.profile, yBits) + 1))) return reject('DEC_Z1_RANGE');
  const e = challenge(pub, proof, transcript);
  if (!encEquals(key, proof.z1, proof.w, proof.A, C, e)) return reject('PAILLIER_EQUATION');
  if (modN(proof.z1) !== modN(proof.gamma + e * x)) return reject('MOD_Q_EQUATION');
  if (rp.commitTimes(proof.z1, proof.z2, [[proof.S, -e]]) !== proof.T) return reject('RP_EQUATION');
  return OK;
}

/** Test-only: a prover without the fit and |y| guards (to show the verifier catches a lie y + k·N0). */
export const __TEST = { proveUnchecked };

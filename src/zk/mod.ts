/**
 * Πmod — N is a Paillier–Blum modulus: N = pq, p ≡ q ≡ 3 (mod 4), gcd(N, φ(N)) = 1
 * (CGGMP21 Fig. 16), m = 128 repetitions.
 *
 *   prover:   w ← Z*_N with Jacobi(w, N) = −1
 *   y_1..y_m = H(transcript, N, w) ∈ Z_N
 *   prover:   for each i, a_i, b_i ∈ {0,1} with y'_i = (−1)^a_i·w^b_i·y_i ∈ QR_N,
 *             x_i = y'_i^{1/4} mod N (the root in QR_N), z_i = y_i^{N⁻¹ mod φ(N)} mod N
 *   verifier: bitlen(N) in the profile window; N odd, no factor < 2^16, not prime, not a perfect
 *             power; exactly m entries; w ∈ Z*_N and Jacobi(w, N) = −1; every y_i ∈ Z*_N and all
 *             distinct; x_i, z_i ∈ Z*_N; z_i^N = y_i and x_i^4 = (−1)^a_i·w^b_i·y_i (mod N).
 * @module
 */
import { gcd, isProbablePrime, jacobi, modInv } from '../bigint/arith.js';
import { CrtContext, modPow, modPowSecret } from '../bigint/modexp.js';
import { fail } from '../errors.js';
import { randomInRange, type Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import type { ZkProfile } from './params.js';
import type { Transcript } from './transcript.js';
import { checkModulusSize, firstNonUnit, isPerfectPower, isUnit, smallFactor } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/mod/v1';

export interface ModPublic {
  N: bigint;
  profile: ZkProfile;
}
export interface ModPrivate {
  p: bigint;
  q: bigint;
}
export interface ModProof {
  w: bigint;
  x: bigint[];
  a: (0 | 1)[];
  b: (0 | 1)[];
  z: bigint[];
}

export const SCHEMA: Schema = [
  ['w', 'nat'],
  ['x', 'nat[]'],
  ['a', 'bit[]'],
  ['b', 'bit[]'],
  ['z', 'nat[]'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<ModProof>(SCHEMA);

/** y_1..y_m ∈ [0, N) bound to the transcript, N and w. */
export function challenges(N: bigint, w: bigint, m: number, transcript: Transcript): bigint[] {
  return transcript.clone().domain(TAG).int('N', N).int('w', w).challengesBelow('y', N, m);
}

export function prove(pub: ModPublic, priv: ModPrivate, transcript: Transcript, rng: Rng): ModProof {
  const { N, profile } = pub;
  const { p, q } = priv;
  if (p * q !== N || p === q || (p & 3n) !== 3n || (q & 3n) !== 3n) fail('INVALID_ARGUMENT', 'Πmod: witness is not a Blum factorisation of N');
  const phi = (p - 1n) * (q - 1n);
  // w ← Z_N with Jacobi(w, N) = −1 (hence w ∈ Z*_N)
  let w: bigint;
  do w = randomInRange(rng, 2n, N - 1n);
  while (jacobi(w, N) !== -1);
  const ys = challenges(N, w, profile.m, transcript);
  const crt = new CrtContext([
    [p, 1],
    [q, 1],
  ]);
  const nInv = modInv(N, phi);
  // 4th root inside QR_p for p ≡ 3 (mod 4): v ↦ v^((p+1)/4) is the square root in QR_p (by CRT)
  const e4p = ((p + 1n) / 4n) ** 2n % (p - 1n);
  const e4q = ((q + 1n) / 4n) ** 2n % (q - 1n);
  const out: ModProof = { w, x: [], a: [], b: [], z: [] };
  for (const y of ys) {
    if (gcd(y, N) !== 1n) fail('INTERNAL_BUG', 'Πmod: challenge not a unit');
    let found = false;
    for (const a of [0, 1] as const) {
      for (const b of [0, 1] as const) {
        let v = b ? (y * w) % N : y;
        if (a) v = N - v;
        if (jacobi(v, p) === 1 && jacobi(v, q) === 1) {
          out.x.push(crt.combine(modPowSecret(v % p, e4p, p), modPowSecret(v % q, e4q, q)));
          out.a.push(a);
          out.b.push(b);
          found = true;
          break;
        }
      }
      if (found) break;
    }
    if (!found) fail('INTERNAL_BUG', 'Πmod: no QR among ±w^b·y');
    out.z.push(crt.pow(y, nInv, { secret: true }));
  }
  return out;
}

/** Structural checks on N alone (also used by aux-info before any proof work). */
export function checkModulus(N: bigint, profile: ZkProfile): Verdict | null {
  const size = checkModulusSize(N, profile);
  if (size) return size;
  if ((N & 1n) === 0n) return reject('MOD_N_EVEN');
  const f = smallFactor(N);
  if (f !== 0) return reject('MOD_N_SMALL_FACTOR', `factor ${f}`);
  if (isProbablePrime(N, 20)) return reject('MOD_N_PRIME');
  if (isPerfectPower(N)) return reject('MOD_N_PERFECT_POWER');
  return null;
}

export function verify(pub: ModPublic, proof: ModProof, transcript: Transcript): Verdict {
  if (typeof pub?.N !== 'bigint' || typeof pub.profile?.m !== 'number') return reject('STATEMENT_MALFORMED');
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const { N, profile } = pub;
  const size = checkModulusSize(N, profile);
  if (size) return size;
  if ((N & 1n) === 0n) return reject('MOD_N_EVEN');
  const m = profile.m;
  if (proof.x.length !== m || proof.a.length !== m || proof.b.length !== m || proof.z.length !== m) {
    return reject('MOD_REPETITIONS', `expected ${m}`);
  }
  const { w } = proof;
  if (!isUnit(w, N)) return reject('MOD_W_NOT_UNIT');
  if (jacobi(w, N) !== -1) return reject('MOD_W_JACOBI');
  const bx = firstNonUnit(proof.x, N);
  if (bx >= 0) return reject('MOD_X_NOT_UNIT', `i=${bx}`);
  const bz = firstNonUnit(proof.z, N);
  if (bz >= 0) return reject('MOD_Z_NOT_UNIT', `i=${bz}`);
  const structural = checkModulus(N, profile);
  if (structural) return structural;
  return verifyWithChallenges(N, proof, challenges(N, w, m, transcript));
}

/** The per-repetition checks against given challenges (split out so tests can feed degenerate y). */
function verifyWithChallenges(N: bigint, proof: ModProof, ys: readonly bigint[]): Verdict {
  const by = firstNonUnit(ys, N);
  if (by >= 0) return reject('MOD_Y_NOT_UNIT', `i=${by}`);
  const seen = new Set<bigint>();
  for (let i = 0; i < ys.length; i++) {
    if (seen.has(ys[i]!)) return reject('MOD_Y_DUPLICATE', `i=${i}`);
    seen.add(ys[i]!);
  }
  const { w } = proof;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i]!;
    // x_i^4 = (−1)^a_i · w^b_i · y_i (mod N)
    let rhs = proof.b[i] ? (w * y) % N : y;
    if (proof.a[i]) rhs = N - rhs;
    const x2 = (proof.x[i]! * proof.x[i]!) % N;
    if ((x2 * x2) % N !== rhs) return reject('MOD_X_EQUATION', `i=${i}`);
  }
  for (let i = 0; i < ys.length; i++) {
    // z_i^N = y_i (mod N)
    if (modPow(proof.z[i]!, N, N) !== ys[i]!) return reject('MOD_Z_EQUATION', `i=${i}`);
  }
  return OK;
}

/** Test-only hooks (never used by protocols). */
export const __TEST = { verifyWithChallenges };

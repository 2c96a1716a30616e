/**
 * Πprm — ring-Pedersen parameters are well formed: s ∈ ⟨t⟩ mod N (CGGMP21 Fig. 17), with m = 128
 * BINARY challenges (a single large challenge is unsound when the prover knows the group order:
 * TSSHOCK c-split).
 *
 *   prover:   a_i ← Z_φ(N), A_i = t^a_i mod N   (or taken from a `PrmPool` made ahead: prm-pool.ts)
 *   e_1..e_m = H(transcript, N, s, t, A_1..A_m) ∈ {0,1}
 *   prover:   z_i = a_i + e_i·λ mod φ(N)
 *   verifier: bitlen(N) in the profile window, N odd; s, t ∈ Z*_N \ {1, N−1}, s ≠ t; exactly m
 *             entries; A_i ∈ Z*_N \ {1}; z_i ∈ [0, N); t^z_i = A_i·s^e_i (mod N)
 * @module
 */
import { CrtContext, FixedBaseTable } from '../bigint/modexp.js';
import { fail } from '../errors.js';
import { randomBelow, type Rng } from '../rng.js';
import { codecFor, type Schema, shapeError } from './codec.js';
import type { ZkProfile } from './params.js';
import { PrmPool } from './prm-pool.js';
import type { Transcript } from './transcript.js';
import { checkModulusSize, firstNonUnit, isUnit } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const TAG = 'tkey-tss/zk/prm/v1';

export interface PrmPublic {
  N: bigint;
  s: bigint;
  t: bigint;
  profile: ZkProfile;
}
export interface PrmPrivate {
  /** s = t^λ mod N */
  lambda: bigint;
  p: bigint;
  q: bigint;
}
export interface PrmProof {
  A: bigint[];
  z: bigint[];
}

export const SCHEMA: Schema = [
  ['A', 'nat[]'],
  ['z', 'nat[]'],
];
export const { proofToBytes, proofFromBytes, proofToJSON, proofFromJSON } = codecFor<PrmProof>(SCHEMA);

function challenge(pub: PrmPublic, A: readonly bigint[], transcript: Transcript): number[] {
  return transcript.clone().domain(TAG).int('N', pub.N).int('s', pub.s).int('t', pub.t).ints('A', A).challengeBits('e', pub.profile.m);
}

/**
 * `pool`: prepared (a_i, A_i) for this (N, t), taken (removed) one per repetition while it has
 * any; the rest are drawn from `rng`. A pool for other parameters: INVALID_ARGUMENT.
 */
export function prove(pub: PrmPublic, priv: PrmPrivate, transcript: Transcript, rng: Rng, pool?: PrmPool): PrmProof {
  const { N, t, profile } = pub;
  const { p, q, lambda } = priv;
  if (p * q !== N) fail('INVALID_ARGUMENT', 'Πprm: witness does not factor N');
  if (pool !== undefined && (!(pool instanceof PrmPool) || !pool.serves(N, t))) fail('INVALID_ARGUMENT', 'Πprm: the commitment pool is not for this (N, t)');
  const phi = (p - 1n) * (q - 1n);
  const crt = new CrtContext([
    [p, 1],
    [q, 1],
  ]);
  if (crt.pow(t, lambda, { secret: true }) !== pub.s) fail('INVALID_ARGUMENT', 'Πprm: s ≠ t^λ');
  const a: bigint[] = [];
  const A: bigint[] = [];
  for (let i = 0; i < profile.m; i++) {
    const ready = pool?.take();
    // a pool entry's a < N passed PrmPool.add; it must lie in Z_φ(N) like a drawn one
    if (ready && ready.a < phi) {
      a.push(ready.a);
      A.push(ready.A);
      continue;
    }
    const ai = randomBelow(rng, phi);
    a.push(ai);
    A.push(crt.pow(t, ai, { secret: true }));
  }
  const e = challenge(pub, A, transcript);
  return { A, z: a.map((ai, i) => (e[i] ? (ai + lambda) % phi : ai)) };
}

/** s, t ∈ Z*_N \ {1, N−1}, s ≠ t (also the aux-info check on received parameters). */
export function checkParams(N: bigint, s: bigint, t: bigint): Verdict | null {
  if ((N & 1n) === 0n) return reject('PRM_N_EVEN');
  if (!isUnit(s, N) || s === 1n || s === N - 1n) return reject('PRM_S_INVALID');
  if (!isUnit(t, N) || t === 1n || t === N - 1n) return reject('PRM_T_INVALID');
  if (s === t) return reject('PRM_S_EQUALS_T');
  return null;
}

export function verify(pub: PrmPublic, proof: PrmProof, transcript: Transcript): Verdict {
  if (typeof pub?.N !== 'bigint' || typeof pub.s !== 'bigint' || typeof pub.t !== 'bigint' || typeof pub.profile?.m !== 'number') {
    return reject('STATEMENT_MALFORMED');
  }
  const bad = shapeError(SCHEMA, proof);
  if (bad !== null) return reject('PROOF_MALFORMED', bad);
  const { N, s, t, profile } = pub;
  const size = checkModulusSize(N, profile);
  if (size) return size;
  const params = checkParams(N, s, t);
  if (params) return params;
  const m = profile.m;
  if (proof.A.length !== m || proof.z.length !== m) return reject('PRM_REPETITIONS', `expected ${m}`);
  const ba = firstNonUnit(proof.A, N);
  if (ba >= 0) return reject('PRM_A_NOT_UNIT', `i=${ba}`);
  for (let i = 0; i < m; i++) {
    if (proof.A[i] === 1n) return reject('PRM_A_NOT_UNIT', `i=${i}`);
    if (proof.z[i]! >= N) return reject('PRM_Z_RANGE', `i=${i}`);
  }
  const e = challenge(pub, proof.A, transcript);
  // one base t for all m repetitions (z_i < N): a fixed-base table (portable: windowed comb; Node: a reused OpenSSL context)
  const tt = new FixedBaseTable(t, N, N.toString(2).length);
  for (let i = 0; i < m; i++) {
    // t^z_i = A_i · s^e_i (mod N), e_i ∈ {0,1}
    const rhs = e[i] ? (proof.A[i]! * s) % N : proof.A[i]!;
    if (tt.pow(proof.z[i]!) !== rhs) return reject('PRM_EQUATION', `i=${i}`);
  }
  return OK;
}


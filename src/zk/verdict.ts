/**
 * Verdicts and the stable reason codes of every ZK verifier check. A verifier never throws on
 * adversarial input: it returns `{ok: false, reason}` with a code from `ZK_REASONS`; protocols turn
 * that into `ProtocolAbort(reason, round, [prover])`.
 * @module
 */
import { ProtocolAbort } from '../errors.js';

/** Every reason code a verifier can return, with what it means (README.md is generated from this). */
export const ZK_REASONS = {
  // shape, all proofs
  PROOF_MISSING: 'a required proof is absent (aux info, presign messages)',
  PROOF_MALFORMED: 'a proof field is missing, of the wrong type, non-canonical, truncated or followed by trailing bytes',
  STATEMENT_MALFORMED: 'the public input has the wrong shape (verifier-side input, not the prover’s fault)',
  // moduli (Πmod / Πprm / Πfac / aux)
  MODULUS_TOO_SMALL: 'bitlen(N) below the profile minimum (8κ−1: 2047 default, 3071 high)',
  MODULUS_TOO_LARGE: 'bitlen(N) above the profile maximum (2048 default, 3072 high)',
  // Πsch
  SCH_X_IDENTITY: 'Πsch: the statement X is the identity',
  SCH_A_IDENTITY: 'Πsch: the commitment A is the identity',
  SCH_Z_RANGE: 'Πsch: z ∉ [0, q)',
  SCH_EQUATION: 'Πsch: z·G ≠ A + e·X',
  // Πmod
  MOD_N_EVEN: 'Πmod: N is even',
  MOD_N_SMALL_FACTOR: 'Πmod: N has a prime factor below 2^16',
  MOD_N_PRIME: 'Πmod: N is (probably) prime',
  MOD_N_PERFECT_POWER: 'Πmod: N is a perfect power',
  MOD_REPETITIONS: 'Πmod: not exactly m repetitions',
  MOD_W_NOT_UNIT: 'Πmod: w ∉ Z*_N (w = 0, ≥ N, or gcd(w, N) ≠ 1)',
  MOD_W_JACOBI: 'Πmod: Jacobi(w, N) ≠ −1',
  MOD_Y_NOT_UNIT: 'Πmod: a derived challenge y_i ∉ Z*_N',
  MOD_Y_DUPLICATE: 'Πmod: two derived challenges y_i are equal',
  MOD_X_NOT_UNIT: 'Πmod: some x_i ∉ Z*_N',
  MOD_Z_NOT_UNIT: 'Πmod: some z_i ∉ Z*_N',
  MOD_Z_EQUATION: 'Πmod: z_i^N ≠ y_i (mod N)',
  MOD_X_EQUATION: 'Πmod: x_i^4 ≠ (−1)^a_i·w^b_i·y_i (mod N)',
  // Πprm
  PRM_REPETITIONS: 'Πprm: not exactly m repetitions',
  PRM_N_EVEN: 'Πprm: N is even',
  PRM_S_INVALID: 'Πprm: s ∉ Z*_N or s ∈ {1, N−1}',
  PRM_T_INVALID: 'Πprm: t ∉ Z*_N or t ∈ {1, N−1}',
  PRM_S_EQUALS_T: 'Πprm: s = t',
  PRM_A_NOT_UNIT: 'Πprm: some A_i ∉ Z*_N or A_i = 1',
  PRM_Z_RANGE: 'Πprm: some z_i ∉ [0, N)',
  PRM_EQUATION: 'Πprm: t^z_i ≠ A_i·s^e_i (mod N)',
  // ring-Pedersen commitments (Πfac, Πenc, Πaff-g, Πlog*, Πdec)
  RP_NOT_UNIT: 'a ring-Pedersen commitment ∉ Z*_N̂ (0, 1, ≥ N̂ or gcd ≠ 1)',
  RP_EQUATION: 'a ring-Pedersen verification equation s^z·t^w = C·S^e fails',
  // Paillier values
  CIPHERTEXT_NOT_UNIT: 'a Paillier ciphertext (statement or commitment) ∉ Z*_{N²}',
  NONCE_NOT_UNIT: 'a Paillier nonce response ∉ Z*_N',
  PAILLIER_EQUATION: 'a Paillier verification equation fails',
  // curve values
  POINT_IDENTITY: 'a statement point or commitment point is the identity',
  POINT_EQUATION: 'a curve verification equation fails',
  // ranges
  Z1_RANGE: 'z1 outside its bound (±2^{ℓ+ε}; Πfac ±√N·2^{ℓ+ε})',
  Z2_RANGE: "z2 outside its bound (Πaff-g ±2^{ℓ'+ε}; Πfac ±√N·2^{ℓ+ε})",
  SIGMA_RANGE: 'Πfac: σ outside ±2^ℓ·N0·N̂',
  SCALAR_RANGE: 'a mod-q value (Πdec γ, x) ∉ [0, q)',
  MOD_Q_EQUATION: 'Πdec: z1 ≢ γ + e·x (mod q)',
  DEC_Z1_RANGE: 'Πdec: z1 outside ±2^{ℓ_y+c+λ+1} (the proven plaintext is not the centred decryption of C)',
  DEC_BOUND_UNFIT: 'Πdec: the statement’s ℓ_y does not fit N0 (ℓ_y + c + λ + 4 > bitlen(N0): no sound range; configuration)',
} as const;

export type ZkReason = keyof typeof ZK_REASONS;

export type Verdict = { ok: true } | { ok: false; reason: ZkReason; detail?: string };

export const OK: Verdict = Object.freeze({ ok: true }) as Verdict;

export function reject(reason: ZkReason, detail?: string): Verdict {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/**
 * Protocol glue: throw `ProtocolAbort(reason, round, [culprit])` unless the verdict is ok (the abort
 * is terminal; the reason code is the verifier's). Returns nothing on success.
 */
export function abortUnless(v: Verdict, round: number, culprit: number, what?: string): void {
  if (v.ok) return;
  const msg = [what, v.detail].filter((s) => s !== undefined).join(': ');
  throw new ProtocolAbort(v.reason, round, [culprit], msg || undefined);
}

/**
 * What aux info produces and presign consumes: per party a Paillier–Blum modulus N_j = p_j·q_j
 * (safe primes) and ring-Pedersen parameters (N_j, s_j, t_j) on the same modulus, all proven
 * (Πprm, Πmod, Πfac) before they are accepted. Plain data (DESIGN §3.1) so it can be stored,
 * encrypted to a factor key, and carried in protocol state.
 * @module
 */
import type { ProfileName } from '../../src/paillier/profiles.js';

/** A party's public aux material, accepted only after its proofs verified. */
export interface AuxPublic {
  /** Party id (= the share index the party signs with). */
  id: number;
  /** Paillier modulus and ring-Pedersen modulus: N = p·q. */
  N: bigint;
  /** Ring-Pedersen s = t^λ mod N. */
  s: bigint;
  /** Ring-Pedersen t = r² mod N. */
  t: bigint;
}

/** A party's secret aux material. Never logged; stored only encrypted to a factor key. */
export interface AuxSecret {
  p: bigint;
  q: bigint;
  /** λ with s = t^λ mod N. */
  lambda: bigint;
}

/** The aux info of one party for one signer group. */
export interface AuxInfo {
  profile: ProfileName;
  /** Own party id. */
  self: number;
  secret: AuxSecret;
  /** Every party's public material (own included), sorted by id. */
  parties: AuxPublic[];
}

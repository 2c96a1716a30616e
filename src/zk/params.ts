/**
 * ZK security profiles: the Paillier profiles of `src/paillier/profiles.ts` (DESIGN §4). Both have
 * ℓ = 256, ℓ' = 1280, ε = 512, m = 128 binary repetitions for Πmod and Πprm, and 128-bit
 * challenges e ∈ [−2^128, 2^128] for the other Paillier proofs (Πsch draws e ∈ Z_q).
 * @module
 */
import { PROFILES, type SecurityProfile } from '../paillier/profiles.js';

export type ZkProfile = SecurityProfile;

export const PROFILE_DEFAULT: ZkProfile = PROFILES.default;
export const PROFILE_HIGH: ZkProfile = PROFILES.high;

/** 2^k as bigint. */
export function pow2(k: number): bigint {
  return 1n << BigInt(k);
}

/** The challenge bound 2^challengeBits: e ∈ [−bound, bound]. */
export function challengeBound(profile: ZkProfile): bigint {
  return pow2(profile.challengeBits);
}

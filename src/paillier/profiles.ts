/**
 * Security profiles (DESIGN §4, cggmp-recipe §1.4): Paillier / ring-Pedersen modulus sizes and the
 * CGGMP range and challenge parameters shared by `src/paillier` and `src/zk`.
 * @module
 */
import { fail } from '../errors.js';

export type ProfileName = 'default' | 'high';

export interface SecurityProfile {
  readonly name: ProfileName;
  /** Bits of each safe prime p, q. */
  readonly primeBits: number;
  /** Smallest accepted bit length of N (8κ − 1: a product of two primeBits-bit primes). */
  readonly minModulusBits: number;
  /** Largest accepted bit length of N (bounds work for received keys, as cb-mpc does). */
  readonly maxModulusBits: number;
  /** ℓ: range of secret scalars (bits). */
  readonly ell: number;
  /** ℓ': range of the MtA mask β (bits). */
  readonly ellPrime: number;
  /** ε: slack of the range proofs (bits). */
  readonly epsilon: number;
  /** m: number of binary challenges in Πmod and Πprm. */
  readonly m: number;
  /** Bits of the challenges of the other proofs (Q = 2^challengeBits). */
  readonly challengeBits: number;
}

/** ℓ = 256, ℓ' = 1280, ε = 512 and m = 128 in both profiles (cggmp24 SecurityLevel128 parameters). */
const COMMON = { ell: 256, ellPrime: 1280, epsilon: 512, m: 128, challengeBits: 128 } as const;

export const PROFILES: Readonly<Record<ProfileName, SecurityProfile>> = Object.freeze({
  /** 1024-bit safe primes, N of 2047–2048 bits (tss-lib, Taurus, Fireblocks). */
  default: Object.freeze({ name: 'default', primeBits: 1024, minModulusBits: 2047, maxModulusBits: 2048, ...COMMON }),
  /** 1536-bit safe primes, N of 3071–3072 bits (128-bit level, Lockness cggmp24). */
  high: Object.freeze({ name: 'high', primeBits: 1536, minModulusBits: 3071, maxModulusBits: 3072, ...COMMON }),
});

export const DEFAULT_PROFILE: SecurityProfile = PROFILES.default;

/** The profile named `p` (or `p` itself); INVALID_ARGUMENT for anything else. */
export function getProfile(p: ProfileName | SecurityProfile | undefined = 'default'): SecurityProfile {
  if (typeof p === 'string') {
    if (p !== 'default' && p !== 'high') fail('INVALID_ARGUMENT', `profile: unknown profile ${JSON.stringify(p)}`);
    return PROFILES[p];
  }
  if (p && typeof p === 'object' && (p.name === 'default' || p.name === 'high') && PROFILES[p.name] === p) return p;
  return fail('INVALID_ARGUMENT', 'profile: expected "default" or "high"');
}

/** Throws PAILLIER_MODULUS_SIZE unless bitlen(N) ∈ [minModulusBits, maxModulusBits]. */
export function assertModulusSize(n: bigint, profile: ProfileName | SecurityProfile = 'default', title = 'N'): void {
  const pr = getProfile(profile);
  const bits = n <= 0n ? 0 : n.toString(2).length;
  if (bits < pr.minModulusBits || bits > pr.maxModulusBits) {
    fail('PAILLIER_MODULUS_SIZE', `${title}: ${bits} bits, the ${pr.name} profile needs ${pr.minModulusBits}–${pr.maxModulusBits}`, {
      bits,
      min: pr.minModulusBits,
      max: pr.maxModulusBits,
    });
  }
}

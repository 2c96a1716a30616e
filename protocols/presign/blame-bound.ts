/**
 * ℓ_y of the blame round's Πdec: a bound on |plaintext| of C_δ = H_i·Π_j D_{i,j}·F_{j,i}⁻¹ and
 * C_χ = Ĥ_i·Π_j D̂_{i,j}·F̂_{j,i}⁻¹ for an HONEST signer i among n, whatever its peers did within
 * the proofs it verified (so an honest party can always prove, and a liar cannot pass):
 *
 *   own term     k_i·γ_i, x_i·k_i                 (k_i, γ_i, x_i ∈ [0, q))               < q²
 *   per peer j   α_{i,j} = γ_j·k_i − β_{j,i}      (Πaff-g extraction: |γ_j| ≤ 2^{ℓ+ε+1},
 *                                                  |β_{j,i}| ≤ 2^{ℓ'+ε+1})                ≤ 2^{ℓ+ε+1}·q + 2^{ℓ'+ε+1}
 *                + β_{i,j}                        (own mask, round 2: ±2^{ℓ'})          ≤ 2^{ℓ'}
 *   ℓ_y = bitlen(q² + (n − 1)·(2^{ℓ+ε+1}·q + 2^{ℓ'+ε+1} + 2^{ℓ'}))
 *
 * Default/high profiles: ℓ_y = 1794 for n = 2 (+ ⌈log2(n − 1)⌉), against at most
 * bitlen(N0) − c − λ − 4 = 1815 (2047-bit N0) and 2839 (3071-bit N0): `maxBlameSigners` signers.
 * @module
 */
import { bitLength } from '../../src/bigint/arith.js';
import { N as q } from '../../src/curve.js';
import { fail } from '../../src/errors.js';
import { getProfile, type ProfileName, type SecurityProfile } from '../../src/paillier/profiles.js';
import { maxYBits } from '../../src/zk/dec.js';
import { pow2 } from '../../src/zk/params.js';

function terms(p: SecurityProfile): { own: bigint; peer: bigint } {
  return { own: q * q, peer: pow2(p.ell + p.epsilon + 1) * q + pow2(p.ellPrime + p.epsilon + 1) + pow2(p.ellPrime) };
}

/** The most ℓ_y any accepted N0 of the profile carries (its smallest bit length). */
function maxBits(p: SecurityProfile): number {
  return maxYBits(p, p.minModulusBits);
}

/** The largest number of signers whose blame round fits every N0 of the profile. */
export function maxBlameSigners(profile: ProfileName | SecurityProfile): number {
  const p = getProfile(profile);
  const { own, peer } = terms(p);
  // bitlen(own + (n − 1)·peer) ≤ maxBits ⟺ own + (n − 1)·peer < 2^maxBits
  const n1 = (pow2(maxBits(p)) - 1n - own) / peer;
  return n1 + 1n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n1) + 1;
}

const cache = new Map<string, number>();

/** ℓ_y for n signers; DEC_BOUND_UNFIT when it does not fit the profile's smallest N0. Memoised (init calls it). */
export function blameBits(profile: ProfileName | SecurityProfile, n: number): number {
  const p = getProfile(profile);
  if (!Number.isSafeInteger(n) || n < 1) fail('INVALID_ARGUMENT', 'blameBits: n must be a positive integer');
  const key = `${p.name}/${n}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const { own, peer } = terms(p);
  const bits = bitLength(own + BigInt(n - 1) * peer);
  if (bits > maxBits(p)) fail('DEC_BOUND_UNFIT', `presign: ${n} signers need ℓ_y = ${bits}, the ${p.name} profile's Πdec carries at most ${maxBits(p)} (at most ${maxBlameSigners(p)} signers)`);
  if (cache.size < 64) cache.set(key, bits);
  return bits;
}

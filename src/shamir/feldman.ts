/**
 * Feldman commitments: Cⱼ = aⱼ·G; a share (x, y) is valid iff y·G = Σⱼ xʲ·Cⱼ.
 * @module
 */
import { IDENTITY, G, mulGUnsafe, mulPublic, N, type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { Share } from './polynomial.js';

/** [a₀·G, …, a_d·G]. */
export function commit(coeffs: readonly bigint[]): Point[] {
  return coeffs.map((a) => mulGUnsafe(a));
}

/** Σⱼ xʲ·Cⱼ: the public share at index x. */
export function shareCommitment(commitments: readonly Point[], x: bigint): Point {
  if (commitments.length === 0) fail('INVALID_ARGUMENT', 'shareCommitment: no commitments');
  // Horner in the group: ((C_d·x + C_{d−1})·x + …)·x + C₀
  let acc = IDENTITY;
  for (let j = commitments.length - 1; j >= 0; j--) acc = mulPublic(acc, x).add(commitments[j]!);
  return acc;
}

/** y·G == Σⱼ xʲ·Cⱼ, for a canonical share: x in [1, n−1], y in [0, n−1]. */
export function verifyShare(commitments: readonly Point[], share: Share): boolean {
  if (share.x < 1n || share.x >= N || share.y < 0n || share.y >= N) return false;
  const lhs = share.y === 0n ? IDENTITY : G.multiplyUnsafe(share.y);
  return lhs.equals(shareCommitment(commitments, share.x));
}

/** Throwing variant of verifyShare. */
export function assertShare(commitments: readonly Point[], share: Share): void {
  if (!verifyShare(commitments, share)) fail('SHARE_NOT_ON_POLYNOMIAL', `share at index ${share.x.toString(16)} does not match the commitments`);
}

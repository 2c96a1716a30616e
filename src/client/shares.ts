/**
 * Small helpers over public TSS data: public shares from commitments, the durable checkpoint of a
 * metadata's tag, party specs. No secrets here.
 * @module
 */
import { pointFromBytes, pointToBytes, type Point } from '../curve.js';
import type { Metadata } from '../metadata/metadata.js';
import { shareCommitment } from '../shamir/index.js';
import { readTss } from '../tss/tss-metadata.js';
import type { TssCheckpoint } from './checkpoint.js';

/** X_m = Σⱼ mʲ·Aⱼ for each index m (compressed SEC1). */
export function publicSharesAt(commitments: readonly (Uint8Array | Point)[], indices: readonly number[]): { index: number; X: Uint8Array }[] {
  const C = commitments.map((c) => (c instanceof Uint8Array ? pointFromBytes(c, 'commitment') : c));
  return [...new Set(indices)].sort((a, b) => a - b).map((index) => ({ index, X: pointToBytes(shareCommitment(C, BigInt(index)), true) }));
}

/** The tag's epoch and commitments in this metadata: what the checkpoint of its batch says. */
export function checkpointOf(metadata: Metadata, tssTag: string): TssCheckpoint {
  const s = readTss(metadata, tssTag);
  return { tssTag, tssNonce: s.tssNonce, commitments: s.commitments.map((c) => pointToBytes(c, true)) };
}

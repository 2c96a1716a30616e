/** Helpers for ThresholdKey tests: fresh accounts on a MemoryStorage with seeded randomness. */
import { seededRng } from '../../src/rng.js';
import type { MetadataStorage } from '../../src/storage/types.js';
import { ThresholdKey, type ThresholdKeyOptions } from '../../src/metadata/threshold-key.js';

export const POSTBOX = new Uint8Array(32).fill(7);
export const NOW = () => 1700000000000;

export function newTkey(storage: MetadataStorage, seed: string, extra: Partial<ThresholdKeyOptions> = {}): ThresholdKey {
  return new ThresholdKey({ storage, postboxKey: POSTBOX, rng: seededRng(seed), now: NOW, ...extra });
}

/**
 * The replay rule of `ServerStore.appendRows`, one implementation for every backend: a signed write
 * already stored (or repeated within the unit) is refused with REPLAYED_WRITE — re-posting it would
 * roll its address back — except, when not `strict`, a repeat of the address's latest value, which is
 * skipped (an idempotent retry). The backend says what it has stored through `stored`.
 * @module
 */
import { fail } from '../../errors.js';
import { rowKey, type Row } from './types.js';

/** What a backend has stored for one address key: its signatures and the latest one. */
export interface StoredSigs {
  has(key: string, signature: string): boolean;
  latest(key: string): string | undefined;
}

export function filterReplays(rows: readonly Row[], stored: StoredSigs, strict: boolean): { keep: Row[]; skipped: number } {
  const keep: Row[] = [];
  let skipped = 0;
  const unitLatest = new Map<string, string>();
  const unitSigs = new Set<string>();
  for (const [i, r] of rows.entries()) {
    const key = rowKey(r);
    const latest = unitLatest.get(key) ?? stored.latest(key);
    if (unitSigs.has(`${key}\x00${r.signature}`) || stored.has(key, r.signature)) {
      if (!strict && latest === r.signature) {
        skipped++;
        continue;
      }
      fail('REPLAYED_WRITE', `row ${i}: this signed write was stored before and is no longer the latest value of its address`, { index: i });
    }
    keep.push(r);
    unitLatest.set(key, r.signature);
    unitSigs.add(`${key}\x00${r.signature}`);
  }
  return { keep, skipped };
}

/**
 * `exportKey`: the ONLY place the TSS key is assembled. The caller hands over t user factor keys
 * (t = the account's threshold; the service's share is never used), each unlocks its share from
 * the durable metadata (checked against the commitments), the shares of t distinct indices are
 * interpolated at 0, and the result is checked against the public key before it is returned.
 * Fewer than t distinct user shares: `NOT_ENOUGH_SHARES`, nothing assembled.
 * @module
 */
import { mulG, scalarToBytes } from '../curve.js';
import { fail, InternalBug } from '../errors.js';
import { interpolate } from '../shamir/index.js';
import { asFactorKey, type FactorKey } from '../tss/factor-key.js';
import { getTssShare, readTss } from '../tss/tss-metadata.js';
import { freshState, type Core } from './core.js';

/** Assemble the TSS private key (32 bytes) from t user factors. SECRET: the caller owns (and zeroes) the result. */
export async function exportKey(c: Core, factorKeys: readonly (FactorKey | Uint8Array)[]): Promise<Uint8Array> {
  if (!Array.isArray(factorKeys)) fail('INVALID_ARGUMENT', 'factorKeys: expected an array of factor keys');
  const keys = factorKeys.map((f, k) => asFactorKey(f, `factorKeys[${k}]`));
  await freshState(c);
  const m = c.tk.getMetadata();
  const tss = readTss(m, c.tssTag);
  const t = tss.commitments.length;
  const byIndex = new Map<number, bigint>();
  for (const f of keys) {
    const sh = getTssShare(m, c.tssTag, f); // FACTOR_UNKNOWN / share not on the commitments
    byIndex.set(sh.index, sh.value);
  }
  if (byIndex.size < t) fail('NOT_ENOUGH_SHARES', `exportKey needs the shares of ${t} distinct user indices; these factors give ${byIndex.size}`, { have: byIndex.size, threshold: t });
  const shares = [...byIndex].slice(0, t).map(([x, y]) => ({ x: BigInt(x), y }));
  const x = interpolate(shares);
  if (!mulG(x).equals(tss.commitments[0]!)) throw new InternalBug('exportKey: the interpolated key does not match the public key');
  const out = scalarToBytes(x);
  byIndex.clear(); // bigints cannot be zeroed: drop the references; the bytes are the caller's
  return out;
}

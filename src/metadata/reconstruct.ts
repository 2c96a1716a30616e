/**
 * Reconstruction of the metadata key k_m from threshold shares of the latest polynomial
 * (catching up held shares of older polynomials first), checked against `metadata.pubKey`.
 * @module
 */
import { mulGUnsafe } from '../curve.js';
import { fail } from '../errors.js';
import { commit, interpolatePolynomial, type Share as Point2 } from '../shamir/index.js';
import type { AccountContext } from './context.js';
import type { Metadata } from './metadata.js';
import type { Share } from './share-store.js';
import { catchUp } from './share-io.js';

/**
 * k_m and the polynomial from `threshold` shares of `polyId` (default: latest). Raises
 * `NOT_ENOUGH_SHARES`, and `METADATA_KEY_MISMATCH` when the result does not match the metadata's
 * public key or the polynomial's commitments.
 */
export function reconstructFromShares(metadata: Metadata, shares: readonly Share[], polyId = metadata.latestPolyId()): { key: bigint; poly: bigint[] } {
  const t = metadata.threshold(polyId);
  const distinct = new Map<bigint, Share>();
  for (const s of shares) distinct.set(s.index, s);
  if (distinct.size < t) fail('NOT_ENOUGH_SHARES', `need ${t} shares of the latest polynomial, have ${distinct.size}`);
  const points: Point2[] = [...distinct.values()].slice(0, t).map((s) => ({ x: s.index, y: s.value }));
  const poly = interpolatePolynomial(points);
  const key = poly[0]!;
  if (key === 0n || !mulGUnsafe(key).equals(metadata.pubKey)) fail('METADATA_KEY_MISMATCH', 'reconstructed key does not match metadata.pubKey');
  const C = commit(poly);
  const expected = metadata.commitments(polyId);
  if (C.length !== expected.length || C.some((c, i) => !c.equals(expected[i]!)))
    fail('METADATA_KEY_MISMATCH', 'reconstructed polynomial does not match its commitments');
  return { key, poly };
}

/** The latest polynomial from k_m and threshold − 1 shares (f(0) = k_m is the extra point). */
export function polyFromKeyAndShares(metadata: Metadata, key: bigint, shares: readonly Share[]): bigint[] | undefined {
  const polyId = metadata.latestPolyId();
  const t = metadata.threshold(polyId);
  const pts: Point2[] = [{ x: 0n, y: key }];
  for (const s of shares) if (!pts.some((p) => p.x === s.index)) pts.push({ x: s.index, y: s.value });
  if (pts.length < t) return undefined;
  const poly = interpolatePolynomial(pts.slice(0, t));
  const C = commit(poly);
  const expected = metadata.commitments(polyId);
  if (C.some((c, i) => !c.equals(expected[i]!))) fail('METADATA_KEY_MISMATCH', 'held shares and key do not match the latest polynomial');
  return poly;
}

/** Reconstruct k_m in the account: catch up held shares, interpolate, check, remember key and polynomial. */
export async function reconstructAccount(ctx: AccountContext): Promise<bigint> {
  const metadata = ctx.state.requireMetadata();
  const latest = metadata.latestPolyId();
  const wanted = new Set(metadata.shareIndexes(latest));
  const t = metadata.threshold(latest);
  const have = new Map<bigint, Share>();
  for (const ss of ctx.state.sharesOn(latest)) if (wanted.has(ss.index)) have.set(ss.index, ss.share);
  // older polynomials, newest first: catch their shares up to the latest one
  for (let i = metadata.polyIDList.length - 2; i >= 0 && have.size < t; i--) {
    for (const ss of ctx.state.sharesOn(metadata.polyIDList[i]!.polyId)) {
      if (have.size >= t || have.has(ss.index) || !wanted.has(ss.index)) continue;
      const r = await catchUp(ctx, ss, latest);
      if (r.shareStore.polynomialID !== latest) continue;
      ctx.state.addShare(r.shareStore);
      have.set(ss.index, r.shareStore.share);
    }
  }
  const { key, poly } = reconstructFromShares(metadata, [...have.values()], latest);
  ctx.state.key = key;
  ctx.state.poly = poly;
  return key;
}

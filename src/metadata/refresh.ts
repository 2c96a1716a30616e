/**
 * Share-set changes (tkey-formats §2.5): a refresh deals a new polynomial with the same secret to
 * a new index set and writes, for each continuing old share, a record whose
 * `scopedStore.encryptedShares` holds its new ShareStore (the catch-up chain); each new share gets the
 * new metadata; the postbox record gets the new index-1 share. `generateNewShare` and
 * `deleteShare` are refreshes; `syncShareMetadata` rewrites the latest shares' records.
 * The random coefficients are given by the caller, so a replay after reload deals the same polynomial.
 * @module
 */
import { toHexUnpadded, utf8ToBytes } from '../bytes.js';
import { mulG, pointToBytes } from '../curve.js';
import { eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail } from '../errors.js';
import { assertDistinctIndices, commit, evaluate } from '../shamir/index.js';
import { signAuthMetadata } from './auth-metadata.js';
import type { AccountContext } from './context.js';
import { cloneJSON, type Metadata } from './metadata.js';
import { isShareDeletedMarker, shareDeletedMarker } from './record.js';
import { outputShareStore, readContent } from './share-io.js';
import { Share, ShareStore } from './share-store.js';
import { sealPlaintextTKeyStore } from './tkey-store.js';

export interface RefreshResult {
  polynomialID: string;
  shareStores: Map<bigint, ShareStore>;
}

function runMiddleware(ctx: AccountContext, metadata: Metadata, oldShares: Map<bigint, ShareStore>, newShares: Map<bigint, ShareStore>): void {
  const generalStore = cloneJSON(metadata.generalStore);
  for (const mod of ctx.modules) {
    for (const [domain, mw] of Object.entries(mod.refreshMiddleware ?? {})) {
      const next = mw(metadata.getGeneralStoreDomain(domain), oldShares, newShares, { rng: ctx.rng, generalStore });
      if (next === undefined || next === null) metadata.deleteGeneralStoreDomain(domain);
      else metadata.setGeneralStoreDomain(domain, next);
    }
  }
}

/** Deal `[k_m, ...coeffs]` to `newIndices` and queue every record of the refresh. */
export function refreshShares(ctx: AccountContext, newIndices: readonly bigint[], coeffs: readonly bigint[]): RefreshResult {
  const { key, poly: oldPoly, metadata } = ctx.state.requireKey();
  assertDistinctIndices(newIndices, 'newIndices');
  if (!newIndices.includes(1n)) fail('CANNOT_DELETE_SERVICE_SHARE', 'the service-provider share (index 1) must stay');
  if (coeffs.length + 1 > newIndices.length) fail('THRESHOLD_VIOLATION', `threshold ${coeffs.length + 1} exceeds ${newIndices.length} shares`);
  const prev = metadata.latest();
  sealPlaintextTKeyStore(metadata, ctx.rng); // the peer's _deleteTKeyStoreItem leak ends with our write
  metadata.nonce += 1;
  const newPoly = [key, ...coeffs];
  const polynomialID = metadata.addPolynomial(commit(newPoly), newIndices);
  const newShares = new Map<bigint, ShareStore>();
  for (const i of newIndices) newShares.set(i, new ShareStore(new Share(i, evaluate(newPoly, i)), polynomialID));

  // old shares that continue: their record leads to the new share
  const oldShares = new Map<bigint, ShareStore>();
  const encryptedShares: Record<string, EncryptedMessage> = {};
  for (const i of prev.indices) {
    if (!newShares.has(i)) continue;
    const old = new ShareStore(new Share(i, evaluate(oldPoly, i)), prev.polyId);
    oldShares.set(i, old);
    const pub = mulG(old.share.value);
    const plain = utf8ToBytes(JSON.stringify(newShares.get(i)!.exportJSON()));
    encryptedShares[toHexUnpadded(pub.toAffine().x)] = eciesEncryptJSON(pointToBytes(pub, false), plain, { rng: ctx.rng });
  }
  const forOld = metadata.clone();
  forOld.scopedStore = { ...forOld.scopedStore, encryptedShares };
  runMiddleware(ctx, metadata, oldShares, newShares);

  const oldAuth = signAuthMetadata(forOld, key);
  for (const old of oldShares.values()) ctx.queue.put(old.share.value, oldAuth);
  const newAuth = signAuthMetadata(metadata, key);
  for (const ss of newShares.values()) ctx.queue.put(ss.share.value, newAuth);
  ctx.queue.put(ctx.postboxKey, newShares.get(1n)!.exportJSON());

  ctx.state.poly = newPoly;
  for (const ss of newShares.values()) ctx.state.addShare(ss);
  return { polynomialID, shareStores: newShares };
}

/** Add one share at `newIndex` (same threshold). */
export function generateNewShareBody(ctx: AccountContext, newIndex: bigint, coeffs: readonly bigint[]): RefreshResult & { newShareStore: ShareStore } {
  const metadata = ctx.state.requireMetadata();
  const prev = metadata.latest();
  if (newIndex === 0n || prev.indices.includes(newIndex)) fail('DUPLICATE_INDEX', 'the new share index is already in use');
  const r = refreshShares(ctx, [...prev.indices, newIndex], coeffs);
  return { ...r, newShareStore: r.shareStores.get(newIndex)! };
}

/** Remove the share at `index`: refresh to the others, then mark its last record SHARE_DELETED. */
export function deleteShareBody(ctx: AccountContext, index: bigint, coeffs: readonly bigint[]): RefreshResult {
  if (index === 1n) fail('CANNOT_DELETE_SERVICE_SHARE', 'the service-provider share (index 1) cannot be deleted');
  const { poly, metadata } = ctx.state.requireKey();
  const prev = metadata.latest();
  if (!prev.indices.includes(index)) fail('SHARE_UNKNOWN', `no share index ${index.toString(16)} on the latest polynomial`);
  const remaining = prev.indices.filter((i) => i !== index);
  const t = metadata.threshold();
  if (remaining.length < t) fail('THRESHOLD_VIOLATION', `deleting would leave ${remaining.length} shares, threshold is ${t}`);
  const deletedValue = evaluate(poly, index);
  const r = refreshShares(ctx, remaining, coeffs);
  ctx.queue.put(deletedValue, shareDeletedMarker(ctx.now()));
  ctx.state.dropIndex(index);
  return r;
}

/** Every share of the latest polynomial (needs the reconstructed polynomial). */
export function latestShareStores(ctx: AccountContext): ShareStore[] {
  const metadata = ctx.state.requireKey().metadata;
  return metadata.shareIndexes().map((i) => outputShareStore(ctx, i));
}

/**
 * Bump the nonce and rewrite every latest share's record with the current metadata, each keeping
 * its own scopedStore (the peer's `_syncShareMetadata`).
 */
export async function syncShareMetadata(ctx: AccountContext): Promise<void> {
  const { key, metadata } = ctx.state.requireKey();
  sealPlaintextTKeyStore(metadata, ctx.rng); // the peer's _deleteTKeyStoreItem leak ends with our write
  metadata.nonce += 1;
  for (const ss of latestShareStores(ctx)) {
    const content = await readContent(ctx, ss.share.value);
    let scoped = metadata.scopedStore;
    if (content !== undefined && !isShareDeletedMarker(content)) {
      const data = (content as { data?: { scopedStore?: unknown } }).data;
      if (data && typeof data.scopedStore === 'object' && data.scopedStore !== null) scoped = data.scopedStore as Record<string, unknown>;
    }
    const m = metadata.clone();
    m.scopedStore = cloneJSON(scoped);
    ctx.queue.put(ss.share.value, signAuthMetadata(m, key));
  }
}

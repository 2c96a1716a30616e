/**
 * Reading share records (pending writes first), catching a stale share up through
 * `scopedStore.encryptedShares` (§2.5), and putting shares in and out of an account.
 * @module
 */
import { bytesToNumberBE, hexToNumber, numberToBytesBE, toHexPadded } from '../bytes.js';
import { mulG, N } from '../curve.js';
import { fail } from '../errors.js';
import { mnemonicToBytes, bytesToMnemonic } from '../mnemonic.js';
import { evaluate } from '../shamir/index.js';
import { verifyAuthMetadata } from './auth-metadata.js';
import type { AccountContext } from './context.js';
import type { Metadata } from './metadata.js';
import { decodeRecord, isShareDeletedMarker, recordAddress } from './record.js';
import { Share, ShareStore } from './share-store.js';

/** The JSON content of the record owned by `ownerKey` (pending first), or `undefined`. */
export async function readContent(ctx: AccountContext, ownerKey: bigint): Promise<unknown> {
  const address = recordAddress(mulG(ownerKey));
  const pending = ctx.queue.get(address);
  if (pending) return pending.content;
  const value = await ctx.storage.get(address);
  return value === undefined ? undefined : decodeRecord(ownerKey, value);
}

/** A share's verified metadata. `SHARE_DELETED` / `NOT_FOUND` as applicable. */
export async function readShareMetadata(ctx: AccountContext, share: Share): Promise<Metadata> {
  const content = await readContent(ctx, share.value);
  if (content === undefined) return fail('NOT_FOUND', `no metadata record for share index ${share.indexHex}`);
  if (isShareDeletedMarker(content)) return fail('SHARE_DELETED', `share index ${share.indexHex} was deleted`);
  return verifyAuthMetadata(content);
}

export interface CatchUpResult {
  shareStore: ShareStore;
  metadata: Metadata;
}

/**
 * Follow the catch-up chain from `ss` to the newest share its records lead to (stopping early at
 * `stopAt` when given). Every step checks the share against the commitments of its polynomial.
 */
export async function catchUp(ctx: AccountContext, ss: ShareStore, stopAt?: string): Promise<CatchUpResult> {
  let cur = ss;
  for (let hops = 0; hops < 1024; hops++) {
    const metadata = await readShareMetadata(ctx, cur.share);
    if (!metadata.verifyShare(cur.polynomialID, cur.share))
      fail('SHARE_NOT_ON_POLYNOMIAL', `share index ${cur.share.indexHex} does not lie on its polynomial`);
    if (stopAt !== undefined && cur.polynomialID === stopAt) return { shareStore: cur, metadata };
    const next = metadata.nextShare(cur);
    if (!next) return { shareStore: cur, metadata };
    if (next.index !== cur.index) fail('SHARE_UNKNOWN', 'catch-up record names a different share index');
    cur = next;
  }
  return fail('INTERNAL_BUG', 'catch-up chain does not end');
}

/**
 * Bring `ss` to the account's latest polynomial and hold it. Refuses deleted shares
 * (`SHARE_DELETED`), shares of another account (`SHARE_UNKNOWN`), shares that cannot reach the latest
 * polynomial (`SHARE_STALE`), and a newer account state than ours (`STORAGE_CONFLICT`: reload first).
 */
export async function inputShareStore(ctx: AccountContext, ss: ShareStore): Promise<ShareStore> {
  if (!(ss instanceof ShareStore)) fail('INVALID_ARGUMENT', 'shareStore: expected a ShareStore');
  const metadata = ctx.state.requireMetadata();
  const latest = metadata.latestPolyId();
  if (metadata.hasPolynomial(ss.polynomialID) && !metadata.verifyShare(ss.polynomialID, ss.share))
    fail('SHARE_NOT_ON_POLYNOMIAL', 'the share does not lie on the polynomial it names');
  const { shareStore, metadata: theirs } = await catchUp(ctx, ss, latest);
  if (!theirs.pubKey.equals(metadata.pubKey)) fail('SHARE_UNKNOWN', 'the share belongs to another account');
  if (shareStore.polynomialID !== latest) {
    if (theirs.hasPolynomial(latest)) fail('STORAGE_CONFLICT', 'the account changed in storage since it was loaded; reload first');
    fail('SHARE_STALE', `share index ${shareStore.share.indexHex} cannot be caught up to the latest polynomial`);
  }
  if (!metadata.shareIndexes(latest).includes(shareStore.index)) fail('SHARE_UNKNOWN', 'the share index is not on the latest polynomial');
  ctx.state.addShare(shareStore);
  return shareStore;
}

/** The share at `index` on the latest polynomial (held, or evaluated from the reconstructed polynomial). */
export function outputShareStore(ctx: AccountContext, index: bigint): ShareStore {
  const metadata = ctx.state.requireMetadata();
  const latest = metadata.latestPolyId();
  if (!metadata.shareIndexes(latest).includes(index)) fail('SHARE_UNKNOWN', `no share index ${index.toString(16)} on the latest polynomial`);
  const held = ctx.state.shares.get(latest)?.get(index);
  if (held) return held;
  const { poly } = ctx.state.requireKey();
  return new ShareStore(new Share(index, evaluate(poly, index)), latest);
}

export type ShareFormat = 'bytes' | 'hex' | 'mnemonic';

/** A bare share value in a serialization format → bigint. */
export function parseShareValue(input: unknown, format: ShareFormat): bigint {
  let v: bigint;
  if (format === 'mnemonic') {
    if (typeof input !== 'string') fail('INVALID_ARGUMENT', 'share: expected a mnemonic string');
    v = bytesToNumberBE(mnemonicToBytes(input));
  } else if (format === 'hex') {
    if (typeof input !== 'string') fail('INVALID_ARGUMENT', 'share: expected a hex string');
    v = hexToNumber(input, 'share');
  } else if (format === 'bytes') {
    if (!(input instanceof Uint8Array) || input.length !== 32) fail('INVALID_ARGUMENT', 'share: expected 32 bytes');
    v = bytesToNumberBE(input);
  } else return fail('INVALID_ARGUMENT', `unknown share format ${String(format)}`);
  if (v >= N) fail('OUT_OF_RANGE', 'share: not below the group order');
  return v;
}

/** Serialize a share value: 32 bytes, 64-char hex, or the peer's 24-word mnemonic. */
export function formatShareValue(value: bigint, format: ShareFormat): Uint8Array | string {
  const b = numberToBytesBE(value, 32);
  if (format === 'bytes') return b;
  if (format === 'hex') return toHexPadded(value);
  if (format === 'mnemonic') return bytesToMnemonic(b);
  return fail('INVALID_ARGUMENT', `unknown share format ${String(format)}`);
}

/**
 * Factor operations at the data level (tkey-formats §4.3–4.4): pure functions from the current
 * metadata and shares to the complete new TSS state of one tag, which `writeTss` stores and the
 * caller syncs in ONE metadata batch. No protocol runs here: the refresh protocol
 * (`protocols/refresh/`) produces the new shares and commitments; the client layer composes.
 *
 * - `buildInitialTss`: a new TSS key's state (epoch 0) from its commitments and the user shares.
 * - `buildAddFactorCopy`: another factor for an existing share (same index, no refresh): a new
 *   `direct` factorEnc of the same share, appended to factorPubs — the peer's
 *   `addFactorPub(…, refreshShares = false)`.
 * - `buildRemoveFactor`: drop one factor entry. This revokes nothing cryptographically (the old
 *   factor still knows its share); revoke with a refresh (`buildRefreshedTss` without it).
 * - `buildRefreshedTss`: after a refresh, every factor re-encrypted (`direct`) to its new share,
 *   new commitments (same A0: the key is unchanged), epoch + 1. A refresh output maps directly:
 *   `commitments` (SEC1 bytes accepted), `TssShare.fromBytes(index, share32)` per new index,
 *   `tssNonce = epoch`.
 *
 * Rule kept by every builder: the account stays signable — the service (index 1) plus the distinct
 * user indices reachable through factors number at least t = commitments.length.
 * @module
 */
import type { Point } from '../curve.js';
import { fail } from '../errors.js';
import type { Metadata } from '../metadata/metadata.js';
import { cryptoRng, type Rng } from '../rng.js';
import { createDirectFactorEnc, type FactorEnc } from './factor-enc.js';
import { factorPubPoint } from './factor-key.js';
import { factorEncKey, readTss, requireSecp256k1, DEFAULT_TSS_KEY_TYPE, type TssState } from './tss-metadata.js';
import { assertTssShare, aTssIndex, TssShare } from './tss-share.js';
import { aTssTag } from './tss-tag.js';

/** A factor and the share index it will hold. */
export interface FactorTarget {
  factorPub: Uint8Array | Point;
  tssIndex: number;
}

function aRng(rng: Rng | undefined): Rng {
  const r = rng ?? cryptoRng;
  if (typeof r !== 'object' || r === null || typeof r.bytes !== 'function') fail('INVALID_ARGUMENT', 'rng: expected an Rng');
  return r;
}

function aCommitments(c: unknown): Point[] {
  if (!Array.isArray(c) || c.length === 0) return fail('INVALID_ARGUMENT', 'commitments: expected a non-empty array of points');
  return c.map((p, i) => factorPubPoint(p as Point | Uint8Array, `commitments[${i}]`));
}

/** Service + distinct user indices reachable ≥ t, else THRESHOLD_VIOLATION. */
function assertSignable(indices: Iterable<number>, t: number, what: string): void {
  const distinct = new Set(indices);
  if (1 + distinct.size < t)
    fail('THRESHOLD_VIOLATION', `${what}: the service and ${distinct.size} user share index(es) are fewer than the threshold ${t}`, { userIndices: [...distinct], threshold: t });
}

/** Map each share by index: distinct, user indices (≥ 2), each on the commitments. */
function sharesByIndex(shares: readonly TssShare[], commitments: readonly Point[]): Map<number, TssShare> {
  if (!Array.isArray(shares) || shares.length === 0) fail('INVALID_ARGUMENT', 'shares: expected a non-empty array of TssShare');
  const m = new Map<number, TssShare>();
  for (const [i, s] of shares.entries()) {
    if (!(s instanceof TssShare)) fail('INVALID_ARGUMENT', `shares[${i}]: expected a TssShare`);
    aTssIndex(s.index, `shares[${i}].index`, 2);
    if (m.has(s.index)) fail('DUPLICATE_INDEX', `shares: index ${s.index} given twice`);
    assertTssShare(commitments, s);
    m.set(s.index, s);
  }
  return m;
}

/** Encrypt each target's share to it; targets distinct, each index backed by a share. */
function encryptTargets(targets: readonly FactorTarget[], shares: Map<number, TssShare>, rng: Rng): { factorPubs: Point[]; factorEncs: Record<string, FactorEnc> } {
  if (!Array.isArray(targets) || targets.length === 0) fail('INVALID_ARGUMENT', 'factors: expected a non-empty array');
  const factorPubs: Point[] = [];
  const plan: { pub: Point; key: string; share: TssShare }[] = [];
  const seen = new Set<string>();
  for (const [i, t] of targets.entries()) {
    if (typeof t !== 'object' || t === null) fail('INVALID_ARGUMENT', `factors[${i}]: expected {factorPub, tssIndex}`);
    const pub = factorPubPoint(t.factorPub, `factors[${i}].factorPub`);
    const idx = aTssIndex(t.tssIndex, `factors[${i}].tssIndex`, 2);
    const key = factorEncKey(pub);
    if (seen.has(key)) fail('FACTOR_EXISTS', `factors[${i}]: factor ${key.slice(0, 16)}… listed twice`);
    seen.add(key);
    const share = shares.get(idx);
    if (!share) fail('INVALID_ARGUMENT', `factors[${i}]: no new share at index ${idx}`);
    plan.push({ pub, key, share });
  }
  const factorEncs: Record<string, FactorEnc> = {};
  for (const p of plan) {
    factorPubs.push(p.pub);
    factorEncs[p.key] = createDirectFactorEnc(p.pub, p.share, { rng });
  }
  return { factorPubs, factorEncs };
}

/** A new TSS key's state: epoch `tssNonce` (default 0), `direct` factorEncs for every factor. */
export function buildInitialTss(opts: {
  tssTag: string;
  /** Points or SEC1 bytes (a keygen output's commitments as they come). */
  commitments: readonly (Point | Uint8Array)[];
  shares: readonly TssShare[];
  factors: readonly FactorTarget[];
  keyType?: string;
  tssNonce?: number;
  rng?: Rng;
}): TssState {
  const tssTag = aTssTag(opts.tssTag);
  const keyType = opts.keyType ?? DEFAULT_TSS_KEY_TYPE;
  if (keyType !== 'secp256k1') fail('TSS_KEY_TYPE_UNSUPPORTED', `keyType ${JSON.stringify(keyType)}: only secp256k1`);
  const tssNonce = opts.tssNonce ?? 0;
  if (!Number.isSafeInteger(tssNonce) || tssNonce < 0) fail('OUT_OF_RANGE', 'tssNonce: expected a non-negative integer');
  const commitments = aCommitments(opts.commitments);
  const shares = sharesByIndex(opts.shares, commitments);
  const { factorPubs, factorEncs } = encryptTargets(opts.factors, shares, aRng(opts.rng));
  assertSignable(opts.factors.map((f) => f.tssIndex), commitments.length, 'initial factors');
  return { tssTag, keyType, tssNonce, commitments, factorPubs, factorEncs };
}

/**
 * Another factor for `share` (its index and value, as some existing factor decrypted it): a new
 * `direct` factorEnc appended; commitments and epoch unchanged. `FACTOR_EXISTS` when the factor is
 * already registered; `SHARE_NOT_ON_POLYNOMIAL` when the share is not on the current commitments.
 */
export function buildAddFactorCopy(metadata: Metadata, tssTag: string, opts: { share: TssShare; newFactorPub: Uint8Array | Point; rng?: Rng }): TssState {
  const cur = readTss(metadata, tssTag);
  requireSecp256k1(metadata, tssTag);
  if (!(opts.share instanceof TssShare)) fail('INVALID_ARGUMENT', 'share: expected a TssShare');
  aTssIndex(opts.share.index, 'share.index', 2);
  assertTssShare(cur.commitments, opts.share);
  const pub = factorPubPoint(opts.newFactorPub, 'newFactorPub');
  const key = factorEncKey(pub);
  if (cur.factorEncs[key] || cur.factorPubs.some((p) => factorEncKey(p) === key)) fail('FACTOR_EXISTS', `factor ${key.slice(0, 16)}… is already registered under ${JSON.stringify(tssTag)}`);
  const enc = createDirectFactorEnc(pub, opts.share, { rng: aRng(opts.rng) });
  return { ...cur, factorPubs: [...cur.factorPubs, pub], factorEncs: { ...cur.factorEncs, [key]: enc } };
}

/**
 * Drop one factor entry (its factorPub and factorEnc). `FACTOR_UNKNOWN` when absent;
 * `THRESHOLD_VIOLATION` when the remaining factors could no longer reach the threshold with the
 * service. Revokes nothing by itself: follow with a refresh to make the removed share useless.
 */
export function buildRemoveFactor(metadata: Metadata, tssTag: string, factorPub: Uint8Array | Point): TssState {
  const cur = readTss(metadata, tssTag);
  const key = factorEncKey(factorPub);
  const at = cur.factorPubs.findIndex((p) => factorEncKey(p) === key);
  if (at < 0) fail('FACTOR_UNKNOWN', `factor ${key.slice(0, 16)}… is not registered under ${JSON.stringify(tssTag)}`);
  const factorPubs = cur.factorPubs.filter((_, i) => i !== at);
  if (factorPubs.length === 0) fail('THRESHOLD_VIOLATION', 'cannot remove the last factor');
  assertSignable(
    factorPubs.map((p) => cur.factorEncs[factorEncKey(p)]!.tssIndex),
    cur.commitments.length,
    'after removing the factor',
  );
  const factorEncs = { ...cur.factorEncs };
  delete factorEncs[key];
  return { ...cur, factorPubs, factorEncs };
}

/**
 * The complete TSS state after a refresh: `commitments` are the new polynomial's (A0 must equal
 * the current TSS public key), `shares` the new user shares (each checked on them), `factors` every
 * factor that stays or joins with its new index (a factor left out is removed), epoch
 * `tssNonce` (default current + 1; must grow). Every factorEnc is rewritten `direct` (hierarchical
 * entries migrate here).
 */
export function buildRefreshedTss(
  metadata: Metadata,
  tssTag: string,
  opts: { commitments: readonly (Point | Uint8Array)[]; shares: readonly TssShare[]; factors: readonly FactorTarget[]; tssNonce?: number; rng?: Rng },
): TssState {
  const cur = readTss(metadata, tssTag);
  requireSecp256k1(metadata, tssTag);
  const commitments = aCommitments(opts.commitments);
  if (!commitments[0]!.equals(cur.commitments[0]!)) fail('SHARE_NOT_ON_POLYNOMIAL', 'the new commitments change the TSS public key (A0)');
  const tssNonce = opts.tssNonce ?? cur.tssNonce + 1;
  if (!Number.isSafeInteger(tssNonce) || tssNonce <= cur.tssNonce) fail('OUT_OF_RANGE', `tssNonce: must be greater than the current ${cur.tssNonce}`);
  const shares = sharesByIndex(opts.shares, commitments);
  const { factorPubs, factorEncs } = encryptTargets(opts.factors, shares, aRng(opts.rng));
  assertSignable(opts.factors.map((f) => f.tssIndex), commitments.length, 'refreshed factors');
  return { tssTag: cur.tssTag, keyType: cur.keyType, tssNonce, commitments, factorPubs, factorEncs };
}

/** The factor public keys of `before` that `after` no longer lists (for description clean-up). */
export function removedFactors(before: TssState, after: TssState): Point[] {
  const keep = new Set(after.factorPubs.map((p) => factorEncKey(p)));
  return before.factorPubs.filter((p) => !keep.has(factorEncKey(p)));
}

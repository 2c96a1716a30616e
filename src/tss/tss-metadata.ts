/**
 * Typed access to the TSS fields of a `Metadata` (tkey-formats §2.3, §4), per `tssTag`:
 * `tssKeyTypes[tag]` (missing ⇒ "secp256k1"), `tssNonces[tag]` (the epoch; +1 per refresh),
 * `tssPolyCommits[tag]` (Feldman commitments [A0 = TSS public key, A1, …]), `factorPubs[tag]`
 * (factor public keys, in order) and `factorEncs[tag][factorPub.x as 64 hex]` (FactorEnc JSON).
 *
 * Commitments: the peer always writes exactly two points (its TSS polynomial is degree 1, 2-of-n
 * with the service at index 1). Ours are the t points of a degree t−1 polynomial — after a
 * threshold change t may be 3 or more; t = 2 is the peer-compatible special case. Every share check
 * here uses Σⱼ indexʲ·Aⱼ, which covers both. A peer reading an account with t > 2 would misread it:
 * keep t = 2 on accounts the peer must still open.
 *
 * The `Metadata` class stores these fields as parsed points / raw JSON; this module reads them
 * with validation and writes one tag's five fields together (`writeTss`), so a whole TSS update
 * lands in the metadata in one step and is synced in one batch by the caller.
 * @module
 */
import { toHexPadded } from '../bytes.js';
import type { Point } from '../curve.js';
import { fail } from '../errors.js';
import { Metadata } from '../metadata/metadata.js';
import { factorPubPoint, asFactorKey, type FactorKey } from './factor-key.js';
import { decryptFactorEnc, parseFactorEnc, type DecryptFactorEncOptions, type FactorEnc } from './factor-enc.js';
import type { TssShare } from './tss-share.js';
import { aTssTag } from './tss-tag.js';

export type TssKeyType = 'secp256k1' | 'ed25519';
export const DEFAULT_TSS_KEY_TYPE: TssKeyType = 'secp256k1';

/** One tag's TSS state: what `readTss` returns and `writeTss` stores. */
export interface TssState {
  tssTag: string;
  keyType: string;
  tssNonce: number;
  /** [A0 (the TSS public key), A1, …]: t points. */
  commitments: Point[];
  /** Factor public keys, in stored order. */
  factorPubs: Point[];
  /** By `factorEncKey(factorPub)`. */
  factorEncs: Record<string, FactorEnc>;
}

/** The factorEncs key of a factor public key: its x-coordinate as 64 lower-case hex digits. */
export function factorEncKey(factorPub: Uint8Array | Point): string {
  return toHexPadded(factorPubPoint(factorPub).toAffine().x, 64);
}

function aMetadata(m: unknown): Metadata {
  if (!(m instanceof Metadata)) fail('INVALID_ARGUMENT', 'metadata: expected a Metadata');
  return m;
}

/** Tags that have a TSS key (commitments present). */
export function tssTags(metadata: Metadata): string[] {
  return Object.keys(aMetadata(metadata).tssPolyCommits ?? {});
}

/** Does `tssTag` have a TSS key in this metadata? */
export function hasTss(metadata: Metadata, tssTag: string): boolean {
  const c = aMetadata(metadata).tssPolyCommits?.[aTssTag(tssTag)];
  return Array.isArray(c) && c.length > 0;
}

function requireTag(metadata: Metadata, tssTag: string): void {
  if (!hasTss(metadata, tssTag)) fail('TSS_TAG_UNKNOWN', `no TSS key under tssTag ${JSON.stringify(tssTag)}`);
}

/** The key type of a tag ("secp256k1" when the field or the entry is absent, as the peer reads it). */
export function getTssKeyType(metadata: Metadata, tssTag: string): string {
  return aMetadata(metadata).tssKeyTypes?.[aTssTag(tssTag)] ?? DEFAULT_TSS_KEY_TYPE;
}

/** Assert the tag holds a secp256k1 key (all our TSS operations are secp256k1). */
export function requireSecp256k1(metadata: Metadata, tssTag: string): void {
  const t = getTssKeyType(metadata, tssTag);
  if (t !== 'secp256k1') fail('TSS_KEY_TYPE_UNSUPPORTED', `tssTag ${JSON.stringify(tssTag)} holds a ${t} key`);
}

/** The epoch of a tag (`tssNonces[tag]`, 0 when absent). */
export function getTssNonce(metadata: Metadata, tssTag: string): number {
  requireTag(metadata, tssTag);
  return metadata.tssNonces?.[tssTag] ?? 0;
}

/** The Feldman commitments [A0, A1, …] of a tag. */
export function getTssCommitments(metadata: Metadata, tssTag: string): Point[] {
  requireTag(metadata, tssTag);
  return [...metadata.tssPolyCommits![tssTag]!];
}

/** The TSS public key A0 of a tag. */
export function getTssPublicKey(metadata: Metadata, tssTag: string): Point {
  return getTssCommitments(metadata, tssTag)[0]!;
}

/** The factor public keys of a tag (empty when none). */
export function getFactorPubs(metadata: Metadata, tssTag: string): Point[] {
  return [...(aMetadata(metadata).factorPubs?.[aTssTag(tssTag)] ?? [])];
}

/** The factorEnc of a factor public key. `FACTOR_UNKNOWN` when the tag has none for it. */
export function getFactorEnc(metadata: Metadata, tssTag: string, factorPub: Uint8Array | Point): FactorEnc {
  const key = factorEncKey(factorPub);
  const raw = aMetadata(metadata).factorEncs?.[aTssTag(tssTag)]?.[key];
  if (raw === undefined) return fail('FACTOR_UNKNOWN', `no factorEnc for factor ${key.slice(0, 16)}… under tssTag ${JSON.stringify(tssTag)}`);
  return parseFactorEnc(raw, `factorEncs.${tssTag}.${key.slice(0, 8)}…`);
}

/**
 * One tag's whole TSS state, validated: commitments present, factorPubs distinct, each with a
 * well-formed factorEnc under its padded x. factorEncs entries without a factorPub are tolerated
 * and kept (the peer never writes them, but they do no harm).
 */
export function readTss(metadata: Metadata, tssTag: string): TssState {
  const commitments = getTssCommitments(metadata, tssTag);
  const factorPubs = getFactorPubs(metadata, tssTag);
  const rawEncs = metadata.factorEncs?.[tssTag] ?? {};
  const factorEncs: Record<string, FactorEnc> = {};
  for (const [k, v] of Object.entries(rawEncs)) factorEncs[k] = parseFactorEnc(v, `factorEncs.${tssTag}.${k.slice(0, 8)}…`);
  const seen = new Set<string>();
  for (const p of factorPubs) {
    const k = factorEncKey(p);
    if (seen.has(k)) fail('INVALID_JSON', `factorPubs.${tssTag}: duplicate factor ${k.slice(0, 16)}…`);
    seen.add(k);
    if (!factorEncs[k]) fail('INVALID_JSON', `factorPubs.${tssTag}: factor ${k.slice(0, 16)}… has no factorEnc`);
  }
  return { tssTag, keyType: getTssKeyType(metadata, tssTag), tssNonce: getTssNonce(metadata, tssTag), commitments, factorPubs, factorEncs };
}

/**
 * Store one tag's five TSS fields (creating the maps on metadata that had none). Mutates
 * `metadata` — the working copy the caller then syncs in one batch. Validates first: on bad
 * input nothing changes.
 */
export function writeTss(metadata: Metadata, state: TssState): void {
  aMetadata(metadata);
  const tag = aTssTag(state.tssTag);
  if (typeof state.keyType !== 'string' || state.keyType.length === 0) fail('INVALID_ARGUMENT', 'keyType: expected a non-empty string');
  if (!Number.isSafeInteger(state.tssNonce) || state.tssNonce < 0) fail('OUT_OF_RANGE', 'tssNonce: expected a non-negative integer');
  if (!Array.isArray(state.commitments) || state.commitments.length === 0) fail('INVALID_ARGUMENT', 'commitments: expected a non-empty array');
  const commitments = state.commitments.map((c, i) => factorPubPoint(c, `commitments[${i}]`));
  const factorPubs = state.factorPubs.map((p, i) => factorPubPoint(p, `factorPubs[${i}]`));
  const encs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state.factorEncs)) encs[k] = { ...parseFactorEnc(v, `factorEncs.${k.slice(0, 8)}…`) };
  const keys = new Set<string>();
  for (const p of factorPubs) {
    const k = factorEncKey(p);
    if (keys.has(k)) fail('FACTOR_EXISTS', `factor ${k.slice(0, 16)}… listed twice`);
    keys.add(k);
    if (!encs[k]) fail('INVALID_ARGUMENT', `factor ${k.slice(0, 16)}… has no factorEnc`);
  }
  (metadata.tssKeyTypes ??= {})[tag] = state.keyType;
  (metadata.tssNonces ??= {})[tag] = state.tssNonce;
  (metadata.tssPolyCommits ??= {})[tag] = commitments;
  (metadata.factorPubs ??= {})[tag] = factorPubs;
  (metadata.factorEncs ??= {})[tag] = encs;
}

/**
 * The share a factor key unlocks under `tssTag`: look up its factorEnc (by its public key's x),
 * decrypt (direct or hierarchical), and check it on the tag's commitments. Errors:
 * `TSS_TAG_UNKNOWN`, `TSS_KEY_TYPE_UNSUPPORTED`, `FACTOR_UNKNOWN`, `FACTOR_KEY_WRONG`,
 * `FACTOR_ENC_UNRECOVERABLE`, `SHARE_NOT_ON_POLYNOMIAL`.
 */
export function getTssShare(metadata: Metadata, tssTag: string, factorKey: FactorKey | Uint8Array, opts: DecryptFactorEncOptions = {}): TssShare {
  const key = asFactorKey(factorKey);
  requireTag(metadata, tssTag);
  requireSecp256k1(metadata, tssTag);
  const enc = getFactorEnc(metadata, tssTag, key.pubPoint);
  return decryptFactorEnc(key, enc, getTssCommitments(metadata, tssTag), opts);
}

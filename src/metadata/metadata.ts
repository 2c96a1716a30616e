/**
 * The tKey `Metadata` JSON model (tkey-formats §2.3), byte-compatible with `@tkey/core` 15:
 * `pubKey` (compressed SEC1 hex), `polyIDList` (`"<polyID>|0x0|<sorted indices>"`), the general,
 * tKey and scoped stores, `nonce`, and the TSS fields keyed by tssTag. TSS fields absent on input
 * stay absent on output (older writers); unknown top-level fields are preserved verbatim.
 * @module
 */
import { aString, bytesToUtf8, toHexUnpadded } from '../bytes.js';
import { aScalar, modN, mulGUnsafe, pointFromHex, pointFromJSON, pointToHex, pointToJSON, type Point } from '../curve.js';
import { eciesDecryptJSON } from '../ecies.js';
import { fail } from '../errors.js';
import { commitmentsFromPolyId, parsePolyIdListEntry, polyIdFromCommitments, polyIdListEntry, shareCommitment, sortIndices } from '../shamir/index.js';
import { assertJsonDepth } from './json-limits.js';
import { Share, ShareStore } from './share-store.js';
import { stableStringify } from './stable-stringify.js';

/** One `polyIDList` entry, parsed. */
export interface PolyEntry {
  polyId: string;
  indices: bigint[];
}

/** The five TSS fields of v15 metadata (values kept as the peer's JSON). */
export const TSS_FIELDS = ['tssKeyTypes', 'tssNonces', 'tssPolyCommits', 'factorPubs', 'factorEncs'] as const;
const CORE_FIELDS = ['pubKey', 'polyIDList', 'generalStore', 'tkeyStore', 'scopedStore', 'nonce'];

export type JSONValue = null | boolean | number | string | JSONValue[] | { [k: string]: JSONValue };

export interface MetadataJSON {
  pubKey: string;
  polyIDList: string[];
  generalStore: Record<string, unknown>;
  tkeyStore: Record<string, unknown>;
  scopedStore: Record<string, unknown>;
  nonce: number;
  tssKeyTypes?: Record<string, string>;
  tssNonces?: Record<string, number>;
  tssPolyCommits?: Record<string, { x: string; y: string }[]>;
  factorPubs?: Record<string, { x: string; y: string }[]>;
  factorEncs?: Record<string, Record<string, unknown>>;
  [extra: string]: unknown;
}

/** Deep copy of plain JSON data (through its canonical form). */
export function cloneJSON<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(stableStringify(v)) as T);
}

function record(j: unknown, title: string): Record<string, unknown> {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) fail('INVALID_JSON', `${title}: expected an object`);
  return j as Record<string, unknown>;
}

/** Set an own data property, whatever the key (`__proto__` included: never the prototype). */
function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function pointMap(j: unknown, title: string): Record<string, Point[]> {
  const out: Record<string, Point[]> = {};
  for (const [tag, arr] of Object.entries(record(j, title))) {
    if (!Array.isArray(arr)) fail('INVALID_JSON', `${title}.${tag}: expected an array of points`);
    setOwn(out, tag, arr.map((p, i) => pointFromJSON(p, `${title}.${tag}[${i}]`)));
  }
  return out;
}

export class Metadata {
  pubKey: Point;
  polyIDList: PolyEntry[];
  generalStore: Record<string, unknown>;
  tkeyStore: Record<string, unknown>;
  scopedStore: Record<string, unknown>;
  nonce: number;
  tssKeyTypes?: Record<string, string>;
  tssNonces?: Record<string, number>;
  tssPolyCommits?: Record<string, Point[]>;
  factorPubs?: Record<string, Point[]>;
  factorEncs?: Record<string, Record<string, unknown>>;
  /** Unknown top-level fields, written back unchanged. */
  extra: Record<string, unknown>;
  readonly #commitments = new Map<string, Point[]>();

  private constructor(pubKey: Point) {
    this.pubKey = pubKey;
    this.polyIDList = [];
    this.generalStore = {};
    this.tkeyStore = {};
    this.scopedStore = {};
    this.nonce = 0;
    this.extra = {};
  }

  /** Fresh metadata for a new key, as v15 creates it (the five TSS fields present and empty). */
  static create(pubKey: Point): Metadata {
    const m = new Metadata(pubKey);
    m.tssKeyTypes = {};
    m.tssNonces = {};
    m.tssPolyCommits = {};
    m.factorPubs = {};
    m.factorEncs = {};
    return m;
  }

  static fromJSON(json: unknown): Metadata {
    const o = record(json, 'Metadata');
    assertJsonDepth(o, 'Metadata');
    if (typeof o.pubKey !== 'string') fail('INVALID_JSON', 'Metadata.pubKey: expected compressed SEC1 hex');
    const m = new Metadata(pointFromHex(o.pubKey, 'Metadata.pubKey'));
    if (!Array.isArray(o.polyIDList)) fail('INVALID_JSON', 'Metadata.polyIDList: expected an array');
    for (const entry of o.polyIDList) {
      const { polyId, indices } = parsePolyIdListEntry(entry as string);
      m.#addEntry(polyId, indices);
    }
    if (o.generalStore !== undefined) m.generalStore = cloneJSON(record(o.generalStore, 'Metadata.generalStore'));
    if (o.tkeyStore !== undefined) m.tkeyStore = cloneJSON(record(o.tkeyStore, 'Metadata.tkeyStore'));
    if (o.scopedStore !== undefined) m.scopedStore = cloneJSON(record(o.scopedStore, 'Metadata.scopedStore'));
    if (o.nonce !== undefined) {
      if (typeof o.nonce !== 'number' || !Number.isSafeInteger(o.nonce) || o.nonce < 0) fail('INVALID_JSON', 'Metadata.nonce: expected a non-negative integer');
      m.nonce = o.nonce;
    }
    if (o.tssKeyTypes !== undefined) {
      const r = record(o.tssKeyTypes, 'Metadata.tssKeyTypes');
      for (const [k, v] of Object.entries(r)) if (typeof v !== 'string') fail('INVALID_JSON', `Metadata.tssKeyTypes.${k}: expected a string`);
      m.tssKeyTypes = { ...(r as Record<string, string>) };
    }
    if (o.tssNonces !== undefined) {
      const r = record(o.tssNonces, 'Metadata.tssNonces');
      for (const [k, v] of Object.entries(r)) if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail('INVALID_JSON', `Metadata.tssNonces.${k}: expected an integer`);
      m.tssNonces = { ...(r as Record<string, number>) };
    }
    if (o.tssPolyCommits !== undefined) m.tssPolyCommits = pointMap(o.tssPolyCommits, 'Metadata.tssPolyCommits');
    if (o.factorPubs !== undefined) m.factorPubs = pointMap(o.factorPubs, 'Metadata.factorPubs');
    if (o.factorEncs !== undefined) {
      const r = record(o.factorEncs, 'Metadata.factorEncs');
      for (const [k, v] of Object.entries(r)) record(v, `Metadata.factorEncs.${k}`);
      m.factorEncs = cloneJSON(r as Record<string, Record<string, unknown>>);
    }
    for (const [k, v] of Object.entries(o)) {
      if (!CORE_FIELDS.includes(k) && !(TSS_FIELDS as readonly string[]).includes(k)) setOwn(m.extra, k, cloneJSON(v));
    }
    return m;
  }

  toJSON(): MetadataJSON {
    const out: MetadataJSON = {
      ...cloneJSON(this.extra),
      pubKey: pointToHex(this.pubKey, true),
      polyIDList: this.polyIDList.map((e) => polyIdListEntry(e.polyId, e.indices)),
      generalStore: cloneJSON(this.generalStore),
      tkeyStore: cloneJSON(this.tkeyStore),
      scopedStore: cloneJSON(this.scopedStore),
      nonce: this.nonce,
    };
    const points = (r: Record<string, Point[]>) => Object.fromEntries(Object.entries(r).map(([k, ps]) => [k, ps.map(pointToJSON)]));
    if (this.tssKeyTypes) out.tssKeyTypes = { ...this.tssKeyTypes };
    if (this.tssNonces) out.tssNonces = { ...this.tssNonces };
    if (this.tssPolyCommits) out.tssPolyCommits = points(this.tssPolyCommits);
    if (this.factorPubs) out.factorPubs = points(this.factorPubs);
    if (this.factorEncs) out.factorEncs = cloneJSON(this.factorEncs);
    return out;
  }

  clone(): Metadata {
    return Metadata.fromJSON(this.toJSON());
  }

  #addEntry(polyId: string, indices: readonly bigint[]): void {
    const commitments = commitmentsFromPolyId(polyId);
    if (!commitments[0]!.equals(this.pubKey)) fail('INVALID_JSON', 'polyIDList: a polynomial does not commit to the metadata public key');
    if (this.#commitments.has(polyId)) fail('INVALID_JSON', 'polyIDList: duplicate polynomial ID');
    if (indices.length < commitments.length) fail('INVALID_JSON', 'polyIDList: fewer share indices than the threshold');
    const seen = new Set<bigint>();
    for (const i of indices) {
      if (i === 0n || seen.has(i)) fail('INVALID_JSON', 'polyIDList: zero or duplicate share index');
      seen.add(i);
    }
    this.#commitments.set(polyId, commitments);
    this.polyIDList.push({ polyId, indices: sortIndices(indices) });
  }

  /** Append a polynomial (its commitments) with the share indices dealt on it. Returns its ID. */
  addPolynomial(commitments: readonly Point[], indices: readonly bigint[]): string {
    const polyId = polyIdFromCommitments(commitments);
    this.#addEntry(polyId, indices);
    return polyId;
  }

  latest(): PolyEntry {
    const e = this.polyIDList[this.polyIDList.length - 1];
    if (!e) return fail('INVALID_JSON', 'Metadata has no polynomial');
    return e;
  }
  latestPolyId(): string {
    return this.latest().polyId;
  }
  hasPolynomial(polyId: string): boolean {
    return this.#commitments.has(polyId);
  }
  entry(polyId: string): PolyEntry {
    const e = this.polyIDList.find((x) => x.polyId === polyId);
    if (!e) return fail('SHARE_UNKNOWN', 'no such polynomial in this metadata');
    return e;
  }
  /** Feldman commitments [G·a₀, …] of a polynomial. */
  commitments(polyId: string): Point[] {
    const c = this.#commitments.get(polyId);
    if (!c) return fail('SHARE_UNKNOWN', 'no such polynomial in this metadata');
    return [...c];
  }
  threshold(polyId = this.latestPolyId()): number {
    return this.commitments(polyId).length;
  }
  shareIndexes(polyId = this.latestPolyId()): bigint[] {
    return [...this.entry(polyId).indices];
  }
  /** G·f(index) of a polynomial. */
  publicShare(polyId: string, index: bigint): Point {
    return shareCommitment(this.commitments(polyId), index);
  }
  /** Does `share` lie on polynomial `polyId` at one of its dealt indices? */
  verifyShare(polyId: string, share: Share): boolean {
    if (!this.hasPolynomial(polyId) || !this.entry(polyId).indices.includes(share.index)) return false;
    return mulGUnsafe(share.value).equals(this.publicShare(polyId, share.index));
  }

  /** Find the index (and polynomial, newest first) of a bare share value. `SHARE_UNKNOWN` when none matches. */
  shareToShareStore(value: bigint): ShareStore {
    const v = aScalar(modN(value), 'share', true);
    const pub = mulGUnsafe(v);
    for (let i = this.polyIDList.length - 1; i >= 0; i--) {
      const { polyId, indices } = this.polyIDList[i]!;
      for (const idx of indices) if (this.publicShare(polyId, idx).equals(pub)) return new ShareStore(new Share(idx, v), polyId);
    }
    return fail('SHARE_UNKNOWN', 'the share matches no polynomial of this account');
  }

  /**
   * Catch-up step (§2.5): the newer ShareStore that `scopedStore.encryptedShares` holds for `ss`
   * (keyed by its public share's unpadded x), or `undefined` when there is none.
   */
  nextShare(ss: ShareStore): ShareStore | undefined {
    const enc = this.scopedStore.encryptedShares;
    if (typeof enc !== 'object' || enc === null) return undefined;
    const key = toHexUnpadded(ss.share.publicShare().toAffine().x);
    const item = (enc as Record<string, unknown>)[key];
    if (item === undefined) return undefined;
    const plain = eciesDecryptJSON(ss.share.valueBytes(), item);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytesToUtf8(plain));
    } catch {
      return fail('INVALID_JSON', 'encryptedShares: plaintext is not JSON');
    }
    return ShareStore.fromJSON(parsed);
  }

  getGeneralStoreDomain(key: string): unknown {
    return this.generalStore[aString(key, 'key')];
  }
  setGeneralStoreDomain(key: string, value: unknown): void {
    this.generalStore[aString(key, 'key')] = cloneJSON(value);
  }
  deleteGeneralStoreDomain(key: string): void {
    delete this.generalStore[aString(key, 'key')];
  }
  getTkeyStoreDomain(key: string): unknown {
    return this.tkeyStore[aString(key, 'key')];
  }
  setTkeyStoreDomain(key: string, value: unknown): void {
    this.tkeyStore[aString(key, 'key')] = cloneJSON(value);
  }

  /** `generalStore.shareDescriptions` (index hex or factor pub → JSON strings). */
  shareDescriptions(): Record<string, string[]> {
    const sd = this.generalStore.shareDescriptions;
    return typeof sd === 'object' && sd !== null ? (cloneJSON(sd) as Record<string, string[]>) : {};
  }
  addShareDescription(key: string, description: string): void {
    aString(key, 'key');
    aString(description, 'description');
    const sd = this.shareDescriptions();
    (sd[key] ??= []).push(description);
    this.generalStore.shareDescriptions = sd;
  }
  deleteShareDescription(key: string, description: string): void {
    const sd = this.shareDescriptions();
    const at = sd[key]?.indexOf(description) ?? -1;
    if (at < 0) fail('NOT_FOUND', 'no such share description');
    sd[key]!.splice(at, 1);
    this.generalStore.shareDescriptions = sd;
  }
  updateShareDescription(key: string, oldDescription: string, newDescription: string): void {
    aString(newDescription, 'newDescription');
    const sd = this.shareDescriptions();
    const at = sd[key]?.indexOf(oldDescription) ?? -1;
    if (at < 0) fail('NOT_FOUND', 'no such share description');
    sd[key]![at] = newDescription;
    this.generalStore.shareDescriptions = sd;
  }
}

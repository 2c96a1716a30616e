/**
 * `tkey-v1-sample`: the tKey v1 reference account as `tkey-v1-probe.mjs` wrote it (published
 * `@tkey/core` 15), checked as-is. Recognised by `generator.script`; every fact the file allows
 * is one counted check (list in test-vectors/README.md, "Interop sample"). Record owners are found
 * by matching each record's address to the address of every key the file holds (postbox key,
 * current, historical and deleted share values), never from the `owner` prose.
 * @module
 */
import { base64ToBytes, bytesToHex, hexToNumber, toHexUnpadded, utf8ToBytes } from '../../src/bytes.js';
import { ecdsaVerifyDigest, mulG, mulGUnsafe, pointFromHex, pointFromJSON, pointFromXY, pointToHex, scalarToBytes, type Point } from '../../src/curve.js';
import { eciesDecryptJSON } from '../../src/ecies.js';
import { keccak256 } from '../../src/hash.js';
import { bytesToMnemonic, mnemonicToBytes } from '../../src/mnemonic.js';
import { signAuthMetadata, verifyAuthMetadata } from '../../src/metadata/auth-metadata.js';
import { Metadata } from '../../src/metadata/metadata.js';
import {
  decodeEnvelope, decodeRecord, decodeServiceProviderRecord, decodeShareRecord, decryptRecordBytes, encodeEnvelope, isShareDeletedMarker, recordAddressOf,
} from '../../src/metadata/record.js';
import { Share, ShareStore } from '../../src/metadata/share-store.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { interpolate, polyIdFromCommitments, polyIdListEntry, shareCommitment, verifyShare } from '../../src/shamir/index.js';
import { addressKey, type RecordAddress } from '../../src/storage/types.js';
import type { CheckResult, Suite } from './types.js';
import { all, checkOne, eq, expectErrorCode, isObject, VectorFormatError, type Verdict } from './util.js';
import { accountChecks } from './tkey-v1-account.js';

export const NAME = 'tkey-v1-sample';
export const PROBE_SCRIPT = 'tkey-v1-probe.mjs';

// ------------------------------------------------------------------ the file's shape

export interface SampleRecord {
  record: { pub_key_X: string; pub_key_Y: string; namespace: string };
  owner: string;
  storedValue: string;
  decrypted: Record<string, unknown>;
}
export interface SampleWrite {
  pub_key_X: string;
  pub_key_Y: string;
  set_data: { data: string; timestamp: string };
  signature: string;
  namespace: string;
}
export interface SampleShare {
  index: string;
  value: string;
  polynomialID: string;
  role: string;
  publicShare: { x: string; y: string };
  mnemonic: string;
  shareStoreJSON: unknown;
}
export interface V1Sample {
  generator: { script: string; fixedTimeMs?: number };
  postboxKey: string;
  postboxPub: { x: string; y: string };
  metadataKey: string;
  metadataPub: { x: string; y: string; compressed: string };
  ed25519Seed: string;
  roles: { deviceIndex: string; deletedIndex: string; securityQuestionIndex: string };
  securityQuestion: { question: string; answer: string; store: Record<string, unknown> };
  steps: { step: string; latestPolyID: string; metadataNonce: number; writesSoFar: number }[];
  latestPolyID: string;
  polynomials: { polyID: string; shareIndexes: string[]; threshold: number; commitments: { x: string; y: string }[] }[];
  shares: SampleShare[];
  historicalShares: { polyID: string; index: string; value: string }[];
  deletedShare: { index: string; value: string; polynomialID: string };
  metadataJSON: Record<string, unknown>;
  storage: SampleRecord[];
  writeLog: SampleWrite[];
}

export function recognizeV1Sample(doc: unknown): boolean {
  return isObject(doc) && !('suite' in doc) && isObject(doc.generator) && doc.generator.script === PROBE_SCRIPT;
}

const ARRAYS = ['steps', 'polynomials', 'shares', 'historicalShares', 'storage', 'writeLog'] as const;
const STRINGS = ['postboxKey', 'metadataKey', 'ed25519Seed', 'latestPolyID'] as const;
const OBJECTS = ['postboxPub', 'metadataPub', 'roles', 'securityQuestion', 'deletedShare', 'metadataJSON'] as const;

/** Shallow shape check; deeper fields are read inside each check, so a bad field fails only its checks. */
export function asV1Sample(doc: unknown): V1Sample {
  if (!recognizeV1Sample(doc)) throw new VectorFormatError(`not a ${PROBE_SCRIPT} sample`);
  const o = doc as Record<string, unknown>;
  for (const k of ARRAYS) if (!Array.isArray(o[k])) throw new VectorFormatError(`sample.${k}: expected an array`);
  for (const k of STRINGS) if (typeof o[k] !== 'string') throw new VectorFormatError(`sample.${k}: expected a string`);
  for (const k of OBJECTS) if (!isObject(o[k])) throw new VectorFormatError(`sample.${k}: expected an object`);
  return doc as V1Sample;
}

// ------------------------------------------------------------------ keys and owners

/** A key the file holds, with where it came from. */
export interface KnownKey {
  label: string;
  kind: 'postbox' | 'share' | 'deleted-share' | 'metadata';
  key: bigint;
  /** For shares: the share (index, polynomial) it is. */
  index?: bigint;
  polyID?: string;
}

export function knownKeys(s: V1Sample): KnownKey[] {
  const out: KnownKey[] = [{ label: 'postboxKey', kind: 'postbox', key: hexToNumber(s.postboxKey) }, { label: 'metadataKey', kind: 'metadata', key: hexToNumber(s.metadataKey) }];
  for (const [i, sh] of s.shares.entries()) out.push({ label: `shares[${i}]`, kind: 'share', key: hexToNumber(sh.value), index: hexToNumber(sh.index), polyID: sh.polynomialID });
  for (const [i, h] of s.historicalShares.entries()) out.push({ label: `historicalShares[${i}]`, kind: 'share', key: hexToNumber(h.value), index: hexToNumber(h.index), polyID: h.polyID });
  out.push({ label: 'deletedShare', kind: 'deleted-share', key: hexToNumber(s.deletedShare.value), index: hexToNumber(s.deletedShare.index), polyID: s.deletedShare.polynomialID });
  return out;
}

/** address key (our record addressing of each known key) → the keys that own it. */
export function ownerIndex(keys: readonly KnownKey[]): Map<string, KnownKey[]> {
  const m = new Map<string, KnownKey[]>();
  for (const k of keys) {
    const a = addressKey(recordAddressOf(k.key));
    const list = m.get(a) ?? [];
    if (!list.some((x) => x.key === k.key && x.kind === k.kind)) list.push(k);
    m.set(a, list);
  }
  return m;
}

export function sampleAddress(r: { pub_key_X: string; pub_key_Y: string; namespace: string }): RecordAddress {
  return { pubX: r.pub_key_X, pubY: r.pub_key_Y, namespace: r.namespace };
}

/** The key whose record address is `a`, preferring the given kind (a deleted share's value is also a historical share). */
function ownerOf(owners: Map<string, KnownKey[]>, a: RecordAddress, prefer?: KnownKey['kind']): KnownKey {
  const list = owners.get(addressKey(a));
  if (!list || list.length === 0) throw new Error(`no key in the file owns the record at ${a.pubX.slice(0, 16)}…`);
  return (prefer && list.find((k) => k.kind === prefer)) || list[0]!;
}

const canon = (v: unknown): string => stableStringify(v);
const sameJSON = (what: string, got: unknown, want: unknown): Verdict => (canon(got) === canon(want) ? true : `${what}: differs from the file`);
const isAuth = (d: unknown): boolean => isObject(d) && isObject(d.data) && typeof d.sig === 'string';
const isShareStoreJSON = (d: unknown): boolean => isObject(d) && isObject(d.share) && typeof d.polynomialID === 'string';

/** A share of the file: current, historical or deleted. */
interface AnyShare {
  polyID: string;
  index: bigint;
  value: bigint;
}
function allShares(s: V1Sample): AnyShare[] {
  return [
    ...s.shares.map((x) => ({ polyID: x.polynomialID, index: hexToNumber(x.index), value: hexToNumber(x.value) })),
    ...s.historicalShares.map((x) => ({ polyID: x.polyID, index: hexToNumber(x.index), value: hexToNumber(x.value) })),
    { polyID: s.deletedShare.polynomialID, index: hexToNumber(s.deletedShare.index), value: hexToNumber(s.deletedShare.value) },
  ];
}

function commitmentsOf(s: V1Sample, polyID: string): Point[] {
  const p = s.polynomials.find((x) => x.polyID === polyID);
  if (!p) throw new Error(`polynomial ${polyID.slice(0, 20)}… is not in sample.polynomials`);
  return p.commitments.map((c, i) => pointFromJSON(c, `commitments[${i}]`));
}

/** keccak256(utf8(stableStringify(set_data))), the digest a metadata-server write request signs (formats §2.6). */
function setDataDigest(setData: unknown): Uint8Array {
  return keccak256(utf8ToBytes(stableStringify(setData)));
}

// ------------------------------------------------------------------ the checks

type Check = [id: string, fn: () => Verdict | Promise<Verdict>];

function storageChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const owners = ownerIndex(knownKeys(s));
  const km = hexToNumber(s.metadataKey);
  for (const [i, r] of s.storage.entries()) {
    const at = `storage[${i}]`;
    const addr = (): RecordAddress => sampleAddress(r.record);
    const prefer = isShareDeletedMarker(r.decrypted) ? 'deleted-share' : undefined;
    const owner = (): KnownKey => ownerOf(owners, addr(), prefer);
    // 1. the record decrypts with its owner's key to exactly the canonical JSON of `decrypted`
    out.push([
      `${at}/decrypts-with-owner-key`,
      () => {
        const k = owner();
        const plain = decryptRecordBytes(k.key, r.storedValue);
        return all(eq(`plaintext (owner ${k.label})`, bytesToHex(plain), bytesToHex(utf8ToBytes(canon(r.decrypted)))), sameJSON('decoded record', decodeRecord(k.key, r.storedValue), r.decrypted));
      },
    ]);
    // 2. our envelope encoding of the decoded envelope is the stored value, byte for byte
    out.push([`${at}/envelope-re-encodes`, () => eq('stored value', encodeEnvelope(decodeEnvelope(r.storedValue)), r.storedValue)]);
    // 3. the content type matches the owner kind, and decodes through the library's record readers
    if (isAuth(r.decrypted)) {
      out.push([
        `${at}/share-record-verifies`,
        () => {
          const k = owner();
          if (k.kind !== 'share' || k.index === undefined) return `AuthMetadata record owned by ${k.label} (${k.kind}), expected a share`;
          const m = decodeShareRecord(k.key, r.storedValue);
          const data = (r.decrypted as { data: unknown }).data;
          return all(
            eq('metadata pubKey', pointToHex(m.pubKey), s.metadataPub.compressed),
            eq('signer is G·metadataKey', m.pubKey.equals(mulG(km)), true),
            eq(`owner's polynomial listed in polyIDList`, m.hasPolynomial(k.polyID!), true),
            eq(`owner's index dealt on its polynomial`, m.shareIndexes(k.polyID!).includes(k.index), true),
            sameJSON('AuthMetadata.data', m.toJSON(), data),
          );
        },
      ]);
      out.push([`${at}/auth-metadata-signature`, () => eq('verifies', verifyAuthMetadata(r.decrypted).pubKey.equals(pointFromHex(s.metadataPub.compressed)), true)]);
      // our signer (RFC 6979, no low-S normalisation) reproduces the peer's DER signature byte for byte
      out.push([
        `${at}/auth-metadata-signature-reproduced`,
        () => eq('sig', signAuthMetadata(Metadata.fromJSON((r.decrypted as { data: unknown }).data), km).sig, (r.decrypted as { sig: string }).sig),
      ]);
      out.push([
        `${at}/auth-metadata-tampered-rejected`,
        () => {
          const d = JSON.parse(canon(r.decrypted)) as { data: { nonce: number } };
          d.data.nonce += 1;
          return expectErrorCode('METADATA_SIGNATURE_INVALID', () => verifyAuthMetadata(d));
        },
      ]);
      out.push([
        `${at}/metadata-json-round-trip`,
        () => eq('stableStringify(Metadata.fromJSON(data).toJSON())', canon(Metadata.fromJSON((r.decrypted as { data: unknown }).data).toJSON()), canon((r.decrypted as { data: unknown }).data)),
      ]);
    } else if (isShareStoreJSON(r.decrypted)) {
      out.push([
        `${at}/service-provider-record`,
        () => {
          const k = owner();
          if (k.kind !== 'postbox') return `ShareStore record owned by ${k.label} (${k.kind}), expected the postbox key`;
          const ss = decodeServiceProviderRecord(k.key, r.storedValue);
          const sp = s.shares.find((x) => hexToNumber(x.index) === 1n);
          if (!sp) return 'no index-1 share in sample.shares';
          return all(sameJSON('ShareStore', ss.exportJSON(), r.decrypted), sameJSON('latest index-1 ShareStore', ss.exportJSON(), sp.shareStoreJSON));
        },
      ]);
    } else if (isShareDeletedMarker(r.decrypted)) {
      out.push([
        `${at}/deleted-share-record`,
        () => {
          const k = owner();
          if (k.kind !== 'deleted-share') return `SHARE_DELETED record owned by ${k.label} (${k.kind}), expected the deleted share`;
          return expectErrorCode('SHARE_DELETED', () => decodeShareRecord(k.key, r.storedValue));
        },
      ]);
    } else {
      out.push([`${at}/content-kind`, () => 'decrypted content is neither AuthMetadata, a ShareStore nor a SHARE_DELETED marker']);
    }
    // 4. the stored value is the last write to its address
    out.push([
      `${at}/latest-write`,
      () => {
        const key = addressKey(addr());
        const writes = s.writeLog.filter((w) => addressKey(sampleAddress(w)) === key);
        if (writes.length === 0) return 'no write to this address in writeLog';
        return eq('last written data', writes[writes.length - 1]!.set_data.data, r.storedValue);
      },
    ]);
  }
  // every address written is a stored record
  out.push([
    'storage/every-written-address-stored',
    () => {
      const stored = new Set(s.storage.map((r) => addressKey(sampleAddress(r.record))));
      const missing = s.writeLog.filter((w) => !stored.has(addressKey(sampleAddress(w))));
      return missing.length === 0 ? true : `${missing.length} written addresses have no stored record`;
    },
  ]);
  return out;
}

function writeLogChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const owners = ownerIndex(knownKeys(s));
  const fixedSeconds = s.generator.fixedTimeMs === undefined ? undefined : Math.floor(s.generator.fixedTimeMs / 1000);
  for (const [i, w] of s.writeLog.entries()) {
    const at = `writeLog[${i}]`;
    // signature = base64(r ‖ s ‖ v) over keccak256(stableStringify(set_data)) by the record's owner key (formats §2.6)
    out.push([
      `${at}/request-signature`,
      () => {
        const sig = base64ToBytes(w.signature, 'signature');
        if (sig.length !== 65) return `signature: ${sig.length} bytes, expected 65 (r‖s‖v)`;
        const pub = pointFromXY(hexToNumber(w.pub_key_X), hexToNumber(w.pub_key_Y), 'pub_key');
        const digest = setDataDigest(w.set_data);
        const tampered = setDataDigest({ ...w.set_data, timestamp: w.set_data.timestamp + '0' });
        return all(
          eq('v byte', sig[64]!, 0),
          eq('verifies under pub_key_X/Y', ecdsaVerifyDigest(sig.subarray(0, 64), digest, pub, { format: 'compact' }), true),
          eq('does not verify a changed set_data', ecdsaVerifyDigest(sig.subarray(0, 64), tampered, pub, { format: 'compact' }), false),
        );
      },
    ]);
    // the written data decrypts with the key that owns the address, and the address is that key's
    out.push([
      `${at}/data-decrypts-with-owner-key`,
      () => {
        const j0 = decodeRecord(ownerOf(owners, sampleAddress(w)).key, w.set_data.data);
        const k = ownerOf(owners, sampleAddress(w), isShareDeletedMarker(j0) ? 'deleted-share' : undefined);
        if (isAuth(j0)) {
          if (k.kind !== 'share') return `AuthMetadata written to a record of ${k.label} (${k.kind})`;
          // every AuthMetadata ever written verifies, signed by the metadata key, through the share-record reader
          const m = decodeShareRecord(k.key, w.set_data.data);
          return eq('signed by G·metadataKey', pointToHex(m.pubKey), s.metadataPub.compressed);
        }
        if (isShareStoreJSON(j0)) {
          if (k.kind !== 'postbox') return `ShareStore written to a record of ${k.label} (${k.kind})`;
          const ss = decodeServiceProviderRecord(k.key, w.set_data.data);
          return eq('index-1 share on a polynomial of the file', s.polynomials.some((p) => p.polyID === ss.polynomialID), true);
        }
        if (isShareDeletedMarker(j0)) return k.kind === 'deleted-share' ? true : `SHARE_DELETED written to a record of ${k.label} (${k.kind})`;
        return 'decrypted write is not a known record kind';
      },
    ]);
    if (fixedSeconds !== undefined) out.push([`${at}/timestamp`, () => eq('set_data.timestamp', w.set_data.timestamp, fixedSeconds.toString(16))]);
  }
  return out;
}

function polynomialChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const list = (s.metadataJSON as { polyIDList?: unknown }).polyIDList;
  const mPub = mulG(hexToNumber(s.metadataKey));
  out.push([
    'metadataPub',
    () =>
      all(
        eq('metadataPub.compressed', pointToHex(mPub), s.metadataPub.compressed),
        eq('metadataPub.x', toHexUnpadded(mPub.toAffine().x), s.metadataPub.x.replace(/^0+/, '')),
        eq('metadataPub.y', toHexUnpadded(mPub.toAffine().y), s.metadataPub.y.replace(/^0+/, '')),
        eq('postboxPub', mulG(hexToNumber(s.postboxKey)).equals(pointFromJSON(s.postboxPub)), true),
      ),
  ]);
  for (const [i, p] of s.polynomials.entries()) {
    const at = `polynomials[${i}]`;
    out.push([`${at}/polyID`, () => eq('polyID', polyIdFromCommitments(p.commitments.map((c) => pointFromJSON(c))), p.polyID)]);
    out.push([
      `${at}/polyIDList-entry`,
      () => {
        if (!Array.isArray(list)) return 'metadataJSON.polyIDList missing';
        return eq(`metadataJSON.polyIDList[${i}]`, polyIdListEntry(p.polyID, p.shareIndexes.map((x) => hexToNumber(x))), list[i] as string);
      },
    ]);
    out.push([`${at}/constant-term-is-metadata-key`, () => all(eq('commitments[0] = G·metadataKey', pointFromJSON(p.commitments[0]).equals(mPub), true), eq('threshold', p.threshold, p.commitments.length))]);
  }
  out.push([
    'polyIDList/length',
    () => (Array.isArray(list) ? eq('polyIDList length', list.length, s.polynomials.length) : 'metadataJSON.polyIDList missing'),
  ]);
  out.push([
    'latestPolyID',
    () =>
      all(
        eq('latestPolyID = last polynomial', s.latestPolyID, s.polynomials[s.polynomials.length - 1]?.polyID ?? ''),
        eq('Metadata.latestPolyId()', Metadata.fromJSON(s.metadataJSON).latestPolyId(), s.latestPolyID),
      ),
  ]);
  for (const [i, st] of s.steps.entries())
    out.push([`steps[${i}]/latestPolyID-known`, () => eq(`step "${st.step}" polynomial listed`, s.polynomials.some((p) => p.polyID === st.latestPolyID), true)]);
  out.push([
    'steps/final-state',
    () => {
      const last = s.steps[s.steps.length - 1];
      if (!last) return 'no steps';
      return all(
        eq('last step polynomial', last.latestPolyID, s.latestPolyID),
        eq('last step nonce', last.metadataNonce, (s.metadataJSON as { nonce?: number }).nonce ?? -1),
        eq('writes', last.writesSoFar, s.writeLog.length),
      );
    },
  ]);
  return out;
}

function shareChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const km = hexToNumber(s.metadataKey);
  const latest = s.shares.filter((x) => x.polynomialID === s.latestPolyID);
  // every t-subset of the latest shares (t = 2 here, from the commitments) interpolates to the metadata key
  out.push([
    'shares/all-on-latest-polynomial',
    () => {
      const p = s.polynomials.find((x) => x.polyID === s.latestPolyID);
      if (!p) return 'latest polynomial missing';
      return all(
        eq('shares on latest polynomial', latest.length, s.shares.length),
        eq('share indexes = latest polyIDList indexes', latest.map((x) => x.index).sort().join(','), [...p.shareIndexes].sort().join(',')),
      );
    },
  ]);
  const t = (() => {
    try {
      return commitmentsOf(s, s.latestPolyID).length;
    } catch {
      return 2;
    }
  })();
  const subsets = (n: number, k: number): number[][] => {
    if (k === 0) return [[]];
    if (n < k) return [];
    return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((x) => [...x, n - 1])];
  };
  for (const sub of subsets(latest.length, t)) {
    const pick = sub.map((j) => latest[j]!);
    out.push([
      `shares/interpolate-${pick.map((x) => x.role).join('+')}`,
      () => eq('f(0)', interpolate(pick.map((x) => ({ x: hexToNumber(x.index), y: hexToNumber(x.value) }))), km),
    ]);
  }
  for (const [i, sh] of s.shares.entries()) {
    const at = `shares[${i}]`;
    const index = (): bigint => hexToNumber(sh.index);
    const value = (): bigint => hexToNumber(sh.value);
    out.push([
      `${at}/public-share`,
      () => {
        const pub = mulGUnsafe(value());
        return all(
          eq('G·value = publicShare', pub.equals(pointFromJSON(sh.publicShare)), true),
          eq('publicShare = Σ C_j·index^j', shareCommitment(commitmentsOf(s, sh.polynomialID), index()).equals(pub), true),
        );
      },
    ]);
    out.push([
      `${at}/share-store-json`,
      () => {
        const ss = ShareStore.fromJSON(sh.shareStoreJSON);
        return all(
          sameJSON('ShareStore round trip', ss.exportJSON(), sh.shareStoreJSON),
          eq('ShareStore index', ss.index, index()),
          eq('ShareStore value', ss.share.value, value()),
          eq('ShareStore polynomialID', ss.polynomialID, sh.polynomialID),
        );
      },
    ]);
    out.push([
      `${at}/mnemonic`,
      () =>
        all(
          eq('value → mnemonic', bytesToMnemonic(scalarToBytes(value())), sh.mnemonic),
          eq('mnemonic → value', bytesToHex(mnemonicToBytes(sh.mnemonic)), sh.value.padStart(64, '0')),
        ),
    ]);
    // share-serialization input: the bare value (what a mnemonic carries) finds its index and polynomial
    out.push([
      `${at}/share-to-share-store`,
      () => {
        const ss = Metadata.fromJSON(s.metadataJSON).shareToShareStore(value());
        return all(eq('found index', ss.index, index()), eq('found polynomial', ss.polynomialID, sh.polynomialID));
      },
    ]);
  }
  // historical and deleted shares: Feldman-valid on their polynomial; each old polynomial's shares interpolate to k_m
  const hist = [...s.historicalShares.map((h) => ({ polyID: h.polyID, index: h.index, value: h.value })), { ...s.deletedShare, polyID: s.deletedShare.polynomialID }];
  for (const [i, h] of s.historicalShares.entries())
    out.push([`historicalShares[${i}]/feldman`, () => eq('on its polynomial', verifyShare(commitmentsOf(s, h.polyID), { x: hexToNumber(h.index), y: hexToNumber(h.value) }), true)]);
  out.push([
    'deletedShare',
    () => {
      const d = s.deletedShare;
      const m = Metadata.fromJSON(s.metadataJSON);
      return all(
        eq('on its polynomial', verifyShare(commitmentsOf(s, d.polynomialID), { x: hexToNumber(d.index), y: hexToNumber(d.value) }), true),
        eq('roles.deletedIndex', d.index, s.roles.deletedIndex),
        eq('not dealt on the latest polynomial', m.shareIndexes().includes(hexToNumber(d.index)), false),
        eq('listed among historical shares', s.historicalShares.some((h) => h.index === d.index && h.value === d.value), true),
      );
    },
  ]);
  for (const p of s.polynomials) {
    if (p.polyID === s.latestPolyID) continue;
    const on = hist.filter((h) => h.polyID === p.polyID);
    const uniq = [...new Map(on.map((h) => [h.index, h])).values()];
    if (uniq.length < p.threshold) continue;
    out.push([
      `historicalShares/interpolate@${p.polyID.split('|')[1]!.slice(0, 10)}`,
      () => eq('f(0)', interpolate(uniq.slice(0, p.threshold).map((h) => ({ x: hexToNumber(h.index), y: hexToNumber(h.value) }))), km),
    ]);
  }
  out.push([
    'roles',
    () =>
      all(
        eq('device share on latest polynomial', s.shares.some((x) => x.index === s.roles.deviceIndex && x.role === 'device'), true),
        eq('security-question share on latest polynomial', s.shares.some((x) => x.index === s.roles.securityQuestionIndex), true),
      ),
  ]);
  return out;
}

/** Catch-up chain (formats §2.5): every `scopedStore.encryptedShares` entry of every stored metadata decrypts to a later share of the file. */
function catchUpChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const shares = allShares(s);
  const polyOrder = new Map(s.polynomials.map((p, i) => [p.polyID, i] as const));
  for (const [i, r] of s.storage.entries()) {
    if (!isAuth(r.decrypted)) continue;
    const enc = ((r.decrypted as { data: { scopedStore?: { encryptedShares?: Record<string, unknown> } } }).data.scopedStore ?? {}).encryptedShares;
    if (!isObject(enc)) continue;
    for (const pubX of Object.keys(enc)) {
      out.push([
        `storage[${i}]/encryptedShares/${pubX.slice(0, 10)}`,
        () => {
          const from = shares.find((x) => toHexUnpadded(mulGUnsafe(x.value).toAffine().x) === pubX);
          if (!from) return 'no share of the file has this public x';
          const m = Metadata.fromJSON((r.decrypted as { data: unknown }).data);
          const next = m.nextShare(new ShareStore(new Share(from.index, from.value), from.polyID));
          if (!next) return 'Metadata.nextShare found nothing';
          const known = shares.find((x) => x.polyID === next.polynomialID && x.index === next.index && x.value === next.share.value);
          return all(
            eq('same index', next.index, from.index),
            eq('upgraded share is a share of the file', known !== undefined, true),
            eq('to a later polynomial', (polyOrder.get(next.polynomialID) ?? -1) > (polyOrder.get(from.polyID) ?? Infinity), true),
            eq('Feldman-valid', verifyShare(commitmentsOf(s, next.polynomialID), { x: next.index, y: next.share.value }), true),
          );
        },
      ]);
    }
  }
  return out;
}

function metadataChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const km = hexToNumber(s.metadataKey);
  out.push(['metadataJSON/round-trip', () => eq('stableStringify(Metadata.fromJSON(m).toJSON())', canon(Metadata.fromJSON(s.metadataJSON).toJSON()), canon(s.metadataJSON))]);
  out.push([
    'metadataJSON/stored-by-latest-shares',
    () => {
      // the final metadata is what every share of the latest polynomial has stored
      const owners = ownerIndex(knownKeys(s));
      const latestRecords = s.storage.filter((r) => {
        const k = owners.get(addressKey(sampleAddress(r.record)))?.[0];
        return k?.kind === 'share' && k.polyID === s.latestPolyID;
      });
      if (latestRecords.length !== s.shares.length) return `${latestRecords.length} records for ${s.shares.length} latest shares`;
      return all(...latestRecords.map((r, j) => sameJSON(`record of latest share ${j}`, (r.decrypted as { data: unknown }).data, s.metadataJSON)));
    },
  ]);
  out.push([
    'ed25519Seed/decrypts',
    () => {
      const gs = (s.metadataJSON as { generalStore?: { ed25519Seed?: { message?: unknown } } }).generalStore;
      return eq('seed', bytesToHex(eciesDecryptJSON(scalarToBytes(km), gs?.ed25519Seed?.message)), s.ed25519Seed.padStart(64, '0'));
    },
  ]);
  out.push([
    'tkeyStore/securityQuestions-answer',
    () => {
      const items = (s.metadataJSON as { tkeyStore?: { securityQuestions?: unknown[] } }).tkeyStore?.securityQuestions;
      if (!Array.isArray(items) || items.length === 0) return 'no tkeyStore.securityQuestions item';
      const j = JSON.parse(new TextDecoder().decode(eciesDecryptJSON(scalarToBytes(km), items[0]))) as Record<string, unknown>;
      return all(eq('id', j.id as string, 'answer'), eq('answer', j.answer as string, s.securityQuestion.answer));
    },
  ]);
  out.push([
    'securityQuestion/store',
    () => {
      const st = (s.metadataJSON as { generalStore?: { securityQuestions?: unknown } }).generalStore?.securityQuestions;
      const sq = s.shares.find((x) => x.index === s.roles.securityQuestionIndex);
      if (!sq) return 'no security-question share';
      const store = s.securityQuestion.store as { shareIndex?: string; polynomialID?: string; questions?: string; sqPublicShare?: { shareCommitment?: unknown; shareIndex?: string } };
      return all(
        sameJSON('generalStore.securityQuestions', st, store),
        eq('shareIndex', store.shareIndex ?? '', sq.index),
        eq('polynomialID', store.polynomialID ?? '', s.latestPolyID),
        eq('questions', store.questions ?? '', s.securityQuestion.question),
        eq('sqPublicShare = G·share', pointFromJSON(store.sqPublicShare?.shareCommitment).equals(mulG(hexToNumber(sq.value))), true),
      );
    },
  ]);
  return out;
}

export const tkeyV1SampleSuite: Suite = {
  name: NAME,
  recognize: recognizeV1Sample,
  async run(doc: unknown): Promise<CheckResult[]> {
    const s = asV1Sample(doc);
    const checks: Check[] = [
      ...polynomialChecks(s),
      ...shareChecks(s),
      ...storageChecks(s),
      ...writeLogChecks(s),
      ...catchUpChecks(s),
      ...metadataChecks(s),
      ...accountChecks(s),
    ];
    const out: CheckResult[] = [];
    for (const [id, fn] of checks) out.push(await checkOne(`${NAME}/${id}`, fn));
    return out;
  },
};


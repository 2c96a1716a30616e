/**
 * `tkey-tss-sample`: the tKey v2 / TSS reference account as `tkey-tss-probe.mjs` wrote it
 * (published `@tkey/tss` 15 with mock RSS nodes), checked as-is. Recognised by
 * `generator.script`; every fact the file allows is one counted check (list in
 * test-vectors/README.md, "TSS interop sample"). Everything goes through the library's own
 * modules (`src/tss`, `src/metadata`); record owners are found by matching record addresses to the
 * addresses of the keys the file holds, never from the `owner` prose.
 * @module
 */
import { bytesToHex, hexToNumber, toHexPadded, utf8ToBytes } from '../../src/bytes.js';
import { modN, mulG, mulGUnsafe, pointFromHex, pointFromJSON, pointToBytes, pointToHex, scalarToBytes, type Point } from '../../src/curve.js';
import { eciesEncryptJSON } from '../../src/ecies.js';
import { signAuthMetadata, verifyAuthMetadata } from '../../src/metadata/auth-metadata.js';
import { Metadata } from '../../src/metadata/metadata.js';
import { decodeRecord, decodeServiceProviderRecord, decodeShareRecord, decryptRecordBytes, encodeEnvelope, decodeEnvelope, isShareDeletedMarker, recordAddressOf } from '../../src/metadata/record.js';
import { ShareStore } from '../../src/metadata/share-store.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { seededRng } from '../../src/rng.js';
import { commitmentsFromPolyId, interpolate, shareCommitment, verifyShare } from '../../src/shamir/index.js';
import { addressKey, type RecordAddress } from '../../src/storage/types.js';
import { accountNonce, accountPublicKey, accountShare, readAccountSalt } from '../../src/tss/account-index.js';
import { buildAddFactorCopy, buildInitialTss, buildRefreshedTss } from '../../src/tss/factor-ops.js';
import { listFactors } from '../../src/tss/factor-descriptions.js';
import { decryptFactorEnc, type FactorEnc } from '../../src/tss/factor-enc.js';
import { FactorKey } from '../../src/tss/factor-key.js';
import { factorEncKey, getTssShare, readTss, writeTss, type TssState } from '../../src/tss/tss-metadata.js';
import { TssShare } from '../../src/tss/tss-share.js';
import type { CheckResult, Suite } from './types.js';
import { all, checkOne, eq, expectErrorCode, isObject, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'tkey-tss-sample';
export const PROBE_SCRIPT = 'tkey-tss-probe.mjs';

// ------------------------------------------------------------------ the file's shape

type XY = { x: string; y: string };
interface PerFactor {
  label: string;
  factorKey: string;
  factorPub: XY;
  tssIndex: number;
  tssShare: string;
  type: string;
  reconstructedTssKey: string;
}
interface TssEvent {
  step: string;
  tssNonce: number;
  serverShareLabel: string;
  serverShare_index1: string;
  tssPolyCommits: XY[];
  factorPubs: XY[];
  factorEncs: Record<string, unknown>;
  perFactor: PerFactor[];
}
interface SampleRecord {
  record: { pub_key_X: string; pub_key_Y: string; namespace: string };
  owner: string;
  storedValue: string;
  decrypted: Record<string, unknown>;
}
export interface TssSample {
  generator: { script: string; mockNetwork?: { nodes?: number; nodeThreshold?: number; nodePubKeys?: XY[]; nodePrivKeys?: string[] } };
  postboxKey: string;
  verifier: string;
  verifierId: string;
  clientId: string;
  metadataKey: string;
  tkeyShares: { index: string; value: string; polynomialID: string }[];
  tssTag: string;
  initialDeviceTSSShare: string;
  factorKeys: Record<string, string>;
  tssPrivateKey: string;
  tssPublicKey: XY;
  accountSalt: string;
  accountIndex1: { accountIndex: number; nonce: string; factorB_adjustedShare?: string; tssPub: XY; [k: string]: unknown };
  serverDkg: { label: string; tssTag: string; tssNonce: number; serverShare_index1: string; pub: XY }[];
  events: TssEvent[];
  metadataJSON: Record<string, unknown>;
  storage: SampleRecord[];
}

export function recognizeTssSample(doc: unknown): boolean {
  return isObject(doc) && !('suite' in doc) && isObject(doc.generator) && doc.generator.script === PROBE_SCRIPT;
}

const ARRAYS = ['tkeyShares', 'serverDkg', 'events', 'storage'] as const;
const STRINGS = ['postboxKey', 'verifier', 'verifierId', 'clientId', 'metadataKey', 'tssTag', 'tssPrivateKey', 'accountSalt'] as const;
const OBJECTS = ['factorKeys', 'tssPublicKey', 'accountIndex1', 'metadataJSON'] as const;

export function asTssSample(doc: unknown): TssSample {
  if (!recognizeTssSample(doc)) throw new VectorFormatError(`not a ${PROBE_SCRIPT} sample`);
  const o = doc as Record<string, unknown>;
  for (const k of ARRAYS) if (!Array.isArray(o[k])) throw new VectorFormatError(`sample.${k}: expected an array`);
  for (const k of STRINGS) if (typeof o[k] !== 'string') throw new VectorFormatError(`sample.${k}: expected a string`);
  for (const k of OBJECTS) if (!isObject(o[k])) throw new VectorFormatError(`sample.${k}: expected an object`);
  if ((o.events as unknown[]).length === 0) throw new VectorFormatError('sample.events: empty');
  return doc as TssSample;
}

// ------------------------------------------------------------------ helpers

type Check = [id: string, fn: () => Verdict | Promise<Verdict>];
const canon = (v: unknown): string => stableStringify(v);
const sameJSON = (what: string, got: unknown, want: unknown): Verdict => (canon(got) === canon(want) ? true : `${what}: differs from the file`);
const big = (h: string): bigint => hexToNumber(h);
const pad = (h: string): string => toHexPadded(big(h));
const key32 = (h: string): Uint8Array => scalarToBytes(big(h));
const factorKey = (h: string): FactorKey => FactorKey.fromBytes(key32(h));
const commitsOf = (e: TssEvent): Point[] => e.tssPolyCommits.map((c, i) => pointFromJSON(c, `tssPolyCommits[${i}]`));
const encOf = (e: TssEvent, pf: PerFactor): unknown => e.factorEncs[factorEncKey(pointFromJSON(pf.factorPub))];
const isAuth = (d: unknown): boolean => isObject(d) && isObject(d.data) && typeof d.sig === 'string';
const isShareStoreJSON = (d: unknown): boolean => isObject(d) && isObject(d.share) && typeof d.polynomialID === 'string';

/** The serverEncs of a hierarchical factorEnc with only the positions in `keep` left (others null). */
function onlyServerEncs(enc: unknown, keep: readonly number[]): FactorEnc {
  const e = JSON.parse(canon(enc)) as FactorEnc;
  e.serverEncs = e.serverEncs.map((x, j) => (keep.includes(j) ? x : null));
  return e;
}
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((x) => [...x, n - 1])];
}

/** A Metadata equal to the file's final one but with the TSS fields of `e` (the state before the next step). */
function metadataAt(s: TssSample, e: TssEvent): Metadata {
  const j = JSON.parse(canon(s.metadataJSON)) as Record<string, unknown>;
  j.tssNonces = { [s.tssTag]: e.tssNonce };
  j.tssPolyCommits = { [s.tssTag]: e.tssPolyCommits };
  j.factorPubs = { [s.tssTag]: e.factorPubs };
  j.factorEncs = { [s.tssTag]: e.factorEncs };
  j.tssKeyTypes = { [s.tssTag]: 'secp256k1' };
  return Metadata.fromJSON(j);
}

/** Every factor of a built state decrypts (direct) with its key to the file's share of event `e`. */
function builtStateMatches(st: TssState, s: TssSample, e: TssEvent): Verdict {
  const m = metadataAt(s, e);
  writeTss(m, st);
  const vs: Verdict[] = [eq('factorPubs', st.factorPubs.map((p) => pointToHex(p)).join(','), e.factorPubs.map((p) => pointToHex(pointFromJSON(p))).join(',')), eq('tssNonce', st.tssNonce, e.tssNonce)];
  for (const pf of e.perFactor) {
    const got = getTssShare(m, s.tssTag, factorKey(pf.factorKey));
    vs.push(eq(`${pf.label} share`, toHexPadded(got.value), pad(pf.tssShare)), eq(`${pf.label} index`, got.index, pf.tssIndex), eq(`${pf.label} type`, st.factorEncs[factorEncKey(pointFromJSON(pf.factorPub))]!.type, 'direct'));
  }
  return all(...vs);
}

// ------------------------------------------------------------------ the checks

function keyChecks(s: TssSample): Check[] {
  const out: Check[] = [];
  const km = big(s.metadataKey);
  out.push(['tssPublicKey', () => eq('G·tssPrivateKey = tssPublicKey', mulG(big(s.tssPrivateKey)).equals(pointFromJSON(s.tssPublicKey)), true)]);
  out.push([
    'metadataKey',
    () => {
      const polyId = s.tkeyShares[0]?.polynomialID ?? '';
      const commits = commitmentsFromPolyId(polyId);
      const shares = s.tkeyShares.map((x) => ({ x: big(x.index), y: big(x.value) }));
      return all(
        eq('G·metadataKey = metadataJSON.pubKey', pointToHex(mulG(km)), String(s.metadataJSON.pubKey)),
        eq('every tKey share on its polynomial', s.tkeyShares.every((x) => x.polynomialID === polyId) && shares.every((sh) => verifyShare(commits, sh)), true),
        eq('tKey shares interpolate to metadataKey', interpolate(shares.slice(0, commits.length)), km),
      );
    },
  ]);
  const labels = Object.keys(s.factorKeys);
  for (const L of labels) {
    out.push([
      `factorKeys/${L}/public-key`,
      () => {
        const k = factorKey(s.factorKeys[L]!);
        const seen = s.events.flatMap((e) => e.perFactor.filter((pf) => pf.label === L));
        if (seen.length === 0) return `factor ${L} appears in no event`;
        return all(...seen.map((pf) => all(eq('perFactor.factorKey', pad(pf.factorKey), pad(s.factorKeys[L]!)), eq('G·factorKey = perFactor.factorPub', k.pubPoint.equals(pointFromJSON(pf.factorPub)), true))));
      },
    ]);
  }
  out.push([
    'factorKeys/hashed-factor',
    () => {
      // the core kit's hashed factor keccak256(utf8(postboxKeyHex64 + "_" + clientId)) is the factor the account was created with
      const h = FactorKey.hashed(key32(s.postboxKey), s.clientId);
      const first = s.events[0]!.perFactor[0];
      if (!first) return 'events[0] has no factor';
      const labelled = s.factorKeys[first.label];
      return all(eq('first factor = hashed factor', bytesToHex(h.exportBytes()), pad(first.factorKey)), eq(`factorKeys.${first.label} = hashed factor`, pad(labelled ?? '0'), bytesToHex(h.exportBytes())));
    },
  ]);
  out.push([
    'initialDeviceTSSShare',
    () => eq('events[0] share', pad(s.events[0]!.perFactor[0]?.tssShare ?? '0'), pad(s.initialDeviceTSSShare)),
  ]);
  out.push([
    'serverDkg',
    () =>
      all(
        ...s.serverDkg.map((d, i) =>
          all(
            eq(`serverDkg[${i}] G·share = pub`, mulG(big(d.serverShare_index1)).equals(pointFromJSON(d.pub)), true),
            eq(`serverDkg[${i}] label`, d.label, `${s.verifier}\u001c${s.verifierId}\u0015${d.tssTag}\u0016${d.tssNonce}`),
            eq(`serverDkg[${i}] nonce`, d.tssNonce, i),
          ),
        ),
      ),
  ]);
  const net = s.generator.mockNetwork;
  if (net?.nodePubKeys && net.nodePrivKeys)
    out.push([
      'mockNetwork/node-keys',
      () => all(eq('count', net.nodePubKeys!.length, net.nodePrivKeys!.length), ...net.nodePrivKeys!.map((k, i) => eq(`node ${i + 1} key`, mulG(big(k)).equals(pointFromJSON(net.nodePubKeys![i])), true))),
    ]);
  return out;
}

function eventChecks(s: TssSample): Check[] {
  const out: Check[] = [];
  const x = big(s.tssPrivateKey);
  const A0 = (): Point => pointFromJSON(s.tssPublicKey);
  const T = s.generator.mockNetwork?.nodeThreshold;
  const others = Object.values(s.factorKeys);
  const tamperRng = seededRng('tkey-tss/conformance/v1/tkey-tss-sample/tamper');
  for (const [i, e] of s.events.entries()) {
    const at = `events[${i}]`;
    const prev = i > 0 ? s.events[i - 1] : undefined;
    out.push([
      `${at}/commitments`,
      () => all(eq('A0 = tssPublicKey (key unchanged)', commitsOf(e)[0]!.equals(A0()), true), eq('peer commitments are [A0, A1]', e.tssPolyCommits.length, 2)),
    ]);
    out.push([
      `${at}/tss-nonce`,
      () => {
        const label = eq('serverShareLabel', e.serverShareLabel, `${s.verifier}\u001c${s.verifierId}\u0015${s.tssTag}\u0016${e.tssNonce}`);
        if (!prev) return all(label, eq('initial tssNonce', e.tssNonce, 0));
        const refreshed = e.perFactor.some((pf) => pf.type === 'hierarchical') || canon(prev.tssPolyCommits) !== canon(e.tssPolyCommits);
        return all(
          label,
          eq('tssNonce evolution', e.tssNonce, refreshed ? prev.tssNonce + 1 : prev.tssNonce),
          eq('commitments change exactly on refresh', canon(prev.tssPolyCommits) !== canon(e.tssPolyCommits), refreshed),
        );
      },
    ]);
    out.push([
      `${at}/server-share`,
      () => {
        const d = s.serverDkg.find((z) => z.tssNonce === e.tssNonce && z.tssTag === s.tssTag);
        if (!d) return `no serverDkg entry for tssNonce ${e.tssNonce}`;
        return all(
          eq('G·serverShare = A0 + 1·A1', mulG(big(e.serverShare_index1)).equals(shareCommitment(commitsOf(e), 1n)), true),
          eq('serverDkg share', pad(d.serverShare_index1), pad(e.serverShare_index1)),
          eq('serverDkg label', d.label, e.serverShareLabel),
        );
      },
    ]);
    out.push([
      `${at}/factor-set`,
      () => {
        const fromPubs = e.factorPubs.map((p) => factorEncKey(pointFromJSON(p))).sort();
        return all(
          eq('factorEncs keys = padded x of factorPubs', Object.keys(e.factorEncs).sort().join(','), fromPubs.join(',')),
          eq('perFactor = factorPubs', e.perFactor.map((pf) => factorEncKey(pointFromJSON(pf.factorPub))).join(','), e.factorPubs.map((p) => factorEncKey(pointFromJSON(p))).join(',')),
        );
      },
    ]);
    for (const pf of e.perFactor) {
      const f = `${at}/factorEncs/${pf.label}`;
      out.push([
        `${f}/decrypts`,
        () => {
          const enc = encOf(e, pf) as FactorEnc;
          const sh = decryptFactorEnc(factorKey(pf.factorKey), enc, commitsOf(e), T === undefined ? {} : { serverThreshold: T });
          return all(eq('type', enc.type, pf.type), eq('tssIndex', enc.tssIndex, pf.tssIndex), eq('share', toHexPadded(sh.value), pad(pf.tssShare)), eq('share index', sh.index, pf.tssIndex));
        },
      ]);
      out.push([`${f}/on-commitments`, () => eq('G·share = A0 + index·A1', mulG(big(pf.tssShare)).equals(shareCommitment(commitsOf(e), BigInt(pf.tssIndex))), true)]);
      out.push([
        `${f}/service-and-user-interpolate`,
        () => {
          const k = interpolate([
            { x: 1n, y: big(e.serverShare_index1) },
            { x: BigInt(pf.tssIndex), y: big(pf.tssShare) },
          ]);
          return all(eq('f(0) = tssPrivateKey', k, x), eq('reconstructedTssKey', pad(pf.reconstructedTssKey), pad(s.tssPrivateKey)));
        },
      ]);
      out.push([
        `${f}/wrong-key-rejected`,
        () => {
          const other = others.find((k) => pad(k) !== pad(pf.factorKey));
          const wrong = other ? factorKey(other) : FactorKey.fromBytes(scalarToBytes(big(pf.factorKey) === 1n ? 2n : 1n));
          return expectErrorCode('FACTOR_KEY_WRONG', () => decryptFactorEnc(wrong, encOf(e, pf), commitsOf(e)));
        },
      ]);
      const enc = encOf(e, pf) as FactorEnc | undefined;
      if (enc && enc.type === 'hierarchical' && Array.isArray(enc.serverEncs)) {
        const n = enc.serverEncs.length;
        const t = T ?? Math.ceil(n / 2);
        out.push([
          `${f}/every-server-subset`,
          () => {
            const vs: Verdict[] = [];
            for (const sub of subsets(n, t)) {
              const sh = decryptFactorEnc(factorKey(pf.factorKey), onlyServerEncs(enc, sub), commitsOf(e), { serverThreshold: t });
              vs.push(eq(`subset {${sub.map((j) => j + 1).join(',')}}`, toHexPadded(sh.value), pad(pf.tssShare)));
            }
            return all(eq('subsets tried', vs.length > 0, true), ...vs);
          },
        ]);
        out.push([
          `${f}/too-few-server-encs`,
          () => expectErrorCode('FACTOR_ENC_UNRECOVERABLE', () => decryptFactorEnc(factorKey(pf.factorKey), onlyServerEncs(enc, Array.from({ length: t - 1 }, (_, j) => j)), commitsOf(e), { serverThreshold: t })),
        ]);
        out.push([
          `${f}/bad-server-subshare-routed-around`,
          () => {
            // node 1's sub-share replaced by a well-formed encryption of a wrong value to the same factor key
            const bad = JSON.parse(canon(enc)) as FactorEnc;
            bad.serverEncs[0] = eciesEncryptJSON(pointToBytes(pointFromJSON(pf.factorPub), false), scalarToBytes(123456789n), { rng: tamperRng });
            const sh = decryptFactorEnc(factorKey(pf.factorKey), bad, commitsOf(e), { serverThreshold: t });
            return eq('share despite one bad node', toHexPadded(sh.value), pad(pf.tssShare));
          },
        ]);
        out.push([
          `${f}/user-part-tampered-rejected`,
          () => {
            const bad = JSON.parse(canon(enc)) as FactorEnc;
            bad.userEnc = eciesEncryptJSON(pointToBytes(pointFromJSON(pf.factorPub), false), scalarToBytes(7n), { rng: tamperRng });
            return expectErrorCode('SHARE_NOT_ON_POLYNOMIAL', () => decryptFactorEnc(factorKey(pf.factorKey), bad, commitsOf(e), { serverThreshold: t }));
          },
        ]);
      } else if (enc && enc.type === 'direct') {
        out.push([
          `${f}/tampered-share-rejected`,
          () => {
            const bad = JSON.parse(canon(enc)) as FactorEnc;
            bad.userEnc = eciesEncryptJSON(pointToBytes(pointFromJSON(pf.factorPub), false), scalarToBytes(modN(big(pf.tssShare) + 1n)), { rng: tamperRng });
            return expectErrorCode('SHARE_NOT_ON_POLYNOMIAL', () => decryptFactorEnc(factorKey(pf.factorKey), bad, commitsOf(e)));
          },
        ]);
      }
    }
    out.push([
      `${at}/copies-hold-one-share`,
      () => {
        const byIndex = new Map<number, string>();
        for (const pf of e.perFactor) {
          const v = pad(pf.tssShare);
          if (byIndex.has(pf.tssIndex) && byIndex.get(pf.tssIndex) !== v) return `two factors at index ${pf.tssIndex} hold different shares`;
          byIndex.set(pf.tssIndex, v);
        }
        return true;
      },
    ]);
    if (prev) {
      out.push([
        `${at}/previous-shares`,
        () => {
          const refreshed = canon(prev.tssPolyCommits) !== canon(e.tssPolyCommits);
          const vs = prev.perFactor.map((pf) => {
            const on = verifyShare(commitsOf(e), { x: BigInt(pf.tssIndex), y: big(pf.tssShare) });
            return eq(`${pf.label}'s previous share on the new commitments`, on, !refreshed);
          });
          const oldServerOn = verifyShare(commitsOf(e), { x: 1n, y: big(prev.serverShare_index1) });
          return all(...vs, eq('previous server share on the new commitments', oldServerOn, !refreshed));
        },
      ]);
      // our writer rebuilds the step from the previous state (ciphertexts differ: ours are direct)
      out.push([
        `${at}/rebuilt-by-our-writer`,
        () => {
          const before = metadataAt(s, prev);
          const refreshed = canon(prev.tssPolyCommits) !== canon(e.tssPolyCommits);
          if (!refreshed) {
            const added = e.perFactor.filter((pf) => !prev.perFactor.some((q) => pad(q.factorKey) === pad(pf.factorKey)));
            if (added.length !== 1) return `expected exactly one added factor, found ${added.length}`;
            const a = added[0]!;
            const st = buildAddFactorCopy(before, s.tssTag, { share: new TssShare(a.tssIndex, big(a.tssShare)), newFactorPub: pointToBytes(pointFromJSON(a.factorPub)), rng: tamperRng });
            return builtStateMatches(st, s, e);
          }
          const shares = new Map<number, TssShare>();
          for (const pf of e.perFactor) shares.set(pf.tssIndex, new TssShare(pf.tssIndex, big(pf.tssShare)));
          const st = buildRefreshedTss(before, s.tssTag, {
            commitments: commitsOf(e),
            shares: [...shares.values()],
            factors: e.perFactor.map((pf) => ({ factorPub: pointToBytes(pointFromJSON(pf.factorPub)), tssIndex: pf.tssIndex })),
            tssNonce: e.tssNonce,
            rng: tamperRng,
          });
          return builtStateMatches(st, s, e);
        },
      ]);
    } else {
      out.push([
        `${at}/rebuilt-by-our-writer`,
        () => {
          const st = buildInitialTss({
            tssTag: s.tssTag,
            commitments: commitsOf(e),
            shares: [...new Map(e.perFactor.map((pf) => [pf.tssIndex, new TssShare(pf.tssIndex, big(pf.tssShare))])).values()],
            factors: e.perFactor.map((pf) => ({ factorPub: pointToBytes(pointFromJSON(pf.factorPub)), tssIndex: pf.tssIndex })),
            tssNonce: e.tssNonce,
            rng: tamperRng,
          });
          return builtStateMatches(st, s, e);
        },
      ]);
    }
  }
  return out;
}

function finalChecks(s: TssSample): Check[] {
  const out: Check[] = [];
  const last = s.events[s.events.length - 1]!;
  const md = (): Metadata => Metadata.fromJSON(s.metadataJSON);
  out.push(['metadataJSON/round-trip', () => eq('stableStringify(Metadata.fromJSON(m).toJSON())', canon(md().toJSON()), canon(s.metadataJSON))]);
  out.push([
    'metadataJSON/tss-state',
    () => {
      const st = readTss(md(), s.tssTag);
      return all(
        eq('keyType', st.keyType, 'secp256k1'),
        eq('tssNonce = last step', st.tssNonce, last.tssNonce),
        eq('commitments = last step', st.commitments.map((c) => pointToHex(c)).join(','), last.tssPolyCommits.map((c) => pointToHex(pointFromJSON(c))).join(',')),
        eq('factorPubs = last step', st.factorPubs.map((c) => pointToHex(c)).join(','), last.factorPubs.map((c) => pointToHex(pointFromJSON(c))).join(',')),
        sameJSON('factorEncs = last step', st.factorEncs, last.factorEncs),
      );
    },
  ]);
  for (const pf of last.perFactor)
    out.push([
      `metadataJSON/getTssShare/${pf.label}`,
      () => {
        const sh = getTssShare(md(), s.tssTag, factorKey(pf.factorKey), s.generator.mockNetwork?.nodeThreshold === undefined ? {} : { serverThreshold: s.generator.mockNetwork.nodeThreshold });
        return all(eq('share', toHexPadded(sh.value), pad(pf.tssShare)), eq('index', sh.index, pf.tssIndex));
      },
    ]);
  const removed = Object.entries(s.factorKeys).filter(([, k]) => !last.perFactor.some((pf) => pad(pf.factorKey) === pad(k)));
  for (const [L, k] of removed) out.push([`metadataJSON/removed-factor/${L}`, () => expectErrorCode('FACTOR_UNKNOWN', () => getTssShare(md(), s.tssTag, factorKey(k)))]);
  out.push([
    'metadataJSON/listFactors',
    () => {
      const l = listFactors(md(), s.tssTag);
      return all(
        eq('count', l.length, last.perFactor.length),
        ...l.map((f, i) => all(eq(`[${i}] pub`, f.factorPubHex, pointToHex(pointFromJSON(last.perFactor[i]!.factorPub))), eq(`[${i}] index`, f.tssIndex, last.perFactor[i]!.tssIndex), eq(`[${i}] type`, f.type, last.perFactor[i]!.type))),
      );
    },
  ]);
  // account index (tkey-formats §4.5)
  out.push(['accountSalt', () => eq('tkeyStore.tssModule accountSalt', readAccountSalt(md(), key32(s.metadataKey)) ?? '(none)', s.accountSalt)]);
  const ai = s.accountIndex1;
  out.push(['accountIndex1/nonce', () => eq('nonce', bytesToHex(accountNonce(ai.accountIndex, s.accountSalt)), pad(ai.nonce))]);
  out.push([
    'accountIndex1/public-key',
    () => {
      const pub = accountPublicKey(pointToBytes(pointFromJSON(s.tssPublicKey)), ai.accountIndex, s.accountSalt);
      const direct = mulG(modN(big(s.tssPrivateKey) + big(ai.nonce))).equals(pointFromHex(bytesToHex(pub)));
      return all(eq('A0 + G·nonce = tssPub', bytesToHex(pub), pointToHex(pointFromJSON(ai.tssPub))), eq('= G·(x + nonce)', direct, true));
    },
  ]);
  for (const [k, v] of Object.entries(ai)) {
    const m = /^factor(.+)_adjustedShare$/.exec(k);
    if (!m || typeof v !== 'string') continue;
    const label = m[1]!;
    out.push([
      `accountIndex1/${label}-share`,
      () => {
        const pf = last.perFactor.find((q) => q.label === label);
        if (!pf) return `factor ${label} not in the last step`;
        const sh = accountShare(new TssShare(pf.tssIndex, big(pf.tssShare)), ai.accountIndex, s.accountSalt);
        const key = interpolate([
          { x: 1n, y: modN(big(last.serverShare_index1) + big(ai.nonce)) },
          { x: BigInt(sh.index), y: sh.value },
        ]);
        return all(eq('share + nonce', toHexPadded(sh.value), pad(v)), eq('shifted shares interpolate to G-log of tssPub', mulG(key).equals(pointFromJSON(ai.tssPub)), true));
      },
    ]);
  }
  out.push([
    'accountIndex0/identity',
    () => all(eq('nonce(0) = 0', bytesToHex(accountNonce(0, s.accountSalt)), '0'.repeat(64)), eq('pub(0) = A0', bytesToHex(accountPublicKey(pointToBytes(pointFromJSON(s.tssPublicKey)), 0, s.accountSalt)), pointToHex(pointFromJSON(s.tssPublicKey)))),
  ]);
  return out;
}

interface Owner {
  label: string;
  kind: 'postbox' | 'tkey-share' | 'factor';
  key: bigint;
}

function storageChecks(s: TssSample): Check[] {
  const out: Check[] = [];
  const last = s.events[s.events.length - 1]!;
  const owners = new Map<string, Owner>();
  const add = (o: Owner): void => {
    owners.set(addressKey(recordAddressOf(o.key)), o);
  };
  add({ label: 'postboxKey', kind: 'postbox', key: big(s.postboxKey) });
  for (const [i, t] of s.tkeyShares.entries()) add({ label: `tkeyShares[${i}]`, kind: 'tkey-share', key: big(t.value) });
  for (const [L, k] of Object.entries(s.factorKeys)) add({ label: `factor ${L}`, kind: 'factor', key: big(k) });
  const ownerOf = (r: SampleRecord): Owner => {
    const a: RecordAddress = { pubX: r.record.pub_key_X, pubY: r.record.pub_key_Y, namespace: r.record.namespace };
    const o = owners.get(addressKey(a));
    if (!o) throw new Error(`no key in the file owns the record at ${a.pubX.slice(0, 16)}…`);
    return o;
  };
  const current = new Set(last.perFactor.map((pf) => pad(pf.factorKey)));
  const userTkeyShare = s.tkeyShares.find((t) => big(t.index) !== 1n);
  const spShare = s.tkeyShares.find((t) => big(t.index) === 1n);
  for (const [i, r] of s.storage.entries()) {
    const at = `storage[${i}]`;
    out.push([
      `${at}/decrypts-with-owner-key`,
      () => {
        const o = ownerOf(r);
        return all(eq(`plaintext (owner ${o.label})`, bytesToHex(decryptRecordBytes(o.key, r.storedValue)), bytesToHex(utf8ToBytes(canon(r.decrypted)))), sameJSON('decoded', decodeRecord(o.key, r.storedValue), r.decrypted));
      },
    ]);
    out.push([`${at}/envelope-re-encodes`, () => eq('stored value', encodeEnvelope(decodeEnvelope(r.storedValue)), r.storedValue)]);
    if (isAuth(r.decrypted)) {
      out.push([
        `${at}/auth-metadata`,
        () => {
          const o = ownerOf(r);
          if (o.kind !== 'tkey-share') return `AuthMetadata owned by ${o.label}, expected a tKey share`;
          const m = decodeShareRecord(o.key, r.storedValue);
          const data = (r.decrypted as { data: unknown }).data;
          return all(
            eq('signed by G·metadataKey', m.pubKey.equals(mulG(big(s.metadataKey))), true),
            eq('verifyAuthMetadata', verifyAuthMetadata(r.decrypted).pubKey.equals(m.pubKey), true),
            eq('our signer reproduces sig', signAuthMetadata(Metadata.fromJSON(data), big(s.metadataKey)).sig, (r.decrypted as { sig: string }).sig),
            sameJSON('data = final metadataJSON', data, s.metadataJSON),
          );
        },
      ]);
      out.push([
        `${at}/auth-metadata-tampered-rejected`,
        () => {
          const d = JSON.parse(canon(r.decrypted)) as { data: { tssNonces: Record<string, number> } };
          d.data.tssNonces[s.tssTag] = (d.data.tssNonces[s.tssTag] ?? 0) + 1;
          return expectErrorCode('METADATA_SIGNATURE_INVALID', () => verifyAuthMetadata(d));
        },
      ]);
    } else if (isShareStoreJSON(r.decrypted)) {
      out.push([
        `${at}/share-store-record`,
        () => {
          const o = ownerOf(r);
          if (o.kind === 'postbox') {
            const ss = decodeServiceProviderRecord(o.key, r.storedValue);
            return all(eq('index 1', ss.index, 1n), eq('service-provider tKey share', toHexPadded(ss.share.value), pad(spShare?.value ?? '0')));
          }
          if (o.kind === 'factor') {
            // the core kit's factor backup: the user's (non-index-1) tKey share under the factor key
            const ss = ShareStore.fromJSON(decodeRecord(o.key, r.storedValue));
            return all(
              eq('factor is current', current.has(toHexPadded(o.key)), true),
              eq('backed-up tKey share index', ss.index, big(userTkeyShare?.index ?? '0')),
              eq('backed-up tKey share value', toHexPadded(ss.share.value), pad(userTkeyShare?.value ?? '0')),
              eq('polynomialID', ss.polynomialID, userTkeyShare?.polynomialID ?? ''),
            );
          }
          return `ShareStore owned by ${o.label}`;
        },
      ]);
    } else if (isShareDeletedMarker(r.decrypted)) {
      out.push([
        `${at}/deleted-factor-record`,
        () => {
          const o = ownerOf(r);
          if (o.kind !== 'factor') return `SHARE_DELETED owned by ${o.label}, expected a factor`;
          return all(eq('factor no longer current', current.has(toHexPadded(o.key)), false), eq('SHARE_DELETED', true, true));
        },
      ]);
      out.push([`${at}/deleted-factor-refused`, () => expectErrorCode('SHARE_DELETED', () => decodeShareRecord(ownerOf(r).key, r.storedValue))]);
    } else out.push([`${at}/content-kind`, () => 'decrypted content is neither AuthMetadata, a ShareStore nor a SHARE_DELETED marker']);
  }
  // login as a fresh instance: postbox key + a current factor key, using only the stored records
  for (const pf of last.perFactor) {
    out.push([
      `login/postbox+factor-${pf.label}`,
      () => {
        const find = (k: bigint): SampleRecord | undefined => s.storage.find((r) => addressKey({ pubX: r.record.pub_key_X, pubY: r.record.pub_key_Y, namespace: r.record.namespace }) === addressKey(recordAddressOf(k)));
        const sp = find(big(s.postboxKey));
        const fr = find(big(pf.factorKey));
        if (!sp || !fr) return 'missing service-provider or factor record';
        const s1 = decodeServiceProviderRecord(big(s.postboxKey), sp.storedValue);
        const s2 = ShareStore.fromJSON(decodeRecord(big(pf.factorKey), fr.storedValue));
        const km = interpolate([
          { x: s1.index, y: s1.share.value },
          { x: s2.index, y: s2.share.value },
        ]);
        const mr = find(s1.share.value);
        if (!mr) return 'no metadata record of share 1';
        const m = decodeShareRecord(s1.share.value, mr.storedValue);
        const sh = getTssShare(m, s.tssTag, factorKey(pf.factorKey));
        const x = interpolate([
          { x: 1n, y: big(last.serverShare_index1) },
          { x: BigInt(sh.index), y: sh.value },
        ]);
        return all(eq('metadata key', km, big(s.metadataKey)), eq('G·k_m = metadata pubKey', mulGUnsafe(km).equals(m.pubKey), true), eq('TSS key', x, big(s.tssPrivateKey)));
      },
    ]);
  }
  return out;
}

export const tkeyTssSampleSuite: Suite = {
  name: NAME,
  recognize: recognizeTssSample,
  async run(doc: unknown): Promise<CheckResult[]> {
    const s = asTssSample(doc);
    const checks: Check[] = [...keyChecks(s), ...eventChecks(s), ...finalChecks(s), ...storageChecks(s)];
    const out: CheckResult[] = [];
    for (const [id, fn] of checks) out.push(await checkOne(`${NAME}/${id}`, fn));
    return out;
  },
};

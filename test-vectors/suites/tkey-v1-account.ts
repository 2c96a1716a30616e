/**
 * The account-level checks of the `tkey-v1-sample` suite: the sample's stored records, loaded into
 * a MemoryStorage, are read through our own `ThresholdKey` (src/metadata/threshold-key.ts) and the
 * account reconstructs from the postbox key plus a second factor.
 * @module
 */
import { bytesToHex, hexToNumber, toHexUnpadded } from '../../src/bytes.js';
import { modN, mulGUnsafe, pointFromJSON, scalarToBytes } from '../../src/curve.js';
import { answerHash, SecurityQuestionsModule } from '../../src/modules/security-questions.js';
import { ShareStore } from '../../src/metadata/share-store.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { ThresholdKey } from '../../src/metadata/threshold-key.js';
import { seededRng } from '../../src/rng.js';
import { MemoryStorage } from '../../src/storage/memory-store.js';
import type { V1Sample } from './tkey-v1-sample.js';
import { all, eq, expectErrorCode, type Verdict } from './util.js';

type Check = [id: string, fn: () => Verdict | Promise<Verdict>];

/** A MemoryStorage holding exactly the sample's stored records, at the account's metadata nonce. */
export function sampleStorage(s: V1Sample): MemoryStorage {
  const m = new MemoryStorage();
  const nonce = (s.metadataJSON as { nonce?: unknown }).nonce;
  m.seed(
    s.storage.map((r) => ({ address: { pubX: r.record.pub_key_X, pubY: r.record.pub_key_Y, namespace: r.record.namespace }, value: r.storedValue })),
    typeof nonce === 'number' ? [[s.metadataPub.compressed, nonce]] : [],
  );
  return m;
}

function open(s: V1Sample, sq?: SecurityQuestionsModule): { tk: ThresholdKey; storage: MemoryStorage } {
  const storage = sampleStorage(s);
  const fixed = s.generator.fixedTimeMs ?? 0;
  const tk = new ThresholdKey({
    storage,
    postboxKey: scalarToBytes(hexToNumber(s.postboxKey)),
    rng: seededRng('tkey-tss/conformance/tkey-v1-sample'),
    now: () => fixed,
    ...(sq ? { modules: [sq] } : {}),
  });
  return { tk, storage };
}

const snapshot = (m: MemoryStorage): string => stableStringify(m.entries().sort(([a], [b]) => (a < b ? -1 : 1)));

/** After a login: the reconstructed key, the key details, and nothing written. */
async function reconstructed(s: V1Sample, tk: ThresholdKey, storage: MemoryStorage, before: string): Promise<Verdict> {
  const key = await tk.reconstructKey();
  const d = tk.getKeyDetails();
  const latest = s.polynomials.find((p) => p.polyID === s.latestPolyID);
  if (!latest) return 'latest polynomial missing from the file';
  const sd = (s.metadataJSON as { generalStore?: { shareDescriptions?: unknown } }).generalStore?.shareDescriptions ?? {};
  return all(
    eq('reconstructed key', bytesToHex(key), s.metadataKey.padStart(64, '0')),
    eq('pubKey', bytesToHex(d.pubKey), s.metadataPub.compressed),
    eq('threshold', d.threshold, latest.threshold),
    eq('totalShares', d.totalShares, latest.shareIndexes.length),
    eq('requiredShares', d.requiredShares, 0),
    eq('share indexes', [...d.shareIndexes].sort().join(','), [...latest.shareIndexes].sort().join(',')),
    eq('shareDescriptions', stableStringify(d.shareDescriptions), stableStringify(sd)),
    eq('pending writes after reading', tk.pendingWrites, 0),
    eq('storage unchanged by reading', snapshot(storage), before),
  );
}

export function accountChecks(s: V1Sample): Check[] {
  const out: Check[] = [];
  const device = (): V1Sample['shares'][number] => {
    const d = s.shares.find((x) => x.index === s.roles.deviceIndex);
    if (!d) throw new Error('no device share (roles.deviceIndex) in sample.shares');
    return d;
  };
  out.push([
    'account/postbox+device-share',
    async () => {
      const { tk, storage } = open(s);
      const before = snapshot(storage);
      const r = await tk.initialize({ withShare: ShareStore.fromJSON(device().shareStoreJSON), neverInitializeNewKey: true });
      return all(eq('created', r.created, false), await reconstructed(s, tk, storage, before));
    },
  ]);
  out.push([
    'account/postbox+oldest-device-share-caught-up',
    async () => {
      // the device share of the first polynomial reaches the latest one through the encryptedShares chain
      const first = s.polynomials[0];
      const old = s.historicalShares.find((h) => h.polyID === first?.polyID && h.index === s.roles.deviceIndex);
      if (!first || !old) return 'no device share of the first polynomial in historicalShares';
      const { tk, storage } = open(s);
      const before = snapshot(storage);
      await tk.initialize({ neverInitializeNewKey: true });
      const ss = await tk.inputShareStore({ share: { share: old.value, shareIndex: old.index }, polynomialID: old.polyID });
      return all(
        eq('caught-up polynomial', ss.polynomialID, s.latestPolyID),
        eq('caught-up value', toHexUnpadded(ss.share.value), device().value.replace(/^0+/, '')),
        await reconstructed(s, tk, storage, before),
      );
    },
  ]);
  out.push([
    'account/postbox+device-mnemonic',
    async () => {
      const { tk, storage } = open(s);
      const before = snapshot(storage);
      await tk.initialize({ neverInitializeNewKey: true });
      await tk.inputShare(device().mnemonic, 'mnemonic');
      const v = await reconstructed(s, tk, storage, before);
      // and the account hands every share back out as the peer's mnemonic
      const outs = s.shares.map((x) => eq(`outputShare(${x.role}, "mnemonic")`, tk.outputShare(x.index, 'mnemonic') as string, x.mnemonic));
      return all(v, ...outs);
    },
  ]);
  out.push([
    'account/deleted-share-refused',
    async () => {
      const { tk } = open(s);
      await tk.initialize({ neverInitializeNewKey: true });
      const d = s.deletedShare;
      return expectErrorCode('SHARE_DELETED', () => tk.inputShareStore({ share: { share: d.value, shareIndex: d.index }, polynomialID: d.polynomialID }));
    },
  ]);
  out.push([
    'account/postbox-alone-not-enough',
    async () => {
      const { tk } = open(s);
      const r = await tk.initialize({ neverInitializeNewKey: true });
      return all(eq('created', r.created, false), eq('requiredShares', r.details.requiredShares, 1), await expectErrorCode('NOT_ENOUGH_SHARES', () => tk.reconstructKey()));
    },
  ]);
  out.push([
    'account/postbox+security-answer',
    async () => {
      const sq = new SecurityQuestionsModule({ saveAnswers: true });
      const { tk, storage } = open(s, sq);
      const before = snapshot(storage);
      await tk.initialize({ neverInitializeNewKey: true });
      const ss = await sq.inputShareFromSecurityQuestions(tk, s.securityQuestion.answer);
      const sqShare = s.shares.find((x) => x.index === s.roles.securityQuestionIndex);
      if (!sqShare) return 'no security-question share in sample.shares';
      const v = await reconstructed(s, tk, storage, before);
      return all(
        eq('derived share index', toHexUnpadded(ss.index), sqShare.index.replace(/^0+/, '')),
        eq('derived share value', toHexUnpadded(ss.share.value), sqShare.value.replace(/^0+/, '')),
        eq('question', sq.getSecurityQuestions(tk), s.securityQuestion.question),
        v,
        eq('saved answer (tkeyStore)', sq.getAnswer(tk), s.securityQuestion.answer),
      );
    },
  ]);
  out.push([
    'account/wrong-security-answer-refused',
    async () => {
      const sq = new SecurityQuestionsModule();
      const { tk } = open(s, sq);
      await tk.initialize({ neverInitializeNewKey: true });
      return expectErrorCode('WRONG_ANSWER', () => sq.inputShareFromSecurityQuestions(tk, s.securityQuestion.answer + ' '));
    },
  ]);
  // nonce = share − keccak256(answer) mod n, for the current store and for every stored one (the
  // refresh middleware re-derived it on each polynomial)
  const stores: [string, unknown][] = [['securityQuestion/nonce-derivation', s.securityQuestion.store]];
  for (const [i, r] of s.storage.entries()) {
    const st = (r.decrypted as { data?: { generalStore?: { securityQuestions?: unknown } } }).data?.generalStore?.securityQuestions;
    if (st !== undefined) stores.push([`storage[${i}]/securityQuestions-nonce`, st]);
  }
  for (const [id, st] of stores) {
    out.push([
      id,
      async () => {
        const o = st as { nonce: string; shareIndex: string; polynomialID: string; sqPublicShare: { shareCommitment: unknown } };
        const h = await answerHash(s.securityQuestion.answer);
        const value = modN(hexToNumber(o.nonce) + h);
        const known = [...s.shares.map((x) => ({ polyID: x.polynomialID, index: x.index, value: x.value })), ...s.historicalShares].find(
          (x) => x.polyID === o.polynomialID && hexToNumber(x.index) === hexToNumber(o.shareIndex),
        );
        if (!known) return 'no share of the file at this store\'s index and polynomial';
        return all(
          eq('nonce + keccak256(answer) = share', value, hexToNumber(known.value)),
          eq('G·share = sqPublicShare', mulGUnsafe(value).equals(pointFromJSON(o.sqPublicShare.shareCommitment)), true),
        );
      },
    ]);
  }
  return out;
}

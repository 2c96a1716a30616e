/**
 * Suite `peer-quirks` (interop/peer-quirks.json, written by generate-peer-quirks.ts): accounts in
 * the state the published tKey packages leave them in after writes our interop fixes are about,
 * read (and written once) through our own `ThresholdKey`:
 *
 *   tkeystore-plaintext  the items read as they are (one left in plaintext by the peer's
 *                        `_deleteTKeyStoreItem`); our next write stores every item encrypted to
 *                        G·k_m again, and the items read back the same.
 *   sq-answer            each `answers` entry reconstructs the metadata key through the security
 *                        question, each `wrongAnswers` entry is `WRONG_ANSWER`, `isHardened` as given.
 * @module
 */
import { hexToBytes, hexToNumber } from '../../src/bytes.js';
import { mulG, scalarToBytes } from '../../src/curve.js';
import { decodeRecord, recordAddress } from '../../src/metadata/record.js';
import { ShareStore } from '../../src/metadata/share-store.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { ThresholdKey } from '../../src/metadata/threshold-key.js';
import { SecurityQuestionsModule } from '../../src/modules/security-questions.js';
import { seededRng } from '../../src/rng.js';
import { MemoryStorage } from '../../src/storage/memory-store.js';
import type { Suite } from './types.js';
import { all, arr, checkOne, eq, expectErrorCode, isObject, obj, str, strArr, vectorsOf, VectorFormatError, type Verdict } from './util.js';

type V = Record<string, unknown> & { id: string };

/** A tkeyStore entry stored in plaintext: an object with an id and no ECIES envelope fields. */
const isPlaintext = (x: unknown): boolean => isObject(x) && typeof x.id === 'string' && !('ciphertext' in x);

function storageOf(v: V): MemoryStorage {
  const m = new MemoryStorage();
  const records = arr(v, 'records').map((r, i) => {
    if (!isObject(r)) throw new VectorFormatError(`records[${i}]: expected an object`);
    return { address: { pubX: str(r, 'pubX'), pubY: str(r, 'pubY'), namespace: str(r, 'namespace') }, value: str(r, 'value') };
  });
  const nonce = v.nonce;
  if (typeof nonce !== 'number') throw new VectorFormatError('field "nonce": expected a number');
  m.seed(records, [[str(v, 'metadataPub'), nonce]]);
  return m;
}

function open(v: V, storage: MemoryStorage, seed: string, modules: SecurityQuestionsModule[] = []): ThresholdKey {
  return new ThresholdKey({ storage, postboxKey: hexToBytes(str(v, 'postboxKey')), rng: seededRng(`peer-quirks/${v.id}/${seed}`), now: () => 1700000000000, ...(modules.length ? { modules } : {}) });
}

/** Every share record's tkeyStore entries for `module`, as stored (decrypted with each share). */
async function storedEntries(tk: ThresholdKey, storage: MemoryStorage, moduleName: string): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (const i of tk.getKeyDetails().shareIndexes) {
    const value = tk.outputShareStore(i).share.value;
    const raw = await storage.get(recordAddress(mulG(value)));
    if (raw === undefined) continue;
    const rec = decodeRecord(value, raw) as { data?: { tkeyStore?: Record<string, unknown> } };
    out.push((rec.data?.tkeyStore?.[moduleName] as unknown[] | undefined) ?? []);
  }
  return out;
}

async function tkeyStorePlaintext(v: V): Promise<Verdict> {
  const e = obj(v, 'expect');
  const moduleName = str(e, 'module');
  const want = stableStringify(arr(e, 'items'));
  const storage = storageOf(v);
  const tk = open(v, storage, 'reader');
  await tk.initialize({ withShare: ShareStore.fromJSON(obj(v, 'deviceShare')), neverInitializeNewKey: true });
  await tk.reconstructKey();
  const read = stableStringify(tk.getTKeyStore(moduleName));
  const before = await storedEntries(tk, storage, moduleName);
  // our next write (an unrelated one: a share description) seals the peer's plaintext item
  await tk.addShareDescription(tk.getKeyDetails().shareIndexes.find((i) => BigInt('0x' + i) !== 1n)!, JSON.stringify({ module: 'peer-quirks' }));
  const after = await storedEntries(tk, storage, moduleName);
  const again = open(v, storage, 'reader-2');
  await again.initialize({ withShare: ShareStore.fromJSON(obj(v, 'deviceShare')), neverInitializeNewKey: true });
  await again.reconstructKey();
  return all(
    eq('items read from the peer state', read, want),
    eq('the peer left a plaintext item (the vector shows the bug)', before.some((xs) => xs.some(isPlaintext)), true),
    eq('records written', after.length > 0, true),
    eq('plaintext items after our write', after.flat().filter(isPlaintext).length, 0),
    eq('items read after our write', stableStringify(again.getTKeyStore(moduleName)), want),
  );
}

async function sqAnswer(v: V): Promise<Verdict> {
  const e = obj(v, 'expect');
  const key = scalarToBytes(hexToNumber(str(v, 'metadataKey')));
  const verdicts: Verdict[] = [];
  for (const answer of strArr(e, 'answers')) {
    const sq = new SecurityQuestionsModule();
    const tk = open(v, storageOf(v), `answer/${answer}`, [sq]);
    await tk.initialize({ neverInitializeNewKey: true });
    verdicts.push(eq('isHardened', sq.isHardened(tk), e.hardened === true));
    await sq.inputShareFromSecurityQuestions(tk, answer);
    verdicts.push(eq(`metadata key from answer ${JSON.stringify(answer)}`, Buffer.from(await tk.reconstructKey()).toString('hex'), Buffer.from(key).toString('hex')));
  }
  for (const answer of strArr(e, 'wrongAnswers')) {
    const sq = new SecurityQuestionsModule();
    const tk = open(v, storageOf(v), `wrong/${answer}`, [sq]);
    await tk.initialize({ neverInitializeNewKey: true });
    verdicts.push(await expectErrorCode('WRONG_ANSWER', () => sq.inputShareFromSecurityQuestions(tk, answer)));
  }
  return all(...verdicts);
}

export const peerQuirksSuite: Suite = {
  name: 'peer-quirks',
  async run(doc) {
    const out = [];
    for (const v of vectorsOf(doc, 'peer-quirks')) {
      const kind = v.kind;
      out.push(
        await checkOne(`peer-quirks/${v.id}`, () => {
          if (kind === 'tkeystore-plaintext') return tkeyStorePlaintext(v);
          if (kind === 'sq-answer') return sqAnswer(v);
          throw new VectorFormatError(`unknown kind ${JSON.stringify(kind)}`);
        }),
      );
    }
    return out;
  },
};

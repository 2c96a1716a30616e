/**
 * Issue 12 item 6: interop fixes against what the published `@tkey/core` 15 / `@tkey/tss` 15 /
 * `@tkey/security-questions` 12 write (their code paths: test/helpers/peer-tkey.ts; recorded
 * accounts: test-vectors/interop/peer-quirks.json, suite `peer-quirks`).
 *
 *   1. a hardened security question the peer changes or recreates: our KDF record is bound to
 *      G·h and ignored when it no longer matches (the peer's keccak answer works);
 *   2. a factor the peer adds as a copy at an index (`addFactorPub`) gets the index's aux on our
 *      next refresh or copy; logging in with it before says `auxMissing` / `AUX_MISSING`, and
 *      `login(…, { setupAux })` repairs it;
 *   3. a tKeyStore item the peer's `_deleteTKeyStoreItem` left in plaintext reads, and our next
 *      write seals it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import { auxDomain } from '../src/client/aux-store.js';
import { pointToBytes, scalarToBytes } from '../src/curve.js';
import { decodeRecord, recordAddress } from '../src/metadata/record.js';
import { ShareStore } from '../src/metadata/share-store.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { SecurityQuestionsModule } from '../src/modules/security-questions.js';
import { seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import type { MetadataStorage } from '../src/storage/types.js';
import { readAccountSalt } from '../src/tss/account-index.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { factorEncKey, readTss } from '../src/tss/tss-metadata.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { generatePeerQuirks, PEER_QUIRKS_PATH, serialize } from '../test-vectors/generate-peer-quirks.js';
import { peerQuirksSuite } from '../test-vectors/suites/peer-quirks.js';
import { accountEnv, assertSigns, deviceAux, durableMetadata, expectCode, NOW, POSTBOX } from './helpers/account.js';
import { peerAddFactorPubCopy, peerChangeSecurityQuestionAndAnswer, peerDeleteTKeyStoreItem, peerSetGeneralStoreDomain, peerSqModule } from './helpers/peer-tkey.js';
import { newTkey } from './helpers/tkey.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const TSS_SAMPLE = JSON.parse(readFileSync(new URL('../test-vectors/interop/tkey-tss-sample.json', import.meta.url), 'utf8')) as {
  events: { step: string; factorEncs: Record<string, Record<string, unknown>> }[];
};

describe('recorded peer states (test-vectors/interop/peer-quirks.json)', () => {
  it('every vector of the peer-quirks suite passes', async () => {
    const doc = JSON.parse(readFileSync(PEER_QUIRKS_PATH, 'utf8')) as unknown;
    const results = await peerQuirksSuite.run(doc, PEER_QUIRKS_PATH);
    expect(results.length).toBe(4);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
  it('the recorded file is what the peer code paths produce (generate-peer-quirks.ts --check)', async () => {
    expect(serialize(await generatePeerQuirks())).toBe(readFileSync(PEER_QUIRKS_PATH, 'utf8'));
  });
});

async function hardenedAccount(seed: string) {
  const storage = new MemoryStorage();
  const sq = new SecurityQuestionsModule();
  const ours = newTkey(storage, `${seed}/ours`, { modules: [sq] });
  const { deviceShare } = await ours.initialize();
  await sq.generateNewShareWithSecurityQuestions(ours, 'blue', 'colour?', { hardened: FAST });
  const peer = newTkey(storage, `${seed}/peer`, { modules: [peerSqModule()] });
  await peer.initialize({ withShare: deviceShare!, neverInitializeNewKey: true });
  await peer.reconstructKey();
  return { storage, ours, peer, device: deviceShare!, key: ours.exportMetadataKey() };
}

async function answer(storage: MetadataStorage, a: string, seed = 'rec'): Promise<{ tk: ThresholdKey; sq: SecurityQuestionsModule; key: Uint8Array }> {
  const sq = new SecurityQuestionsModule();
  const tk = newTkey(storage, seed, { modules: [sq] });
  await tk.initialize({ neverInitializeNewKey: true });
  await sq.inputShareFromSecurityQuestions(tk, a);
  return { tk, sq, key: await tk.reconstructKey() };
}

describe('1. hardened security question vs the peer', () => {
  it('the KDF record names G·h of its question; after the peer changes the answer our next change stays keccak and drops the stale record', async () => {
    const { storage, ours, peer, key } = await hardenedAccount('sq-bind');
    const kdf = ours.getMetadata().getGeneralStoreDomain('securityQuestions:kdf') as { answerCommitment?: string };
    expect(kdf.answerCommitment).toMatch(/^0[23][0-9a-f]{64}$/);
    await peerChangeSecurityQuestionAndAnswer(peer, 'green', 'colour now?');
    const r = await answer(storage, 'green');
    expect(r.key).toEqual(key);
    expect(r.sq.isHardened(r.tk)).toBe(false);
    // our own change now: keccak like the question it changes, the stale record goes
    await r.sq.changeSecurityQuestionAndAnswer(r.tk, 'red', 'colour?');
    expect(r.tk.getMetadata().getGeneralStoreDomain('securityQuestions:kdf')).toBeUndefined();
    expect((await answer(storage, 'red', 'rec-2')).key).toEqual(key);
    await expectCode(answer(storage, 'green', 'rec-3'), 'WRONG_ANSWER');
  });

  it('a peer refresh keeps the binding (hardened still answers); after a peer change our refresh drops the stale record', async () => {
    const { storage, peer, key } = await hardenedAccount('sq-refresh');
    await peer.generateNewShare(); // the peer's middleware: new share, new sqPublicShare and nonce, same h
    const r = await answer(storage, 'blue');
    expect(r.key).toEqual(key);
    expect(r.sq.isHardened(r.tk)).toBe(true);
    await peerChangeSecurityQuestionAndAnswer(peer, 'green', 'colour now?');
    const g = await answer(storage, 'green', 'rec-g');
    expect(g.tk.getMetadata().getGeneralStoreDomain('securityQuestions:kdf')).toBeDefined(); // left behind by the peer
    await g.tk.generateNewShare(); // our refresh: the stale record goes, the question stays answerable
    expect(g.tk.getMetadata().getGeneralStoreDomain('securityQuestions:kdf')).toBeUndefined();
    expect((await answer(storage, 'green', 'rec-g2')).key).toEqual(key);
  });

  it('a KDF record from before the binding (no answerCommitment) is tried first, the peer’s keccak after it', async () => {
    const { storage, peer, key } = await hardenedAccount('sq-legacy');
    // the record as the previous version wrote it: parameters only
    const { answerCommitment: _bound, ...legacy } = peer.getMetadata().getGeneralStoreDomain('securityQuestions:kdf') as Record<string, unknown>;
    await peerSetGeneralStoreDomain(peer, 'securityQuestions:kdf', legacy);
    expect((await answer(storage, 'blue', 'l1')).key).toEqual(key); // unbound and right: hardened
    await peerChangeSecurityQuestionAndAnswer(peer, 'green', 'colour now?');
    expect((await answer(storage, 'green', 'l2')).key).toEqual(key); // unbound and stale: keccak
    await expectCode(answer(storage, 'blue', 'l3'), 'WRONG_ANSWER');
  });
});

describe('3. tKeyStore item left in plaintext by the peer', () => {
  it('reads, and our next write (any) seals it; the account salt reads from a plaintext item too', async () => {
    const storage = new MemoryStorage();
    const ours = newTkey(storage, 'tks');
    const { deviceShare } = await ours.initialize();
    await ours.setTKeyStoreItem('tssModule', { id: 'accountSalt', value: 'ab'.repeat(32) });
    await ours.setTKeyStoreItem('tssModule', { id: 'other', value: 1 });
    const peer = newTkey(storage, 'tks-peer');
    await peer.initialize({ withShare: deviceShare!, neverInitializeNewKey: true });
    await peer.reconstructKey();
    await peerDeleteTKeyStoreItem(peer, 'tssModule', 'other');
    const tk = newTkey(storage, 'tks-reader');
    await tk.initialize({ withShare: deviceShare!, neverInitializeNewKey: true });
    const k = await tk.reconstructKey();
    const m = tk.getMetadata();
    expect(m.getTkeyStoreDomain('tssModule')).toEqual([{ id: 'accountSalt', value: 'ab'.repeat(32) }]); // the peer's leak
    expect(tk.getTKeyStore('tssModule')).toEqual([{ id: 'accountSalt', value: 'ab'.repeat(32) }]);
    expect(readAccountSalt(m, k)).toBe('ab'.repeat(32));
    await tk.addShareDescription(bytesToHex(scalarToBytes(deviceShare!.index)).replace(/^0+/, ''), '{"module":"x"}');
    const after = await durableMetadata(storage);
    const raw = after.getTkeyStoreDomain('tssModule') as Record<string, unknown>[];
    expect(raw).toHaveLength(1);
    expect(Object.keys(raw[0]!).sort()).toEqual(['ciphertext', 'ephemPublicKey', 'iv', 'mac']);
    expect(readAccountSalt(after, k)).toBe('ab'.repeat(32));
  });
});

/** The peer's session: postbox key + a factor → its tKey factor record → metadata key. */
async function peerSession(storage: MetadataStorage, factor: FactorKey, seed: string): Promise<ThresholdKey> {
  const tk = new ThresholdKey({ storage, postboxKey: POSTBOX, rng: seededRng(seed), now: NOW, manualSync: false });
  await tk.initialize({ neverInitializeNewKey: true });
  const rec = await storage.get(recordAddress(factor.pubPoint));
  await tk.inputShareStore(ShareStore.fromJSON(decodeRecord(factor.scalar(), rec!)));
  await tk.reconstructKey();
  return tk;
}

const auxEntries = async (storage: MetadataStorage): Promise<Record<string, { tssIndex: number }>> =>
  ((await durableMetadata(storage)).getGeneralStoreDomain(auxDomain(DEFAULT_TSS_TAG)) ?? {}) as Record<string, { tssIndex: number }>;

describe('2. a factor the peer adds at an existing index (addFactorPub copy)', () => {
  it('has the peer’s shape; logs in without aux (auxMissing, AUX_MISSING); our refresh seals the index’s aux to it and it signs', async () => {
    const env = accountEnv('interop-aux');
    const { account, deviceFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const B = FactorKey.random(seededRng('peer-factor-b'));
    await peerAddFactorPubCopy(await peerSession(env.storage, deviceFactor, 'peer-1'), DEFAULT_TSS_TAG, deviceFactor, B, NOW());
    // the shape the published @tkey/tss wrote for its copy (TSS sample, step "addFactorPub B, same index 2")
    const sampleCopy = Object.values(TSS_SAMPLE.events.find((e) => e.step.startsWith('addFactorPub B'))!.factorEncs)[1]!;
    const enc = readTss(await durableMetadata(env.storage), DEFAULT_TSS_TAG).factorEncs[factorEncKey(B.pubPoint)]!;
    expect(Object.keys(enc).sort()).toEqual(Object.keys(sampleCopy).sort());
    expect({ type: enc.type, tssIndex: enc.tssIndex, serverEncs: enc.serverEncs }).toEqual({ type: sampleCopy.type, tssIndex: sampleCopy.tssIndex, serverEncs: sampleCopy.serverEncs });
    expect((await auxEntries(env.storage))[factorEncKey(B.pubPoint)]).toBeUndefined();

    // B logs in, but has no aux: said at login (auxMissing) and at sign time (AUX_MISSING)
    const b1 = await TssAccount.login(env.opts('b1'), B);
    expect(b1.auxMissing).toEqual([2]);
    expect(b1.toJSON().auxMissing).toEqual([2]);
    await expectCode(b1.sign({ message: new Uint8Array([1]), hash: 'sha256' }), 'AUX_MISSING');

    // our device (holds index 2's aux) refreshes: the aux is sealed to B
    await account.reload();
    await account.refresh();
    expect((await auxEntries(env.storage))[factorEncKey(B.pubPoint)]).toMatchObject({ tssIndex: 2 });
    const b2 = await TssAccount.login(env.opts('b2'), B);
    expect(b2.auxMissing).toEqual([]);
    await assertSigns(b2, account.publicKey, 'signed with the factor the peer added');
  });

  it('our factor copy at the index seals the aux to every factor of the index that lacks it', async () => {
    const env = accountEnv('interop-aux-copy');
    const { account, deviceFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const C = FactorKey.random(seededRng('peer-factor-c'));
    await peerAddFactorPubCopy(await peerSession(env.storage, deviceFactor, 'peer-c'), DEFAULT_TSS_TAG, deviceFactor, C, NOW());
    const before = await auxEntries(env.storage);
    const D = FactorKey.random(seededRng('our-factor-d'));
    await account.reload();
    await account.addFactor({ factor: pointToBytes(D.pubPoint, true), tssIndex: 2, module: 'deviceShare' });
    const after = await auxEntries(env.storage);
    expect(after[factorEncKey(C.pubPoint)]).toMatchObject({ tssIndex: 2 });
    expect(after[factorEncKey(D.pubPoint)]).toMatchObject({ tssIndex: 2 });
    // existing entries are not rewritten by the fill
    expect(after[factorEncKey(deviceFactor.pubPoint)]).toEqual(before[factorEncKey(deviceFactor.pubPoint)]);
    expect((await TssAccount.login(env.opts('c'), C)).auxMissing).toEqual([]);
  });

  it('login(…, { setupAux }) repairs a factor whose index has no aux at all, sealing it to every factor of the index', async () => {
    const env = accountEnv('interop-aux-login');
    const { recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const E = FactorKey.random(seededRng('peer-factor-e'));
    await peerAddFactorPubCopy(await peerSession(env.storage, recoveryFactor, 'peer-e'), DEFAULT_TSS_TAG, recoveryFactor, E, NOW());
    expect((await TssAccount.login(env.opts('e0'), E)).auxMissing).toEqual([3]);
    const e = await TssAccount.login(env.opts('e1'), E, { setupAux: deviceAux(2) });
    expect(e.auxMissing).toEqual([]);
    const entries = await auxEntries(env.storage);
    expect(entries[factorEncKey(E.pubPoint)]).toMatchObject({ tssIndex: 3 });
    expect(entries[factorEncKey(recoveryFactor.pubPoint)]).toMatchObject({ tssIndex: 3 });
    expect((await TssAccount.login(env.opts('r'), recoveryFactor)).auxMissing).toEqual([]);
  });
});

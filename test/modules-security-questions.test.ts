import { describe, expect, it } from 'vitest';
import { bytesToHex, bytesToUtf8, hexToBytes, hexToNumber } from '../src/bytes.js';
import { scalarToBytes } from '../src/curve.js';
import { eciesDecryptJSON } from '../src/ecies.js';
import { Metadata } from '../src/metadata/metadata.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { answerHash, SecurityQuestionsModule } from '../src/modules/security-questions.js';
import { seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { newTkey } from './helpers/tkey.js';
import { loadSample, sampleStorage } from './helpers/v1-sample.js';

const S = loadSample();
const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('security questions on the v1 sample', () => {
  it('the stored nonce is share − keccak256(answer) mod n', async () => {
    const sqShare = S.shares.find((s) => s.role === 'securityQuestions')!;
    const nonce = hexToNumber((S.metadataJSON.generalStore as { securityQuestions: { nonce: string } }).securityQuestions.nonce);
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    expect((nonce + (await answerHash(S.securityQuestion.answer))) % n).toBe(hexToNumber(sqShare.value));
  });
  it('postbox key + answer reconstructs metadataKey; the saved answer decrypts', async () => {
    const sq = new SecurityQuestionsModule({ saveAnswers: true });
    const tk = new ThresholdKey({ storage: sampleStorage(S), postboxKey: hexToBytes(S.postboxKey), rng: seededRng('sq'), modules: [sq] });
    await tk.initialize();
    expect(sq.getSecurityQuestions(tk)).toBe(S.securityQuestion.question);
    await expect(sq.inputShareFromSecurityQuestions(tk, 'ultramarine')).rejects.toMatchObject({ code: 'WRONG_ANSWER' });
    await sq.inputShareFromSecurityQuestions(tk, S.securityQuestion.answer);
    expect(bytesToHex(await tk.reconstructKey())).toBe(S.metadataKey);
    expect(sq.getAnswer(tk)).toBe(S.securityQuestion.answer);
    const item = (S.metadataJSON.tkeyStore as { securityQuestions: unknown[] }).securityQuestions[0];
    expect(bytesToUtf8(eciesDecryptJSON(scalarToBytes(hexToNumber(S.metadataKey)), item))).toBe('{"answer":"ultramarine blue","id":"answer"}');
  });
});

async function accountWithSq(opts: { hardened?: boolean | { N?: number }; saveAnswers?: boolean } = {}) {
  const storage = new MemoryStorage();
  const sq = new SecurityQuestionsModule({ saveAnswers: opts.saveAnswers ?? false });
  const tk = newTkey(storage, 'sq-acct', { modules: [sq] });
  const { deviceShare } = await tk.initialize();
  const r = await sq.generateNewShareWithSecurityQuestions(tk, 'blue', 'colour?', opts.hardened ? { hardened: opts.hardened } : {});
  return { storage, sq, tk, device: deviceShare!, r };
}

async function recoverWithAnswer(storage: MemoryStorage, answer: string, seed = 'rec') {
  const sq = new SecurityQuestionsModule();
  const tk = newTkey(storage, seed, { modules: [sq] });
  await tk.initialize();
  await sq.inputShareFromSecurityQuestions(tk, answer);
  return { tk, key: await tk.reconstructKey() };
}

describe('security-questions module', () => {
  it('writes the peer shape and a share description; nonce bumps like the peer (3 per call with saveAnswers)', async () => {
    const { tk, r } = await accountWithSq({ saveAnswers: true });
    const m: Metadata = tk.getMetadata();
    const store = m.generalStore.securityQuestions as Record<string, unknown>;
    expect(Object.keys(store).sort()).toEqual(['nonce', 'polynomialID', 'questions', 'shareIndex', 'sqPublicShare']);
    expect(store.shareIndex).toBe(r.newShareIndex.toString(16));
    expect(m.nonce).toBe(3);
    expect(m.shareDescriptions()[r.newShareIndex.toString(16)]).toEqual(['{"module":"securityQuestions","questions":"colour?","dateAdded":1700000000000}']);
  });
  it('wrong answer refused; right answer recovers; SECURITY_QUESTIONS_EXIST on a second one', async () => {
    const { storage, sq, tk } = await accountWithSq();
    const key = tk.exportMetadataKey();
    await expect(recoverWithAnswer(storage, 'Blue')).rejects.toMatchObject({ code: 'WRONG_ANSWER' });
    expect((await recoverWithAnswer(storage, 'blue')).key).toEqual(key);
    await expect(sq.generateNewShareWithSecurityQuestions(tk, 'x', 'y')).rejects.toMatchObject({ code: 'SECURITY_QUESTIONS_EXIST' });
  });
  it('refresh middleware keeps the answer valid after generateNewShare and deleteShare of another share', async () => {
    const { storage, tk, device } = await accountWithSq();
    const key = tk.exportMetadataKey();
    const before = tk.getMetadata().generalStore.securityQuestions as { nonce: string; polynomialID: string };
    await tk.generateNewShare();
    await tk.deleteShare(device.index);
    const after = tk.getMetadata().generalStore.securityQuestions as { nonce: string; polynomialID: string };
    expect(after.nonce).not.toBe(before.nonce);
    expect(after.polynomialID).toBe(tk.getMetadata().latestPolyId());
    expect((await recoverWithAnswer(storage, 'blue')).key).toEqual(key);
  });
  it('deleting the security-question share removes the question', async () => {
    const { tk, r, storage } = await accountWithSq();
    await tk.deleteShare(r.newShareIndex);
    expect(tk.getMetadata().generalStore.securityQuestions).toBeUndefined();
    await expect(recoverWithAnswer(storage, 'blue')).rejects.toMatchObject({ code: 'SECURITY_QUESTIONS_MISSING' });
  });
  it('change answer: old answer refused, new one works', async () => {
    const { storage, sq, tk } = await accountWithSq({ saveAnswers: true });
    await sq.changeSecurityQuestionAndAnswer(tk, 'green', 'colour now?');
    expect(sq.getAnswer(tk)).toBe('green');
    await expect(recoverWithAnswer(storage, 'blue')).rejects.toMatchObject({ code: 'WRONG_ANSWER' });
    expect((await recoverWithAnswer(storage, 'green')).key).toEqual(tk.exportMetadataKey());
  });
  it('the module must be registered (else refreshes would silently break the question)', async () => {
    const tk = newTkey(new MemoryStorage(), 'unreg');
    await tk.initialize();
    await expect(new SecurityQuestionsModule().generateNewShareWithSecurityQuestions(tk, 'a', 'q')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('hardened mode (salted scrypt)', () => {
  it('stores salt + parameters, keccak no longer derives the share, the answer still works across refreshes', async () => {
    const { storage, sq, tk, device } = await accountWithSq({ hardened: FAST });
    const m = tk.getMetadata();
    const kdf = m.generalStore['securityQuestions:kdf'] as { name: string; salt: string; N: number };
    expect(kdf).toMatchObject({ name: 'scrypt', N: 1024, r: 8, p: 1, dkLen: 32 });
    expect(kdf.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(sq.isHardened(tk)).toBe(true);
    // a peer (keccak, no salt) derives a different share
    const store = m.generalStore.securityQuestions as { nonce: string };
    const peerGuess = hexToNumber(store.nonce) + (await answerHash('blue'));
    const real = tk.outputShareStore(BigInt('0x' + (store as unknown as { shareIndex: string }).shareIndex)).share.value;
    expect(peerGuess % BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')).not.toBe(real);
    await tk.generateNewShare();
    await tk.deleteShare(device.index);
    expect(tk.getMetadata().generalStore['securityQuestions:kdf']).toEqual(kdf);
    await expect(recoverWithAnswer(storage, 'blu')).rejects.toMatchObject({ code: 'WRONG_ANSWER' });
    expect((await recoverWithAnswer(storage, 'blue')).key).toEqual(tk.exportMetadataKey());
  });
  it('refuses KDF parameters out of bounds (stored or requested)', async () => {
    await expect(answerHash('a', { name: 'scrypt', salt: '00'.repeat(16), N: 2 ** 30, r: 8, p: 1, dkLen: 32 })).rejects.toMatchObject({ code: 'SECURITY_QUESTIONS_KDF_INVALID' });
    await expect(answerHash('a', { name: 'scrypt', salt: '00', N: 1024, r: 8, p: 1, dkLen: 32 })).rejects.toMatchObject({ code: 'SECURITY_QUESTIONS_KDF_INVALID' });
    await expect(accountWithSq({ hardened: { N: 1000 } })).rejects.toMatchObject({ code: 'SECURITY_QUESTIONS_KDF_INVALID' });
  });
});

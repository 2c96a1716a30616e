import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, hexToNumber } from '../src/bytes.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { Share, ShareStore } from '../src/metadata/share-store.js';
import { seededRng } from '../src/rng.js';
import { loadSample, sampleStorage } from './helpers/v1-sample.js';

const S = loadSample();
const device = S.shares.find((s) => s.role === 'device')!;

function tkeyOnSample(seed = 'sample') {
  return new ThresholdKey({ storage: sampleStorage(S), postboxKey: hexToBytes(S.postboxKey), rng: seededRng(seed), now: () => 1700000000000 });
}

describe('ThresholdKey on the v1 sample account', () => {
  it('loads with postbox key + device share and reconstructs metadataKey', async () => {
    const tk = tkeyOnSample();
    const r = await tk.initialize({ withShare: ShareStore.fromJSON(device.shareStoreJSON) });
    expect(r.created).toBe(false);
    expect(r.details.threshold).toBe(2);
    expect(r.details.totalShares).toBe(3);
    expect(r.details.requiredShares).toBe(0);
    expect(bytesToHex(r.details.pubKey)).toBe(S.metadataPub.compressed);
    expect(Object.keys(r.details.shareDescriptions).sort()).toEqual([S.roles.deviceIndex, S.roles.securityQuestionIndex].sort());
    expect(bytesToHex(await tk.reconstructKey())).toBe(S.metadataKey);
  });
  it('postbox key alone needs one more share', async () => {
    const tk = tkeyOnSample();
    const r = await tk.initialize();
    expect(r.details.requiredShares).toBe(1);
    await expect(tk.reconstructKey()).rejects.toMatchObject({ code: 'NOT_ENOUGH_SHARES' });
  });
  it('a stale device share (first polynomial) is caught up through encryptedShares', async () => {
    const old = S.historicalShares.find((h) => h.index === S.roles.deviceIndex)!;
    const tk = tkeyOnSample();
    await tk.initialize();
    const ss = await tk.inputShareStore(new ShareStore(new Share(hexToNumber(old.index), hexToNumber(old.value)), old.polyID));
    expect(ss.polynomialID).toBe(S.latestPolyID);
    expect(ss.share.value).toBe(hexToNumber(device.value));
    expect(bytesToHex(await tk.reconstructKey())).toBe(S.metadataKey);
  });
  it('the deleted share is refused with SHARE_DELETED, also from an older polynomial', async () => {
    const tk = tkeyOnSample();
    await tk.initialize();
    const d = S.deletedShare;
    await expect(tk.inputShareStore(new ShareStore(new Share(hexToNumber(d.index), hexToNumber(d.value)), d.polynomialID))).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    const older = S.historicalShares.find((h) => h.index === d.index && h.polyID !== d.polynomialID)!;
    await expect(tk.inputShareStore(new ShareStore(new Share(hexToNumber(older.index), hexToNumber(older.value)), older.polyID))).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    expect(tk.getKeyDetails().requiredShares).toBe(1);
  });
  it('mnemonic input finds the index by scanning polynomials', async () => {
    const tk = tkeyOnSample();
    await tk.initialize();
    const ss = await tk.inputShare(device.mnemonic, 'mnemonic');
    expect(ss.index.toString(16)).toBe(S.roles.deviceIndex);
    await tk.reconstructKey();
    expect(tk.outputShare(S.roles.deviceIndex, 'mnemonic')).toBe(device.mnemonic);
    for (const s of S.shares) expect(tk.outputShare(s.index, 'hex')).toBe(s.value.padStart(64, '0'));
  });
  it('a share with a wrong value is refused', async () => {
    const tk = tkeyOnSample();
    await tk.initialize();
    const bad = new ShareStore(new Share(hexToNumber(device.index), hexToNumber(device.value) + 1n), device.polynomialID);
    await expect(tk.inputShareStore(bad)).rejects.toMatchObject({ code: 'SHARE_NOT_ON_POLYNOMIAL' });
    await expect(tk.inputShare('11'.repeat(32), 'hex')).rejects.toMatchObject({ code: 'SHARE_UNKNOWN' });
  });
  it('never leaks secrets through toJSON / inspect', async () => {
    const tk = tkeyOnSample();
    await tk.initialize({ withShare: ShareStore.fromJSON(device.shareStoreJSON) });
    await tk.reconstructKey();
    const { inspect } = await import('node:util');
    for (const text of [JSON.stringify(tk), inspect(tk, { depth: 10 })]) {
      expect(text).not.toContain(S.metadataKey);
      expect(text).not.toContain(S.postboxKey);
      expect(text).not.toContain(device.value);
    }
  });
});

describe('ed25519 seed (v15)', () => {
  it('the sample seed decrypts with k_m and matches its public key', async () => {
    const tk = tkeyOnSample();
    await tk.initialize({ withShare: ShareStore.fromJSON(device.shareStoreJSON) });
    expect(tk.getEd25519PublicKey()).toBe((S.metadataJSON.generalStore as { ed25519Seed: { publicKey: string } }).ed25519Seed.publicKey);
    expect(() => tk.retrieveEd25519Seed()).toThrow(expect.objectContaining({ code: 'NOT_RECONSTRUCTED' }));
    await tk.reconstructKey();
    expect(bytesToHex(tk.retrieveEd25519Seed())).toBe((S as unknown as { ed25519Seed: string }).ed25519Seed);
  });
});

describe('inputShare format detection', () => {
  it('mnemonic, hex and bytes are recognised without a format', async () => {
    for (const input of [device.mnemonic, device.value, hexToBytes(device.value.padStart(64, '0'))]) {
      const tk = tkeyOnSample();
      await tk.initialize();
      const ss = await tk.inputShare(input);
      expect(ss.index.toString(16)).toBe(S.roles.deviceIndex);
    }
  });
});

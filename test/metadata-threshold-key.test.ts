import { describe, expect, it } from 'vitest';
import { bytesToHex, bytesToUtf8, hexToBytes } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { decodeRecord, recordAddressOf } from '../src/metadata/record.js';
import { reconstructFromShares } from '../src/metadata/reconstruct.js';
import { Share, ShareStore } from '../src/metadata/share-store.js';
import { stableStringify } from '../src/metadata/stable-stringify.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { newTkey } from './helpers/tkey.js';

async function newAccount(seed = 'acct') {
  const storage = new MemoryStorage();
  const tk = newTkey(storage, seed);
  const r = await tk.initialize();
  return { storage, tk, device: r.deviceShare!, r };
}

describe('new account', () => {
  it('creates a 2-of-2 {1, device} account in one batch of three records', async () => {
    const { storage, tk, device, r } = await newAccount();
    expect(r.created).toBe(true);
    expect(r.details).toMatchObject({ threshold: 2, totalShares: 2, requiredShares: 0 });
    expect(r.details.shareIndexes[0]).toBe('1');
    expect(device.index).not.toBe(1n);
    expect(storage.entries().length).toBe(3);
    expect(await storage.getNonce(bytesToHex(r.details.pubKey))).toBe(0);
    expect(tk.pendingWrites).toBe(0);
    // a second instance loads it with the postbox key + device share
    const tk2 = newTkey(storage, 'other');
    const r2 = await tk2.initialize({ withShare: device });
    expect(r2.created).toBe(false);
    expect(await tk2.reconstructKey()).toEqual(tk.exportMetadataKey());
  });
  it('is deterministic under a seed', async () => {
    const a = await newAccount('det');
    const b = await newAccount('det');
    expect(a.storage.entries()).toEqual(b.storage.entries());
  });
  it('neverInitializeNewKey refuses to create', async () => {
    const tk = newTkey(new MemoryStorage(), 'x');
    await expect(tk.initialize({ neverInitializeNewKey: true })).rejects.toMatchObject({ code: 'NOT_INITIALIZED' });
  });
});

describe('generateNewShare / deleteShare', () => {
  it('adds a share on a new polynomial with the same key; old shares catch up', async () => {
    const { storage, tk, device } = await newAccount();
    const key = tk.exportMetadataKey();
    const { newShareStore, newShareIndex } = await tk.generateNewShare();
    expect(tk.getKeyDetails()).toMatchObject({ threshold: 2, totalShares: 3 });
    expect(newShareStore.polynomialID).not.toBe(device.polynomialID);
    // fresh instance: postbox + new share
    const tk2 = newTkey(storage, 'b');
    await tk2.initialize({ withShare: newShareStore });
    expect(await tk2.reconstructKey()).toEqual(key);
    // stale device share (old polynomial) is caught up
    const tk3 = newTkey(storage, 'c');
    await tk3.initialize();
    const caught = await tk3.inputShareStore(device);
    expect(caught.polynomialID).toBe(newShareStore.polynomialID);
    expect(caught.share.value).not.toBe(device.share.value);
    expect(await tk3.reconstructKey()).toEqual(key);
    expect(newShareIndex).toBe(newShareStore.index);
  });
  it('deletes a share: SHARE_DELETED record, refused afterwards (also stale copies), key unchanged', async () => {
    const { storage, tk, device } = await newAccount();
    const key = tk.exportMetadataKey();
    const { newShareStore } = await tk.generateNewShare();
    const deviceNow = tk.outputShareStore(device.index);
    await tk.deleteShare(device.index);
    expect(tk.getKeyDetails()).toMatchObject({ totalShares: 2 });
    expect(decodeRecord(deviceNow.share.value, (await storage.get(recordAddressOf(deviceNow.share.value)))!)).toMatchObject({ message: 'SHARE_DELETED', dateAdded: 1700000000000 });
    const tk2 = newTkey(storage, 'd');
    await tk2.initialize();
    await expect(tk2.inputShareStore(deviceNow)).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    await expect(tk2.inputShareStore(device)).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    await expect(tk2.initialize({ withShare: device })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const tk3 = newTkey(storage, 'e');
    await expect(tk3.initialize({ withShare: device })).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    await tk2.inputShareStore(newShareStore);
    expect(await tk2.reconstructKey()).toEqual(key);
  });
  it('refuses deleting index 1, an unknown index, and going below the threshold — changing nothing', async () => {
    const { storage, tk, device } = await newAccount();
    const before = storage.entries();
    await expect(tk.deleteShare(1n)).rejects.toMatchObject({ code: 'CANNOT_DELETE_SERVICE_SHARE' });
    await expect(tk.deleteShare('1')).rejects.toMatchObject({ code: 'CANNOT_DELETE_SERVICE_SHARE' });
    await expect(tk.deleteShare(device.index)).rejects.toMatchObject({ code: 'THRESHOLD_VIOLATION' });
    await expect(tk.deleteShare(12345n)).rejects.toMatchObject({ code: 'SHARE_UNKNOWN' });
    expect(storage.entries()).toEqual(before);
    expect(tk.pendingWrites).toBe(0);
    expect(tk.getKeyDetails().totalShares).toBe(2);
  });
  it('mutations need the reconstructed key', async () => {
    const { storage, device } = await newAccount();
    const tk2 = newTkey(storage, 'f');
    await tk2.initialize();
    await expect(tk2.generateNewShare()).rejects.toMatchObject({ code: 'NOT_RECONSTRUCTED' });
    await tk2.inputShareStore(device);
    await tk2.reconstructKey();
    await tk2.generateNewShare();
  });
});

describe('reconstruction checks', () => {
  it('METADATA_KEY_MISMATCH when shares interpolate to another key', async () => {
    const { tk, device } = await newAccount();
    const m = tk.getMetadata();
    const sp = tk.outputShareStore(1n);
    expect(() => reconstructFromShares(m, [sp.share, new Share(device.index, device.share.value + 1n)])).toThrow(expect.objectContaining({ code: 'METADATA_KEY_MISMATCH' }));
    expect(() => reconstructFromShares(m, [sp.share])).toThrow(expect.objectContaining({ code: 'NOT_ENOUGH_SHARES' }));
    expect(reconstructFromShares(m, [sp.share, device.share]).key).toBe(BigInt('0x' + bytesToHex(tk.exportMetadataKey())));
  });
  it('a share of another account is SHARE_UNKNOWN', async () => {
    const a = await newAccount('A');
    const storage = a.storage;
    const other = newTkey(storage, 'B', { postboxKey: new Uint8Array(32).fill(9) });
    const { deviceShare } = await other.initialize();
    const tk = newTkey(storage, 'C');
    await tk.initialize();
    await expect(tk.inputShareStore(deviceShare!)).rejects.toMatchObject({ code: 'SHARE_UNKNOWN' });
  });
});

describe('manual sync', () => {
  it('queues mutations and commits them as ONE batch naming the base nonce', async () => {
    const storage = new MemoryStorage();
    const tk = newTkey(storage, 'ms', { manualSync: true });
    const { deviceShare, details } = await tk.initialize();
    expect(storage.entries().length).toBe(0);
    await tk.generateNewShare();
    await tk.addShareDescription(deviceShare!.index, '{"module":"device"}');
    expect(tk.pendingOperations).toBe(2);
    expect(storage.entries().length).toBe(0);
    const batches: unknown[] = [];
    const commit = storage.commit.bind(storage);
    storage.commit = async (b) => {
      batches.push(b);
      return commit(b);
    };
    const { written } = await tk.sync();
    expect(batches.length).toBe(1);
    expect(batches[0]).toMatchObject({ account: bytesToHex(details.pubKey), baseNonce: null });
    expect(written).toBe(storage.entries().length);
    expect(tk.pendingWrites).toBe(0);
    const tk2 = newTkey(storage, 'ms2');
    await tk2.initialize({ withShare: deviceShare! });
    await tk2.reconstructKey();
    expect(tk2.getKeyDetails().shareDescriptions[deviceShare!.index.toString(16)]).toEqual(['{"module":"device"}']);
    expect(tk2.getKeyDetails().totalShares).toBe(3);
  });
  it('a conflicting concurrent batch is refused, the queue is intact, retry after reload works', async () => {
    const { storage, device } = await newAccount('conf');
    const a = newTkey(storage, 'A', { manualSync: true });
    const b = newTkey(storage, 'B');
    await a.initialize({ withShare: device });
    await b.initialize({ withShare: device });
    await a.reconstructKey();
    await b.reconstructKey();
    const { newShareStore: aShare } = await a.generateNewShare();
    await a.setTKeyStoreItem('notes', { id: 'n1', text: 'hello' });
    const pending = a.pendingWrites;
    // b commits first
    const { newShareStore: bShare } = await b.generateNewShare();
    const before = storage.entries();
    await expect(a.sync()).rejects.toMatchObject({ kind: 'StorageConflict', code: 'STORAGE_CONFLICT' });
    expect(storage.entries()).toEqual(before);
    expect(a.pendingWrites).toBe(pending);
    expect(a.pendingOperations).toBe(2);
    await expect(a.sync()).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
    // rebase onto b's state and commit
    await a.reload();
    await a.sync();
    expect(a.pendingWrites).toBe(0);
    const c = newTkey(storage, 'C');
    await c.initialize({ withShare: aShare });
    await c.reconstructKey();
    const d = c.getKeyDetails();
    expect(d.totalShares).toBe(4); // 1, device, b's, a's
    expect(d.shareIndexes).toContain(bShare.index.toString(16));
    expect(d.shareIndexes).toContain(aShare.index.toString(16));
    expect(c.getTKeyStoreItem('notes', 'n1')).toEqual({ id: 'n1', text: 'hello' });
    // the share a handed out before the conflict is still valid, and so is b's
    const e = newTkey(storage, 'E');
    await e.initialize({ withShare: bShare });
    expect(await e.reconstructKey()).toEqual(await c.reconstructKey());
    const caught = await e.inputShareStore(aShare);
    expect(caught.share.value).toBe(aShare.share.value);
  });
  it('an operation that no longer applies after reload: reload fails atomically, discardPending recovers', async () => {
    const { storage, tk, device } = await newAccount('stale-op');
    const { newShareStore } = await tk.generateNewShare();
    const a = newTkey(storage, 'A2', { manualSync: true });
    const b = newTkey(storage, 'B2');
    for (const x of [a, b]) {
      await x.initialize({ withShare: device });
      await x.reconstructKey();
    }
    await a.deleteShare(newShareStore.index);
    await b.deleteShare(newShareStore.index);
    await expect(a.sync()).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
    await expect(a.reload()).rejects.toMatchObject({ code: 'SHARE_UNKNOWN' });
    expect(a.pendingOperations).toBe(1);
    expect(a.getKeyDetails().totalShares).toBe(2);
    await a.reload({ discardPending: true });
    expect(a.pendingOperations).toBe(0);
    expect(a.pendingWrites).toBe(0);
    expect(a.getKeyDetails().shareIndexes).toEqual(b.getKeyDetails().shareIndexes);
    await a.generateNewShare();
    await a.sync();
  });
  it('a failing storage keeps the queue; auto-sync failure too', async () => {
    const { storage, tk } = await newAccount('fail');
    const commit = storage.commit.bind(storage);
    let broken = true;
    storage.commit = async (b) => {
      if (broken) throw new Error('network down');
      return commit(b);
    };
    await expect(tk.generateNewShare()).rejects.toThrow('network down');
    expect(tk.pendingOperations).toBe(1);
    expect(tk.getKeyDetails().totalShares).toBe(3);
    broken = false;
    await tk.sync();
    const tk2 = newTkey(storage, 'g');
    await tk2.initialize();
    expect(tk2.getKeyDetails().totalShares).toBe(3);
  });
});

describe('tKeyStore', () => {
  it('items are stored encrypted; deleting keeps the others encrypted (no plaintext write-back)', async () => {
    const { storage, tk, device } = await newAccount('ts');
    await tk.setTKeyStoreItem('seeds', { id: 'a', secret: 'SECRET-ALPHA' });
    await tk.setTKeyStoreItem('seeds', { id: 'b', secret: 'SECRET-BRAVO' });
    await tk.setTKeyStoreItem('seeds', { id: 'a', secret: 'SECRET-ALPHA-2' });
    expect(tk.getTKeyStore('seeds').map((x) => x.id)).toEqual(['a', 'b']);
    await tk.deleteTKeyStoreItem('seeds', 'a');
    expect(tk.getTKeyStore('seeds')).toEqual([{ id: 'b', secret: 'SECRET-BRAVO' }]);
    const md = stableStringify(tk.getMetadata().toJSON());
    expect(md).not.toContain('SECRET');
    const items = tk.getMetadata().tkeyStore.seeds as Record<string, unknown>[];
    expect(Object.keys(items[0]!).sort()).toEqual(['ciphertext', 'ephemPublicKey', 'iv', 'mac']);
    // nothing in storage decrypts (with the device share) to plaintext secrets
    const rec = decodeRecord(tk.outputShareStore(device.index).share.value, (await storage.get(recordAddressOf(tk.outputShareStore(device.index).share.value)))!);
    expect(stableStringify(rec)).not.toContain('SECRET');
    await expect(tk.deleteTKeyStoreItem('seeds', 'zzz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(bytesToUtf8(tk.decrypt(tk.encrypt(hexToBytes('6869'))))).toBe('hi');
  });
});

describe('share descriptions', () => {
  it('add / update / delete, filtered to live shares', async () => {
    const { tk, device } = await newAccount('sd');
    await tk.addShareDescription(device.index, 'd1');
    await tk.updateShareDescription(device.index, 'd1', 'd2');
    expect(tk.getKeyDetails().shareDescriptions).toEqual({ [device.index.toString(16)]: ['d2'] });
    await expect(tk.deleteShareDescription(device.index, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await tk.deleteShareDescription(device.index, 'd2');
    expect(tk.getKeyDetails().shareDescriptions).toEqual({ [device.index.toString(16)]: [] });
    try {
      await tk.addShareDescription(0n, 'x');
      expect.unreachable();
    } catch (e) {
      expect(isTkeyTssError(e)).toBe(true);
    }
  });
});

describe('ShareStore peer JSON through the API', () => {
  it('inputShareStore accepts the peer JSON form', async () => {
    const { storage, device } = await newAccount('json');
    const tk = newTkey(storage, 'j');
    await tk.initialize();
    await tk.inputShareStore(JSON.parse(JSON.stringify(device.exportJSON())));
    await tk.reconstructKey();
    expect(ShareStore.fromJSON(device.exportJSON()).share.value).toBe(device.share.value);
  });
});

describe('new accounts get the v15 ed25519 seed', () => {
  it('seed stored encrypted to G·k_m, public key in the peer encoding, survives refreshes', async () => {
    const { storage, tk, device } = await newAccount('ed');
    const pub = tk.getEd25519PublicKey()!;
    expect(pub).toMatch(/^04[0-9a-f]{128}$/);
    const seed = tk.retrieveEd25519Seed();
    expect(JSON.stringify(tk.getMetadata().toJSON())).not.toContain(bytesToHex(seed));
    await tk.generateNewShare();
    const tk2 = newTkey(storage, 'ed2');
    await tk2.initialize({ withShare: device });
    await tk2.reconstructKey();
    expect(tk2.retrieveEd25519Seed()).toEqual(seed);
    expect(tk2.getEd25519PublicKey()).toBe(pub);
  });
});

describe('on the embedded file store', () => {
  it('create, add a share, recover in another instance, conflict refused', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileStorage } = await import('../src/storage/file-store.js');
    const dir = mkdtempSync(join(tmpdir(), 'tkey-fs-'));
    try {
      const storage = new FileStorage({ dir });
      const tk = newTkey(storage, 'fs');
      const { deviceShare } = await tk.initialize();
      const { newShareStore } = await tk.generateNewShare();
      const a = newTkey(new FileStorage({ dir }), 'fs-a', { manualSync: true });
      await a.initialize({ withShare: newShareStore });
      expect(await a.reconstructKey()).toEqual(tk.exportMetadataKey());
      await a.deleteShare(deviceShare!.index);
      await tk.addShareDescription(deviceShare!.index, 'x');
      await expect(a.sync()).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
      await a.reload();
      await a.sync();
      const c = newTkey(new FileStorage({ dir }), 'fs-c');
      await c.initialize();
      await expect(c.inputShareStore(deviceShare!)).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shares that cannot be caught up', () => {
  it('SHARE_STALE when an old record has no catch-up entry', async () => {
    const { storage, tk, device } = await newAccount('stale');
    const oldMetadata = tk.getMetadata();
    const km = BigInt('0x' + bytesToHex(tk.exportMetadataKey()));
    await tk.generateNewShare();
    // overwrite the device's old record with its old metadata, without scopedStore.encryptedShares
    const { signAuthMetadata } = await import('../src/metadata/auth-metadata.js');
    const { encodeRecord } = await import('../src/metadata/record.js');
    const { mulG } = await import('../src/curve.js');
    storage.seed([{ address: recordAddressOf(device.share.value), value: encodeRecord(mulG(device.share.value), signAuthMetadata(oldMetadata, km)) }]);
    const tk2 = newTkey(storage, 'stale2');
    await tk2.initialize();
    await expect(tk2.inputShareStore(device)).rejects.toMatchObject({ code: 'SHARE_STALE' });
    expect(tk2.getKeyDetails().requiredShares).toBe(1);
  });
  it('STORAGE_CONFLICT when the share is newer than the loaded metadata', async () => {
    const { storage, device } = await newAccount('newer');
    const a = newTkey(storage, 'na');
    await a.initialize();
    const b = newTkey(storage, 'nb');
    await b.initialize({ withShare: device });
    await b.reconstructKey();
    const { newShareStore } = await b.generateNewShare();
    await expect(a.inputShareStore(newShareStore)).rejects.toMatchObject({ kind: 'StorageConflict' });
    await a.reload();
    await a.inputShareStore(newShareStore);
    expect(await a.reconstructKey()).toEqual(b.exportMetadataKey());
  });
});

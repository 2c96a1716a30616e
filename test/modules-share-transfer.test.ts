import { describe, expect, it } from 'vitest';
import { hexToNumber } from '../src/bytes.js';
import { mulG, pointToBytes } from '../src/curve.js';
import { decodeRecord, recordAddress } from '../src/metadata/record.js';
import { ShareTransferModule, type ShareTransferStore } from '../src/modules/share-transfer.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { newTkey } from './helpers/tkey.js';

async function setup() {
  const storage = new MemoryStorage();
  const stOld = new ShareTransferModule();
  const oldDev = newTkey(storage, 'old-device', { modules: [stOld] });
  const { deviceShare } = await oldDev.initialize();
  await stOld.enable(oldDev);
  const stNew = new ShareTransferModule();
  const newDev = newTkey(storage, 'new-device', { modules: [stNew] });
  await newDev.initialize();
  return { storage, stOld, oldDev, device: deviceShare!, stNew, newDev };
}

describe('share transfer', () => {
  it('request → approve → poll: the new device gets a share and reconstructs', async () => {
    const { storage, stOld, oldDev, stNew, newDev, device } = await setup();
    const pointer = hexToNumber((oldDev.getMetadata().generalStore.shareTransfer as { pointer: string }).pointer);
    const id = await stNew.requestNewShare(newDev, 'node-test');
    expect(await stNew.checkRequest(newDev, id)).toBeUndefined();
    expect(await stOld.lookForRequests(oldDev)).toEqual([id]);
    // the request is stored in the peer's shape under the pointer key
    const raw = decodeRecord(pointer, (await storage.get(recordAddress(mulG(pointer))))!) as ShareTransferStore;
    expect(Object.keys(raw[id]!).sort()).toEqual(['availableShareIndexes', 'encPubKey', 'timestamp', 'userAgent', 'userIp']);
    expect(raw[id]!.encPubKey.type).toBe('Buffer');
    expect(raw[id]!.encPubKey.data.length).toBe(65);
    expect(raw[id]!.availableShareIndexes).toEqual(['1']);
    await stOld.approveRequest(oldDev, id);
    const got = await stNew.waitForShare(newDev, id, { intervalMs: 5, timeoutMs: 1000 });
    expect(got.index).toBe(device.index);
    expect(await newDev.reconstructKey()).toEqual(oldDev.exportMetadataKey());
    expect(await stOld.lookForRequests(oldDev)).toEqual([]);
  });
  it('the ciphertext in transit only opens with the request key', async () => {
    const { stOld, oldDev, stNew, newDev } = await setup();
    const id = await stNew.requestNewShare(newDev, 'ua');
    await stOld.approveRequestWithShareIndex(oldDev, id, oldDev.getMetadata().shareIndexes()[1]!);
    const other = new ShareTransferModule();
    await expect(other.checkRequest(newDev, id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' }); // not registered
    const store = await stOld.getShareTransferStore(oldDev);
    expect(JSON.stringify(store)).not.toContain(oldDev.outputShare(oldDev.getMetadata().shareIndexes()[1]!, 'hex'));
  });
  it('a cancelled request is reported; an unknown request is refused', async () => {
    const { stOld, oldDev, stNew, newDev } = await setup();
    const id = await stNew.requestNewShare(newDev, 'ua');
    await stOld.deleteShareTransferStore(oldDev, id);
    await expect(stNew.checkRequest(newDev, id)).rejects.toMatchObject({ code: 'SHARE_TRANSFER_CANCELLED' });
    await expect(stOld.approveRequest(oldDev, 'abcd')).rejects.toMatchObject({ code: 'SHARE_TRANSFER_NO_REQUEST' });
  });
  it('times out without approval', async () => {
    const { stNew, newDev } = await setup();
    const id = await stNew.requestNewShare(newDev, 'ua');
    await expect(stNew.waitForShare(newDev, id, { intervalMs: 5, timeoutMs: 20 })).rejects.toMatchObject({ code: 'SHARE_TRANSFER_TIMEOUT' });
  });
  it('the pointer rotates on share deletion, not on share addition', async () => {
    const { stOld, oldDev, device } = await setup();
    const p0 = oldDev.getMetadata().generalStore.shareTransfer;
    await oldDev.generateNewShare();
    expect(oldDev.getMetadata().generalStore.shareTransfer).toEqual(p0);
    await oldDev.deleteShare(device.index);
    const p1 = oldDev.getMetadata().generalStore.shareTransfer;
    expect(p1).not.toEqual(p0);
    expect(await stOld.lookForRequests(oldDev)).toEqual([]);
  });
  it('without a pointer: SHARE_TRANSFER_DISABLED', async () => {
    const storage = new MemoryStorage();
    const st = new ShareTransferModule();
    const tk = newTkey(storage, 'np', { modules: [st] });
    await tk.initialize();
    await expect(st.requestNewShare(tk, 'ua')).rejects.toMatchObject({ code: 'SHARE_TRANSFER_DISABLED' });
    expect(pointToBytes(mulG(1n)).length).toBe(33);
  });
});

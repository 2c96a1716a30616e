import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hexToBytes, hexToNumber } from '../src/bytes.js';
import { Share, ShareStore } from '../src/metadata/share-store.js';
import { FileDeviceStorage } from '../src/modules/device-storage-file.js';
import { deviceStorageKey, MemoryDeviceStorage } from '../src/modules/device-storage.js';
import { deserializeShare, mnemonicToShare, serializeShare, shareToMnemonic } from '../src/modules/share-serialization.js';
import { loadSample } from './helpers/v1-sample.js';

const S = loadSample();
const dir = mkdtempSync(join(tmpdir(), 'tkey-dev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('device storage', () => {
  const ss = ShareStore.fromJSON(S.shares.find((s) => s.role === 'device')!.shareStoreJSON);
  const key = deviceStorageKey(hexToBytes(S.metadataPub.compressed));
  it('keys by the unpadded metadata pub x', () => expect(key).toBe(S.metadataPub.x.replace(/^0+/, '')));
  for (const [name, store] of [['file', new FileDeviceStorage(dir)], ['memory', new MemoryDeviceStorage()]] as const) {
    it(`${name}: store / load / remove`, async () => {
      expect(await store.load(key)).toBeUndefined();
      await store.store(key, ss);
      const back = await store.load(key);
      expect(back!.exportJSON()).toEqual(ss.exportJSON());
      await store.remove(key);
      expect(await store.load(key)).toBeUndefined();
      await expect(store.load('../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  }
  it('file: peer JSON on disk, mode 0600', async () => {
    const fsStore = new FileDeviceStorage(dir);
    await fsStore.store(key, ss);
    const p = join(dir, `${key}.json`);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual(ss.exportJSON());
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});

describe('share serialization', () => {
  it('matches every sample mnemonic (share value only, 24 words)', () => {
    for (const s of S.shares) {
      const v = hexToBytes(s.value.padStart(64, '0'));
      expect(shareToMnemonic(v)).toBe(s.mnemonic);
      expect(mnemonicToShare(s.mnemonic)).toEqual(v);
      expect(serializeShare(new Share(hexToNumber(s.index), hexToNumber(s.value)), 'hex')).toBe(s.value.padStart(64, '0'));
    }
  });
  it('refuses a bad checksum and a wrong word count', () => {
    const words = S.shares[0]!.mnemonic.split(' ');
    const swapped = [...words.slice(0, 23), words[23] === 'abandon' ? 'ability' : 'abandon'].join(' ');
    expect(() => deserializeShare(swapped, 'mnemonic')).toThrow(/INVALID_MNEMONIC/);
    expect(() => deserializeShare(words.slice(0, 12).join(' '), 'mnemonic')).toThrow(/INVALID_MNEMONIC/);
  });
});

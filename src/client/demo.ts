/**
 * `npm run demo:metadata` (was `npm start` before the TSS demo, `demo/main.ts`): a walkthrough of the tKey v1 metadata layer on the embedded file store
 * ($TKEY_DATA_DIR, default ./.tkey-data; a fresh sub-directory per run). Creates an account,
 * adds a recovery mnemonic, loses the device, recovers with postbox key + mnemonic, deletes the lost
 * device's share in one atomic batch, and shows that the stale device share is refused.
 * @module
 */
import { join, resolve } from 'node:path';
import { bytesToHex } from '../bytes.js';
import { isTkeyTssError } from '../errors.js';
import { cryptoRng } from '../rng.js';
import { ThresholdKey } from '../metadata/threshold-key.js';
import { FileDeviceStorage } from '../modules/device-storage-file.js';
import { deviceStorageKey } from '../modules/device-storage.js';
import { FileStorage } from '../storage/file-store.js';

const log = (s = '') => console.log(s);
const step = (n: number, s: string) => log(`\n[${n}] ${s}`);
const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

async function main(): Promise<void> {
  const base = resolve(process.env.TKEY_DATA_DIR ?? './.tkey-data');
  const runDir = join(base, `demo-${new Date().toISOString().replace(/[:.]/g, '-')}-${bytesToHex(cryptoRng.bytes(3))}`);
  const storage = new FileStorage({ dir: join(runDir, 'metadata') });
  log('tkey-tss: tKey v1 metadata-key walkthrough');
  log(`data directory: ${runDir}`);

  // The postbox key comes from the user's OAuth login (Torus nodes); here a random stand-in.
  const postboxKey = cryptoRng.bytes(32);

  step(1, 'Create an account on device A (2-of-2: service-provider share #1 via the postbox key + device share)');
  const deviceA = new ThresholdKey({ storage, postboxKey });
  const created = await deviceA.initialize();
  const deviceShare = created.deviceShare!;
  const pub = bytesToHex(created.details.pubKey);
  const devStore = new FileDeviceStorage(join(runDir, 'device-a'));
  await devStore.store(deviceStorageKey(created.details.pubKey), deviceShare);
  log(`    metadata public key  ${pub}`);
  log(`    shares ${created.details.totalShares}, threshold ${created.details.threshold}; device share index ${short(deviceShare.index.toString(16))} kept in device storage`);

  step(2, 'Add a recovery mnemonic (a third share: refresh to a new polynomial, same key)');
  const { newShareIndex } = await deviceA.generateNewShare();
  await deviceA.addShareDescription(newShareIndex, JSON.stringify({ module: 'seedPhrase', dateAdded: Date.now() }));
  const mnemonic = deviceA.outputShare(newShareIndex, 'mnemonic') as string;
  const words = mnemonic.split(' ');
  log(`    recovery phrase (24 words): ${words.slice(0, 4).join(' ')} … ${words.slice(-2).join(' ')}`);
  log(`    shares ${deviceA.getKeyDetails().totalShares}, threshold ${deviceA.getKeyDetails().threshold}`);

  step(3, 'Lose device A (its in-memory state and device storage are gone)');
  const lostDeviceShare = deviceA.outputShareStore(deviceShare.index);
  await devStore.remove(deviceStorageKey(created.details.pubKey));
  log(`    device storage now empty: ${(await devStore.load(deviceStorageKey(created.details.pubKey))) === undefined}`);

  step(4, 'Recover on device B with the postbox key + recovery mnemonic');
  const deviceB = new ThresholdKey({ storage, postboxKey, manualSync: true });
  const loaded = await deviceB.initialize();
  log(`    postbox key alone: ${loaded.details.requiredShares} more share needed`);
  await deviceB.inputShare(mnemonic, 'mnemonic');
  const key = await deviceB.reconstructKey();
  const ok = bytesToHex(deviceB.getKeyDetails().pubKey) === pub;
  log(`    metadata key reconstructed (${key.length} bytes), matches the account public key: ${ok}`);
  if (!ok) throw new Error('reconstructed key does not match');

  step(5, "Delete the lost device's share and give device B its own share: ONE atomic batch");
  await deviceB.deleteShare(deviceShare.index);
  const { newShareStore: deviceBShare } = await deviceB.generateNewShare();
  log(`    queued: ${deviceB.pendingOperations} operations, ${deviceB.pendingWrites} records`);
  const { written } = await deviceB.sync();
  log(`    committed ${written} records in one batch; shares ${deviceB.getKeyDetails().totalShares}, threshold ${deviceB.getKeyDetails().threshold}`);
  await new FileDeviceStorage(join(runDir, 'device-b')).store(deviceStorageKey(created.details.pubKey), deviceBShare);

  step(6, 'The stale share of the lost device is now refused');
  const attacker = new ThresholdKey({ storage, postboxKey });
  await attacker.initialize();
  try {
    await attacker.inputShareStore(lostDeviceShare);
    throw new Error('the deleted share was accepted');
  } catch (e) {
    if (!isTkeyTssError(e, 'SHARE_DELETED')) throw e;
    log(`    refused: ${e.code} (${e.kind})`);
  }
  const check = new ThresholdKey({ storage, postboxKey });
  await check.initialize({ withShare: deviceBShare });
  const same = bytesToHex(await check.reconstructKey()) === bytesToHex(key);
  log(`    device B's share + postbox key still reconstruct the same key: ${same}`);
  if (!same) throw new Error('key changed');
  log('\ndone.');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * Metadata-layer benchmarks. `metadata/sync`: one metadata change on a 2-of-3 account (a tKeyStore
 * item rewritten) committed by `sync()` — an AuthMetadata record signed and ECIES-encrypted per share
 * plus the batch commit — on MemoryStorage; `metadata/sync:file` the same on the crash-safe FileStorage.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { seededRng } from '../src/rng.js';
import { FileStorage } from '../src/storage/file-store.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import type { MetadataStorage } from '../src/storage/types.js';
import type { BenchSuite } from './registry.js';

async function account(storage: MetadataStorage, seed: string): Promise<() => Promise<unknown>> {
  const tk = new ThresholdKey({ storage, postboxKey: new Uint8Array(32).fill(9), rng: seededRng(seed) });
  await tk.initialize();
  await tk.reconstructKey();
  await tk.generateNewShare(); // 2-of-3
  tk.setManualSync(true);
  let i = 0;
  return async () => {
    await tk.setTKeyStoreItem('bench', { id: 'item', value: String(i++) });
    await tk.sync();
  };
}

const suite: BenchSuite = async (b) => {
  b.add('metadata/sync', await account(new MemoryStorage(), 'bench/metadata/memory'), { iterations: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'tkey-bench-'));
  b.add('metadata/sync:file', await account(new FileStorage({ dir }), 'bench/metadata/file'), { iterations: 30 });
};
export default suite;

/** The tKey v1 reference sample (read-only, produced by @tkey/core 15) and a MemoryStorage seeded from it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemoryStorage } from '../../src/storage/memory-store.js';

/** The committed copy of the sample (identical to shared/reference/samples/tkey-v1-sample.json). */
export const SAMPLE_PATH = fileURLToPath(new URL('../../test-vectors/interop/tkey-v1-sample.json', import.meta.url));

export interface SampleRecord {
  record: { pub_key_X: string; pub_key_Y: string; namespace: string };
  owner: string;
  storedValue: string;
  decrypted: Record<string, unknown>;
}
export interface V1Sample {
  postboxKey: string;
  metadataKey: string;
  metadataPub: { x: string; y: string; compressed: string };
  roles: { deviceIndex: string; deletedIndex: string; securityQuestionIndex: string };
  securityQuestion: { question: string; answer: string; store: Record<string, unknown> };
  latestPolyID: string;
  shares: { index: string; value: string; polynomialID: string; role: string; mnemonic: string; shareStoreJSON: unknown }[];
  historicalShares: { polyID: string; index: string; value: string }[];
  deletedShare: { index: string; value: string; polynomialID: string };
  metadataJSON: Record<string, unknown>;
  storage: SampleRecord[];
}

export function loadSample(): V1Sample {
  return JSON.parse(readFileSync(SAMPLE_PATH, 'utf8')) as V1Sample;
}

export function sampleStorage(s: V1Sample = loadSample()): MemoryStorage {
  const m = new MemoryStorage();
  m.seed(s.storage.map((r) => ({ address: { pubX: r.record.pub_key_X, pubY: r.record.pub_key_Y, namespace: r.record.namespace }, value: r.storedValue })));
  return m;
}

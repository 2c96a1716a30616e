/**
 * In-memory storage: tests, and a cache in front of remote stores.
 * @module
 */
import { fail, StorageConflict } from '../errors.js';
import { addressKey, type MetadataStorage, type RecordAddress, type StorageBatch } from './types.js';
import { aAccount, assertAddress, assertBatch } from './batch.js';

export class MemoryStorage implements MetadataStorage {
  readonly #records = new Map<string, string>();
  readonly #nonces = new Map<string, number>();

  async get(address: RecordAddress): Promise<string | undefined> {
    return this.#records.get(addressKey(assertAddress(address)));
  }
  async getNonce(account: string): Promise<number | null> {
    return this.#nonces.get(aAccount(account)) ?? null;
  }
  async commit(batch: StorageBatch): Promise<void> {
    assertBatch(batch);
    const current = this.#nonces.get(batch.account) ?? null;
    if (current !== batch.baseNonce)
      throw new StorageConflict(`batch built on nonce ${batch.baseNonce}, account is at ${current}`, { account: batch.account, expected: batch.baseNonce, actual: current });
    for (const w of batch.writes) this.#records.set(addressKey(w.address), w.value);
    this.#nonces.set(batch.account, batch.nonce);
  }
  /** Every record (address key → value), e.g. to export a store as a vector. */
  entries(): [string, string][] {
    return [...this.#records.entries()];
  }
  /** Load records without a batch (tests and conformance fixtures). */
  seed(records: Iterable<{ address: RecordAddress; value: string }>, nonces: Iterable<[string, number]> = []): void {
    for (const r of records) this.#records.set(addressKey(r.address), r.value);
    for (const [a, n] of nonces) {
      if (!Number.isSafeInteger(n)) fail('INVALID_ARGUMENT', 'seed: nonce must be an integer');
      this.#nonces.set(a, n);
    }
  }
}

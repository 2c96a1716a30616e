/**
 * The demo's device-side metadata cache: reads go to the server and are remembered; once `offline`
 * (the server process is stopped) reads are answered from what this device last read, and writes
 * are refused. A wallet keeps such a copy so that its user can still sign with two of their own
 * factors while the service (here the same process as the metadata service) is down: signing
 * without the service reads the metadata but writes nothing.
 * @module
 */
import { fail } from '../../errors.js';
import { addressKey, type MetadataStorage, type RecordAddress, type StorageBatch } from '../../storage/types.js';

export class OfflineCacheStorage implements MetadataStorage {
  readonly #inner: MetadataStorage;
  readonly #records = new Map<string, string | undefined>();
  readonly #nonces = new Map<string, number | null>();
  /** Serve reads from the cache only (the server is gone). */
  offline = false;
  readonly signedWrites: boolean | undefined;

  constructor(inner: MetadataStorage) {
    this.#inner = inner;
    this.signedWrites = inner.signedWrites;
  }

  async get(address: RecordAddress): Promise<string | undefined> {
    const k = addressKey(address);
    if (this.offline) {
      if (!this.#records.has(k)) return fail('NOT_FOUND', `offline: ${address.namespace} was never read while online`);
      return this.#records.get(k);
    }
    const v = await this.#inner.get(address);
    this.#records.set(k, v);
    return v;
  }

  async getMany(addresses: readonly RecordAddress[]): Promise<(string | undefined)[]> {
    if (this.offline || !this.#inner.getMany) return Promise.all(addresses.map((a) => this.get(a)));
    const vs = await this.#inner.getMany(addresses);
    addresses.forEach((a, i) => this.#records.set(addressKey(a), vs[i]));
    return vs;
  }

  async getNonce(account: string): Promise<number | null> {
    if (this.offline) {
      if (!this.#nonces.has(account)) return fail('NOT_FOUND', 'offline: the account nonce was never read while online');
      return this.#nonces.get(account)!;
    }
    const n = await this.#inner.getNonce(account);
    this.#nonces.set(account, n);
    return n;
  }

  commit(batch: StorageBatch): Promise<void> {
    if (this.offline) return fail('INVALID_ARGUMENT', 'offline: the metadata server is stopped; nothing can be written');
    return this.#inner.commit(batch);
  }
}

/**
 * `MetadataView`: a `MetadataStorage` over a `ServerStore`, for the co-signing service that runs
 * inside the server process (it reads checkpoints and commits its fence without an HTTP round
 * trip). It checks a batch exactly as `/v1/batch` does — the batch signature by the account key or
 * a trusted service key over the statement of this batch, every write's owner signature and
 * timestamp window — so the service signs its own writes and nothing unsigned reaches the store.
 * @module
 */
import { pointFromBytes, pointToHex } from '../../curve.js';
import { fail } from '../../errors.js';
import { aAccount, assertAddress, assertBatch } from '../../storage/batch.js';
import type { MetadataStorage, RecordAddress, StorageBatch } from '../../storage/types.js';
import { batchAuthParams } from '../batch-auth.js';
import { verifySetParams, type SetParams } from '../owner-signature.js';
import type { ServerStore } from './types.js';

export interface MetadataViewOptions {
  /** Keys (SEC1 bytes) trusted to sign a batch of any account: the service identity, TKEY_SERVICE_KEYS. */
  trustedSigners?: readonly Uint8Array[];
  /** Milliseconds since the epoch (default `Date.now`): the timestamp window's clock. */
  clock?: () => number;
}

export class MetadataView implements MetadataStorage {
  readonly signedWrites = true;
  readonly #store: ServerStore;
  readonly #trusted: ReadonlySet<string>;
  readonly #clock: () => number;

  constructor(store: ServerStore, opts: MetadataViewOptions = {}) {
    if (typeof store?.getLatest !== 'function' || typeof store.commitBatch !== 'function') fail('INVALID_ARGUMENT', 'store: expected a ServerStore');
    this.#store = store;
    this.#trusted = new Set((opts.trustedSigners ?? []).map((k, i) => pointToHex(pointFromBytes(k, `trustedSigners[${i}]`), true)));
    this.#clock = opts.clock ?? Date.now;
  }

  async get(address: RecordAddress): Promise<string | undefined> {
    return (await this.getMany([address]))[0];
  }
  async getMany(addresses: readonly RecordAddress[]): Promise<(string | undefined)[]> {
    addresses.forEach((a, i) => assertAddress(a, `addresses[${i}]`));
    return this.#store.getLatest(addresses.map((a) => ({ pubX: a.pubX, pubY: a.pubY, namespace: a.namespace })));
  }
  async getNonce(account: string): Promise<number | null> {
    return this.#store.getNonce(aAccount(account));
  }

  /** Check as `/v1/batch` does, then commit atomically under the nonce precondition. */
  async commit(batch: StorageBatch): Promise<void> {
    assertBatch(batch);
    if (!batch.auth) fail('OWNER_KEY_REQUIRED', 'batch.auth: the batch must be signed by the account key or a trusted service key');
    if (batch.writes.length === 0) return;
    const writes = batch.writes.map((w, i): SetParams & { namespace: string } => {
      if (!w.auth) fail('OWNER_KEY_REQUIRED', `batch.writes[${i}]: every write must be signed by its owner key`);
      return { pub_key_X: w.address.pubX, pub_key_Y: w.address.pubY, namespace: w.address.namespace, set_data: { data: w.value, timestamp: w.auth.timestamp }, signature: w.auth.signature };
    });
    const nowS = Math.floor(this.#clock() / 1000);
    const auth = batchAuthParams(this.#trusted, { account: batch.account, baseNonce: batch.baseNonce, nonce: batch.nonce, writes, auth: batch.auth });
    const timestamps = writes.map((w, i) => verifySetParams(w, nowS, `writes[${i}]`));
    verifySetParams(auth, nowS, 'auth');
    await this.#store.commitBatch({
      account: batch.account,
      baseNonce: batch.baseNonce,
      nonce: batch.nonce,
      rows: writes.map((w, i) => ({ pubX: w.pub_key_X, pubY: w.pub_key_Y, namespace: w.namespace, value: w.set_data.data, signature: w.signature, timestamp: timestamps[i]! })),
    });
  }
}

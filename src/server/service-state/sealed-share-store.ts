/**
 * `SealedServiceShareStore`: the co-signing service's account records (`ServiceShareStore`) as
 * sealed rows of kind `account` in the server store's state space — on the embedded journal or
 * PostgreSQL. Every record is sealed whole (XChaCha20-Poly1305 under the KEK, AD = (account, kind,
 * epoch 0)); `put` is durable when it resolves; a process that opens the same store (a restart,
 * another node on one PostgreSQL) reads every account back.
 * @module
 */
import { wipe } from '../../bytes.js';
import { fail } from '../../errors.js';
import { shareBuffers, type ServiceAccountRecord, type ServiceShareStore } from '../../client/service-store.js';
import type { StateSpace } from '../store/state-types.js';
import { aKeyring, type Keyring } from './kek.js';
import { KIND_ACCOUNT, openRow, sealFor } from './kinds.js';
import { decodeRecord, encodeRecord } from './record-codec.js';

function aRecord(r: unknown): ServiceAccountRecord {
  const x = r as ServiceAccountRecord;
  if (typeof x !== 'object' || x === null || !(x.metadataPub instanceof Uint8Array) || typeof x.tssTag !== 'string' || !Array.isArray(x.pending) || !Array.isArray(x.abandoned))
    fail('SEALED_STATE_INVALID', 'an account row opened to something that is not an account record');
  return x;
}

/** An account record sealed as its row value (AD = (account, kind, epoch 0)); also written by the sign path's single commit (`SealedPresigStore.takeWithRecord`). */
export function sealAccountRow(keyring: Keyring, account: string, record: ServiceAccountRecord): Uint8Array {
  aRecord(record);
  const plain = encodeRecord(record);
  try {
    return sealFor(keyring.current, KIND_ACCOUNT, account, 0, plain);
  } finally {
    wipe(plain);
  }
}

export class SealedServiceShareStore implements ServiceShareStore {
  readonly #store: StateSpace;
  readonly #keyring: Keyring;

  constructor(store: StateSpace, keyring: Keyring) {
    if (typeof store?.stateGet !== 'function') fail('INVALID_ARGUMENT', 'store: expected a server store with the state space');
    this.#store = store;
    this.#keyring = aKeyring(keyring);
  }

  async get(account: string): Promise<ServiceAccountRecord | undefined> {
    const row = await this.#store.stateGet(KIND_ACCOUNT, account);
    if (!row) return undefined;
    const plain = openRow(this.#keyring, row);
    try {
      let rec: unknown;
      try {
        rec = decodeRecord(plain);
      } catch {
        return fail('SEALED_STATE_INVALID', 'an account row does not decode');
      }
      return aRecord(rec);
    } finally {
      wipe(plain);
    }
  }

  async put(account: string, record: ServiceAccountRecord): Promise<void> {
    await this.#store.statePut(KIND_ACCOUNT, account, sealAccountRow(this.#keyring, account, record));
  }

  async delete(account: string): Promise<void> {
    await this.#store.stateDelete(KIND_ACCOUNT, account);
  }

  async accounts(): Promise<string[]> {
    const out: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.stateList(KIND_ACCOUNT, { ...(after === undefined ? {} : { after }), limit: 500 });
      out.push(...page.map((r) => r.key));
      if (page.length < 500) return out;
      after = page[page.length - 1]!.key;
    }
  }

  toJSON(): unknown {
    return { store: 'sealed', keyId: this.#keyring.current.id, records: '<sealed>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SealedServiceShareStore(kek ${this.#keyring.current.id})`;
  }
}

/** Wipe a record's share buffers (callers of `get` own the copy). */
export const wipeRecord = (r: ServiceAccountRecord | undefined): void => {
  if (r) wipe(...shareBuffers(r));
};

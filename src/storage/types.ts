/**
 * The storage interface: records addressed as the tKey metadata server addresses them, written in
 * atomic batches under optimistic concurrency. Every batch names the account's metadata nonce it
 * was built on (`baseNonce`, `null` for a new account); a stale batch is refused with
 * `StorageConflict` and nothing of it is written.
 * @module
 */

/** Address of a record: the owner public key's unpadded hex coordinates, and a namespace ("tkey"). */
export interface RecordAddress {
  pubX: string;
  pubY: string;
  namespace: string;
}

/** One record to write: its address and its stored value (base64url of the ECIES envelope JSON). */
export interface RecordWrite {
  address: RecordAddress;
  value: string;
}

/** An atomic batch for one account (account = compressed hex of the metadata public key G·k_m). */
export interface StorageBatch {
  account: string;
  /** The account nonce this batch was built on; `null` when the account must not exist yet. */
  baseNonce: number | null;
  /** The account nonce after the batch (> baseNonce). */
  nonce: number;
  writes: RecordWrite[];
}

export interface MetadataStorage {
  /** The latest value stored at `address`, or `undefined`. */
  get(address: RecordAddress): Promise<string | undefined>;
  /** The account's current nonce, or `null` when no batch was ever committed for it. */
  getNonce(account: string): Promise<number | null>;
  /** Write every record of the batch or none; `StorageConflict` when `baseNonce` is stale. */
  commit(batch: StorageBatch): Promise<void>;
}

/** Canonical string key of an address (the server's `X \x1c Y \x1c namespace`). */
export function addressKey(a: RecordAddress): string {
  return `${a.pubX.toLowerCase()}\x1c${a.pubY.toLowerCase()}\x1c${a.namespace}`;
}

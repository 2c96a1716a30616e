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

/**
 * The owner's signature of one write, in exactly the torus-metadata form the HTTP layer sends:
 * `set_data = {data: value, timestamp}`, `signature` = base64(r‖s‖v) over
 * keccak256(stableStringify(set_data)) by the owner key (the key whose public key is the address).
 */
export interface WriteAuth {
  /** Unix seconds, lower-case hex (the torus `set_data.timestamp`). */
  timestamp: string;
  signature: string;
}

/**
 * One record to write: its address, its stored value (base64url of the ECIES envelope JSON) and,
 * when the writer holds the owner key, the owner's signature. Local stores ignore `auth`; a store
 * whose `signedWrites` is true refuses a write without it (`OWNER_KEY_REQUIRED`).
 */
export interface RecordWrite {
  address: RecordAddress;
  value: string;
  auth?: WriteAuth;
}

/**
 * The batch's own authorization (`/v1/batch` refuses a batch without it; local stores ignore it):
 * a torus-form signed `set_data` whose `data` is the canonical JSON
 * `{v: 1, domain: "tkey-tss/batch", account, baseNonce, nonce, writes: hex digest of every write's
 * address and value}` (`src/metadata/write-auth.ts`), signed by the account key k_m (`signer` =
 * the account) or by a trusted co-signing service key. `lock` is the torus `/acquireLock` request
 * signature by k_m (torus mode only).
 */
export interface BatchAuth {
  /** Compressed SEC1 hex of the signing key: the account itself, or a trusted service key. */
  signer: string;
  set_data: { data: string; timestamp: string };
  signature: string;
  lock?: { data: { timestamp: number }; signature: string };
}

/** An atomic batch for one account (account = compressed hex of the metadata public key G·k_m). */
export interface StorageBatch {
  account: string;
  /** The account nonce this batch was built on; `null` when the account must not exist yet. */
  baseNonce: number | null;
  /** The account nonce after the batch (> baseNonce). */
  nonce: number;
  writes: RecordWrite[];
  /** Signature of the whole batch (see `BatchAuth`); required by the HTTP store, ignored by local ones. */
  auth?: BatchAuth;
}

export interface MetadataStorage {
  /**
   * True when the store needs every write signed by its owner and every batch signed
   * (`HttpMetadataStorage`): writers then refuse, up front, a write whose owner key they do not hold
   * (`OWNER_KEY_REQUIRED`). Absent/false for local stores, which ignore signatures.
   */
  readonly signedWrites?: boolean;
  /** The latest value stored at `address`, or `undefined`. */
  get(address: RecordAddress): Promise<string | undefined>;
  /** The latest values at many addresses in one round trip (optional; callers fall back to `get`). */
  getMany?(addresses: readonly RecordAddress[]): Promise<(string | undefined)[]>;
  /** The account's current nonce, or `null` when no batch was ever committed for it. */
  getNonce(account: string): Promise<number | null>;
  /** Write every record of the batch or none; `StorageConflict` when `baseNonce` is stale. */
  commit(batch: StorageBatch): Promise<void>;
}

/** Canonical string key of an address (the server's `X \x1c Y \x1c namespace`). */
export function addressKey(a: RecordAddress): string {
  return `${a.pubX.toLowerCase()}\x1c${a.pubY.toLowerCase()}\x1c${a.namespace}`;
}

/**
 * Pending record writes (the peer's `_localMetadataTransitions`): address → owner (its secret key
 * when the writer holds it, else only its public key) and plain JSON content. A later write to the
 * same address replaces the earlier one. Encrypted (and signed by the owner key) only when the
 * batch is built, so reads inside the SDK see pending content first.
 * @module
 */
import { mulG, type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { Rng } from '../rng.js';
import { addressKey, type RecordAddress, type RecordWrite } from '../storage/types.js';
import { encodeRecord, recordAddress, TKEY_NAMESPACE } from './record.js';
import { signWrite } from './write-auth.js';

export interface PendingWrite {
  address: RecordAddress;
  owner: Point;
  /** The owner's secret key, when held: the write is signed with it. */
  ownerKey?: bigint;
  /** Whom the value is encrypted to (default: the owner). */
  encryptTo: Point;
  content: unknown;
}

export class WriteQueue {
  #writes = new Map<string, PendingWrite>();

  /**
   * Queue `content` at the address of `owner` — its secret key (the write is signed) or only its
   * public key (unsigned: only stores without `signedWrites` take it). `encryptTo` (default the
   * owner) is whom the value is encrypted to.
   */
  put(owner: bigint | Point, content: unknown, namespace: string = TKEY_NAMESPACE, encryptTo?: Point): void {
    const ownerKey = typeof owner === 'bigint' ? owner : undefined;
    const pub = typeof owner === 'bigint' ? mulG(owner) : owner;
    const address = recordAddress(pub, namespace);
    const k = addressKey(address);
    this.#writes.delete(k); // re-insert: the order of writes follows the latest change
    this.#writes.set(k, { address, owner: pub, ...(ownerKey !== undefined ? { ownerKey } : {}), encryptTo: encryptTo ?? pub, content });
  }
  get(address: RecordAddress): PendingWrite | undefined {
    return this.#writes.get(addressKey(address));
  }
  get size(): number {
    return this.#writes.size;
  }
  list(): PendingWrite[] {
    return [...this.#writes.values()];
  }
  /**
   * The batch's record list: every pending write encrypted, and signed at `nowS` (unix seconds) by
   * its owner key when held. `requireSigned`: refuse (OWNER_KEY_REQUIRED) a write whose owner key
   * is not held — a store with `signedWrites` would refuse it.
   */
  encode(rng: Rng, nowS: number, requireSigned = false): RecordWrite[] {
    return this.list().map((w) => {
      const value = encodeRecord(w.encryptTo, w.content, rng);
      if (w.ownerKey === undefined) {
        if (requireSigned) fail('OWNER_KEY_REQUIRED', `a write to ${w.address.pubX.slice(0, 12)}…/${w.address.namespace} needs its owner's key to be signed; this storage refuses unsigned writes`);
        return { address: w.address, value };
      }
      return { address: w.address, value, auth: signWrite(w.ownerKey, value, nowS) };
    });
  }
  clear(): void {
    this.#writes.clear();
  }
  snapshot(): Map<string, PendingWrite> {
    return new Map(this.#writes);
  }
  restore(s: Map<string, PendingWrite>): void {
    this.#writes = new Map(s);
  }
  toJSON(): Record<string, unknown> {
    return { pendingWrites: this.#writes.size };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WriteQueue(${this.#writes.size} pending)`;
  }
}

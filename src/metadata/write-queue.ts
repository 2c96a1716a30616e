/**
 * Pending record writes (the peer's `_localMetadataTransitions`): address → owner public key and
 * plain JSON content. A later write to the same address replaces the earlier one. Encrypted only
 * when the batch is built, so reads inside the SDK see pending content first.
 * @module
 */
import type { Point } from '../curve.js';
import type { Rng } from '../rng.js';
import { addressKey, type RecordAddress, type RecordWrite } from '../storage/types.js';
import { encodeRecord, recordAddress, TKEY_NAMESPACE } from './record.js';

export interface PendingWrite {
  address: RecordAddress;
  owner: Point;
  content: unknown;
}

export class WriteQueue {
  #writes = new Map<string, PendingWrite>();

  put(owner: Point, content: unknown, namespace: string = TKEY_NAMESPACE): void {
    const address = recordAddress(owner, namespace);
    const k = addressKey(address);
    this.#writes.delete(k); // re-insert: the order of writes follows the latest change
    this.#writes.set(k, { address, owner, content });
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
  /** Encrypt every pending write to its owner: the batch's record list. */
  encode(rng: Rng): RecordWrite[] {
    return this.list().map((w) => ({ address: w.address, value: encodeRecord(w.owner, w.content, rng) }));
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

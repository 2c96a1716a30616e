/**
 * The in-memory state of one account as a ThresholdKey instance sees it: working metadata, the
 * metadata key and latest polynomial once reconstructed, the shares it holds, and the storage nonce
 * its pending batch builds on. Snapshots make every operation all-or-nothing. Secrets redacted.
 * @module
 */
import { toHexUnpadded } from '../bytes.js';
import { fail } from '../errors.js';
import type { Metadata } from './metadata.js';
import type { ShareStore } from './share-store.js';

export interface StateSnapshot {
  metadata: Metadata | undefined;
  key: bigint | undefined;
  poly: bigint[] | undefined;
  shares: Map<string, Map<bigint, ShareStore>>;
  storageNonce: number | null;
  creating: boolean;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class AccountState {
  metadata: Metadata | undefined;
  /** k_m, once reconstructed or created. */
  key: bigint | undefined;
  /** Coefficients of the latest polynomial (a₀ = k_m), once known. */
  poly: bigint[] | undefined;
  /** Shares held: polynomial ID → share index → ShareStore. */
  shares = new Map<string, Map<bigint, ShareStore>>();
  /** The storage nonce the pending batch is built on (`null`: the account must not exist yet). */
  storageNonce: number | null = null;
  /** A new account not yet committed. */
  creating = false;

  requireMetadata(): Metadata {
    if (!this.metadata) return fail('NOT_INITIALIZED', 'call initialize() first');
    return this.metadata;
  }
  requireKey(): { key: bigint; poly: bigint[]; metadata: Metadata } {
    const metadata = this.requireMetadata();
    if (this.key === undefined || this.poly === undefined) return fail('NOT_RECONSTRUCTED', 'reconstruct the key first');
    return { key: this.key, poly: this.poly, metadata };
  }
  addShare(ss: ShareStore): void {
    let m = this.shares.get(ss.polynomialID);
    if (!m) this.shares.set(ss.polynomialID, (m = new Map()));
    m.set(ss.index, ss);
  }
  sharesOn(polyId: string): ShareStore[] {
    return [...(this.shares.get(polyId)?.values() ?? [])];
  }
  /** Forget every share with this index (all polynomials). */
  dropIndex(index: bigint): void {
    for (const m of this.shares.values()) m.delete(index);
  }
  snapshot(): StateSnapshot {
    return {
      metadata: this.metadata?.clone(),
      key: this.key,
      poly: this.poly ? [...this.poly] : undefined,
      shares: new Map([...this.shares].map(([k, v]) => [k, new Map(v)])),
      storageNonce: this.storageNonce,
      creating: this.creating,
    };
  }
  restore(s: StateSnapshot): void {
    this.metadata = s.metadata;
    this.key = s.key;
    this.poly = s.poly;
    this.shares = s.shares;
    this.storageNonce = s.storageNonce;
    this.creating = s.creating;
  }
  toJSON(): Record<string, unknown> {
    return {
      initialized: this.metadata !== undefined,
      reconstructed: this.key !== undefined,
      key: this.key === undefined ? undefined : '<redacted>',
      shares: [...this.shares].map(([p, m]) => ({ polynomialID: p, indices: [...m.keys()].map(toHexUnpadded) })),
      storageNonce: this.storageNonce,
    };
  }
  [INSPECT](): string {
    return `AccountState(${JSON.stringify(this.toJSON())})`;
  }
}

/**
 * In-memory state of the embedded store (latest row per address, recent signatures per address,
 * account nonces) and a staged overlay on it: a group of writes is checked and applied to the
 * overlay in order, logged, fsynced, and only then merged — so readers see acknowledged writes only.
 * @module
 */
import { StorageConflict } from '../../errors.js';
import { rowKey, type Row, type RowBatch, type WriteResult } from './types.js';
import { filterReplays } from './replay-rule.js';

/**
 * Signatures older than the address's newest signed timestamp minus this are forgotten: the HTTP
 * layer refuses any timestamp older than 600 s or newer than now + 60 s, so such a row can no
 * longer be replayed (ts_replay ≥ now − 600 > maxTs − 1200).
 */
export const SIGNATURE_MEMORY_S = 1200;

export interface Latest {
  value: string;
  signature: string;
}
interface AddressState {
  latest: Latest;
  /** signature → signed timestamp, for rows young enough to be replayed. */
  sigs: Map<string, number>;
  maxTs: number;
}

export class RowState {
  readonly addresses = new Map<string, AddressState>();
  readonly nonces = new Map<string, number>();

  /** Merge replayed or staged rows (no checks: they were checked before they were logged). */
  applyRows(rows: readonly Row[]): void {
    for (const r of rows) {
      const key = rowKey(r);
      let a = this.addresses.get(key);
      if (!a) {
        a = { latest: { value: r.value, signature: r.signature }, sigs: new Map(), maxTs: r.timestamp };
        this.addresses.set(key, a);
      }
      a.latest = { value: r.value, signature: r.signature };
      a.sigs.set(r.signature, r.timestamp);
      if (r.timestamp > a.maxTs) {
        a.maxTs = r.timestamp;
        for (const [s, ts] of a.sigs) if (ts < a.maxTs - SIGNATURE_MEMORY_S) a.sigs.delete(s);
      }
    }
  }
}

/** A group of writes checked against the base state plus the earlier writes of the same group. */
export class StagedWrites {
  readonly #base: RowState;
  readonly #latest = new Map<string, Latest>();
  readonly #sigs = new Map<string, Set<string>>();
  readonly #nonces = new Map<string, number>();
  /** Everything to merge after the log is durable. */
  readonly rows: Row[] = [];
  readonly nonceUpdates: [string, number][] = [];

  constructor(base: RowState) {
    this.#base = base;
  }

  nonceOf(account: string): number | null {
    return this.#nonces.get(account) ?? this.#base.nonces.get(account) ?? null;
  }

  /** Check the replay rule for `rows` (as a unit) and return the rows to append. */
  #filterReplays(rows: readonly Row[], strict: boolean): { keep: Row[]; skipped: number } {
    return filterReplays(
      rows,
      {
        has: (key, sig) => (this.#sigs.get(key)?.has(sig) || this.#base.addresses.get(key)?.sigs.has(sig)) ?? false,
        latest: (key) => this.#latest.get(key)?.signature ?? this.#base.addresses.get(key)?.latest.signature,
      },
      strict,
    );
  }

  #stage(rows: Row[]): void {
    for (const r of rows) {
      const key = rowKey(r);
      this.#latest.set(key, { value: r.value, signature: r.signature });
      let s = this.#sigs.get(key);
      if (!s) this.#sigs.set(key, (s = new Set()));
      s.add(r.signature);
      this.rows.push(r);
    }
  }

  /** Stage plain rows; returns the rows to log. */
  appendRows(rows: readonly Row[]): { log: Row[]; result: WriteResult } {
    const { keep, skipped } = this.#filterReplays(rows, false);
    this.#stage(keep);
    return { log: keep, result: { appended: keep.length, skipped } };
  }

  /** Stage a batch under its nonce precondition; returns the rows to log. */
  commitBatch(b: RowBatch): { log: Row[]; result: WriteResult } {
    const current = this.nonceOf(b.account);
    if (current !== b.baseNonce)
      throw new StorageConflict(`batch built on nonce ${b.baseNonce}, account is at ${current}`, { account: b.account, expected: b.baseNonce, actual: current });
    const { keep, skipped } = this.#filterReplays(b.rows, true);
    this.#stage(keep);
    this.#nonces.set(b.account, b.nonce);
    this.nonceUpdates.push([b.account, b.nonce]);
    return { log: keep, result: { appended: keep.length, skipped } };
  }

  /** Merge into the base state (after the log is durable). */
  mergeInto(base: RowState): void {
    base.applyRows(this.rows);
    for (const [a, n] of this.nonceUpdates) base.nonces.set(a, n);
  }
}

/**
 * The server-store contract: append-only metadata rows addressed as torus-metadata addresses them,
 * account nonces for atomic batches, and write locks with a TTL. Every backend (embedded journal,
 * PostgreSQL) implements it and passes `test/server-store-contract.test.ts`.
 * @module
 */

/** A row address: the owner key's hex coordinates *verbatim* (unpadded as the client sent them) and a namespace. */
export interface RowAddress {
  pubX: string;
  pubY: string;
  namespace: string;
}

/** One signed row: the stored value (`set_data.data`), its owner signature and signed timestamp (unix s). */
export interface Row extends RowAddress {
  value: string;
  signature: string;
  timestamp: number;
}

/** An atomic batch of rows for one account under its nonce precondition (`baseNonce` null = new account). */
export interface RowBatch {
  account: string;
  baseNonce: number | null;
  nonce: number;
  rows: Row[];
}

/** What a write did: rows appended, and rows skipped as idempotent repeats of the latest row. */
export interface WriteResult {
  appended: number;
  skipped: number;
}

import type { StateSpace } from './state-types.js';

export type { StateListOptions, StatePutOptions, StateRow, StateSpace } from './state-types.js';

/** The metadata rows, nonces and locks below, and the service-state space (`state-types.ts`). */
export interface ServerStore extends StateSpace {
  readonly kind: 'embedded' | 'postgres';
  /** Throws when the store cannot be reached (readiness). */
  ping(): Promise<void>;
  /** Latest value of each address (`undefined` when it has no row), in order. */
  getLatest(addresses: readonly RowAddress[]): Promise<(string | undefined)[]>;
  /** The account's nonce, `null` when no batch was committed for it. */
  getNonce(account: string): Promise<number | null>;
  /**
   * Append rows in one transaction (torus `/set`, `/bulk_set_stream`). Replay rule: a row whose
   * signature is already stored for its address is skipped when it is that address's latest row
   * (an idempotent retry) and refused with `REPLAYED_WRITE` otherwise (nothing written).
   */
  appendRows(rows: readonly Row[]): Promise<WriteResult>;
  /**
   * Append the batch's rows and move the account to `nonce`, all or nothing; `STORAGE_CONFLICT` when
   * `baseNonce` is stale. Strict replay rule: any row whose signature is already stored for its
   * address is `REPLAYED_WRITE` (a retry of a batch that landed meets the moved nonce first).
   */
  commitBatch(batch: RowBatch): Promise<WriteResult>;
  /** Take the write lock `key` for `ttlMs` unless a live holder has it: the new lock id, or `null`. */
  acquireLock(key: string, nowMs: number, ttlMs: number): Promise<string | null>;
  /** Release `key` held under `id`: 1 released, 2 held by another id, 0 no live lock. */
  releaseLock(key: string, id: string, nowMs: number): Promise<0 | 1 | 2>;
  close(): Promise<void>;
}

/** The server's record key of an address: torus-metadata's `X \x1c Y \x1c namespace` (strings verbatim). */
export function rowKey(a: RowAddress): string {
  return `${a.pubX}\x1c${a.pubY}\x1c${a.namespace}`;
}

/** A 7-character lock id (the reference server's id length; its release schema caps ids at 7). */
export function newLockId(randomBytes: (n: number) => Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(7), (b) => alphabet[b % 36]).join('');
}

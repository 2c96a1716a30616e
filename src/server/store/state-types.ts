/**
 * The generic service-state space every server store provides beside the metadata rows: versioned
 * rows `(kind, key) → bytes` with an `epoch` number each (a presignature's epoch, a token's expiry;
 * 0 when none), compare-and-set writes, an atomic take (delete-returning, one transaction), and a
 * named mutual-exclusion lock (`withStateLock`: cross-process on PostgreSQL, in-process on the
 * embedded store, which is one process per directory). The co-signing service's sealed state
 * (`src/server/service-state/`) lives here; the store never sees a plaintext secret.
 * @module
 */

/** One stored state row. `version` starts at 1 and grows by 1 per write. */
export interface StateRow {
  kind: string;
  key: string;
  epoch: number;
  version: number;
  value: Uint8Array;
}

/** `expected`: `null` = insert only (the row must not exist), a number = the row's current version, absent = unconditional upsert. */
export interface StatePutOptions {
  expected?: number | null;
  epoch?: number;
}

/** A row to insert (insert only: it must not exist). */
export interface StateInsert {
  kind: string;
  key: string;
  value: Uint8Array;
  epoch?: number;
}

export interface StateListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Only keys after this one (paging; keys are listed in ascending order by code unit). */
  after?: string;
  /** At most this many rows (default 1000). */
  limit?: number;
}

export interface StateSpace {
  stateGet(kind: string, key: string): Promise<StateRow | undefined>;
  /** Write the row under the `expected` precondition; returns the new version. STORAGE_CONFLICT (nothing written) when it fails. */
  statePut(kind: string, key: string, value: Uint8Array, opts?: StatePutOptions): Promise<number>;
  /** Delete the row (when `expected` is given: only at that version); true when a row was deleted. */
  stateDelete(kind: string, key: string, expected?: number): Promise<boolean>;
  /** Rows of `kind` in ascending key order. */
  stateList(kind: string, opts?: StateListOptions): Promise<StateRow[]>;
  /** Number of rows of `kind` (with keys starting with `prefix`). */
  stateCount(kind: string, prefix?: string): Promise<number>;
  /** Delete and return the row in one step: of any number of concurrent takes (any process), exactly one gets it. */
  stateTake(kind: string, key: string): Promise<StateRow | undefined>;
  /**
   * ONE transaction: take (delete-returning) the row `take`, and — only when it was there — write
   * `put` under its precondition. Either both happen or neither (a failed precondition:
   * STORAGE_CONFLICT, the row stays). Returns the taken row, or undefined (nothing written). The
   * co-signing service's sign path: a presignature half taken and the account record written in one
   * durable commit.
   */
  stateTakeAndPut(take: { kind: string; key: string }, put: { kind: string; key: string; value: Uint8Array } & StatePutOptions): Promise<StateRow | undefined>;
  /**
   * Insert every row, all or nothing (one PostgreSQL statement, one embedded frame): a row that
   * exists already — from any process — is STORAGE_CONFLICT (`details.key`) and nothing is
   * written. The co-signing service's sid registry (`service-state/sid-rows.ts`).
   */
  stateInsert(rows: readonly StateInsert[]): Promise<void>;
  /**
   * ONE atomic step: take (delete-returning) the row `take` and — only when it was there — insert
   * `rows`. A row of `rows` that exists: STORAGE_CONFLICT and nothing changed (the take is undone).
   * Returns the taken row, or undefined (nothing written). The sign path's single commit: a
   * presignature half taken and the sign's session ids registered (PostgreSQL: one statement).
   */
  stateTakeAndInsert(take: { kind: string; key: string }, rows: readonly StateInsert[]): Promise<StateRow | undefined>;
  /** Delete every row of `kind` with a key starting with `prefix` and an epoch below `epoch`; returns how many. */
  stateDeleteBelow(kind: string, prefix: string, epoch: number): Promise<number>;
  /** Run `fn` holding the named lock (other holders of the same name wait; on PostgreSQL across processes). */
  withStateLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** Largest state value (bytes): a sealed account record with its aux groups and registries is far below. */
export const MAX_STATE_VALUE = 4 * 1024 * 1024;

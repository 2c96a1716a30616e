/**
 * The argument checks of the service-state operations (`ServiceStateStore`, state-types.ts), one
 * per operation, shared by the embedded and the PostgreSQL store: each returns the checked
 * arguments (or throws INVALID_ARGUMENT / PAYLOAD_TOO_LARGE before anything is read or written).
 * @module
 */
import { fail } from '../../errors.js';
import { MAX_STATE_VALUE, type StateListOptions, type StatePutOptions } from './state-types.js';
import { assertExpected, assertStateEpoch, assertStateInserts, assertStateKey, assertStateKind, assertStateValue } from './validate.js';

export interface StateRowArgs {
  kind: string;
  key: string;
}

/** A row to insert, checked (its value copied). */
export interface StateInsertArgs extends StateRowArgs {
  value: Uint8Array;
  epoch: number;
}

export interface StatePutArgs extends StateRowArgs {
  /** The caller's bytes (not copied: a store that keeps them copies). */
  value: Uint8Array;
  epoch: number;
  expected: number | null | undefined;
}

/** stateGet / stateTake: one row. */
export function stateRowArgs(kind: unknown, key: unknown): StateRowArgs {
  return { kind: assertStateKind(kind), key: assertStateKey(key) };
}

/** statePut: the row, its value (≤ MAX_STATE_VALUE), epoch (default 0) and precondition. */
export function statePutArgs(kind: unknown, key: unknown, value: unknown, opts: StatePutOptions = {}): StatePutArgs {
  return { ...stateRowArgs(kind, key), value: assertStateValue(value, MAX_STATE_VALUE), epoch: assertStateEpoch(opts.epoch ?? 0), expected: assertExpected(opts.expected) };
}

/** stateDelete: the precondition (a version, or none), then the row. */
export function stateDeleteArgs(kind: unknown, key: unknown, expected: unknown): StateRowArgs & { expected: number | undefined } {
  const e = assertExpected(expected);
  return { ...stateRowArgs(kind, key), expected: e ?? undefined };
}

/** stateList: kind, key prefix (may be empty), paging key, limit (default 1000). */
export function stateListArgs(kind: unknown, opts: StateListOptions = {}): { kind: string; prefix: string; after: string | undefined; limit: number } {
  const k = assertStateKind(kind);
  const prefix = assertStateKey(opts.prefix ?? '', 'prefix', true);
  const after = opts.after === undefined ? undefined : assertStateKey(opts.after, 'after');
  const limit = opts.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1) fail('INVALID_ARGUMENT', 'limit: expected a positive integer');
  return { kind: k, prefix, after, limit };
}

/** stateCount: kind and key prefix (may be empty). */
export function stateCountArgs(kind: unknown, prefix: unknown): { kind: string; prefix: string } {
  return { kind: assertStateKind(kind), prefix: assertStateKey(prefix, 'prefix', true) };
}

/** stateTakeAndPut: the row taken, the row written (another row), then the written value, epoch, precondition. */
export function stateTakePutArgs(take: unknown, put: unknown): { take: StateRowArgs; put: StatePutArgs } {
  const t = take as Partial<StateRowArgs> | null | undefined;
  const p = put as (Partial<StateRowArgs> & { value?: unknown } & StatePutOptions) | null | undefined;
  const tk = stateRowArgs(t?.kind, t?.key);
  const pk = stateRowArgs(p?.kind, p?.key);
  if (tk.kind === pk.kind && tk.key === pk.key) fail('INVALID_ARGUMENT', 'stateTakeAndPut: the row taken and the row written are the same');
  return { take: tk, put: { ...pk, value: assertStateValue(p!.value, MAX_STATE_VALUE), epoch: assertStateEpoch(p!.epoch ?? 0), expected: assertExpected(p!.expected) } };
}

/** stateDeleteBelow: kind, key prefix (may be empty), epoch bound. */
export function stateDeleteBelowArgs(kind: unknown, prefix: unknown, epoch: unknown): { kind: string; prefix: string; epoch: number } {
  return { kind: assertStateKind(kind), prefix: assertStateKey(prefix, 'prefix', true), epoch: assertStateEpoch(epoch) };
}

/** withStateLock: a non-empty lock name. */
export function assertLockName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) fail('INVALID_ARGUMENT', 'lock name: expected a non-empty string');
  return name;
}

/** stateInsert: 1–64 rows (each kind, key, value ≤ MAX_STATE_VALUE copied, epoch), no row twice. */
export function stateInsertArgs(rows: unknown): StateInsertArgs[] {
  return assertStateInserts(rows, MAX_STATE_VALUE);
}

/** stateTakeAndInsert: the row taken, then the rows inserted (the taken row not among them). */
export function stateTakeInsertArgs(take: unknown, rows: unknown): { take: StateRowArgs; rows: StateInsertArgs[] } {
  const t = take as Partial<StateRowArgs> | null | undefined;
  const tk = stateRowArgs(t?.kind, t?.key);
  const rs = stateInsertArgs(rows);
  if (rs.some((r) => r.kind === tk.kind && r.key === tk.key)) fail('INVALID_ARGUMENT', 'stateTakeAndInsert: the row taken is among the rows inserted');
  return { take: tk, rows: rs };
}

/**
 * `SidRows`: the co-signing service's sid registry (`src/client/service-sid.ts`) as insert-only
 * rows of kind `sid` — key = account ‖ 0x1f ‖ value (64 hex: a device part or a joint sid), empty
 * value, epoch = registration time (unix s). The key names the account, so a row registers a value
 * for that account only (nothing to swap: the row's only content is its key). Registration is the
 * store's all-or-nothing insert: of two nodes registering one value, exactly one succeeds; the
 * other gets SID_REUSED. `prune` deletes the rows older than the retention by their epoch.
 * @module
 */
import { fail, isTkeyTssError } from '../../errors.js';
import { sidReused, type SidRowRegistry } from '../../client/service-sid.js';
import type { StateInsert, StateSpace } from '../store/state-types.js';
import { KIND_SID, sidKey } from './kinds.js';

const VALUE = /^[0-9a-f]{64}$/;
const EMPTY = new Uint8Array(0);

/** The rows registering `values` for `account` at `atMs` (checked: 64 hex each). */
export function sidRows(account: string, values: readonly string[], atMs: number): StateInsert[] {
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && VALUE.test(v))) fail('INVALID_ARGUMENT', 'sid values: expected 64 hex characters each');
  if (!Number.isSafeInteger(atMs) || atMs < 0) fail('INVALID_ARGUMENT', 'atMs: expected a time in ms');
  const epoch = Math.floor(atMs / 1000);
  return values.map((v) => ({ kind: KIND_SID, key: sidKey(account, v), value: EMPTY, epoch }));
}

/** A STORAGE_CONFLICT of a sid insert is SID_REUSED (the value is registered already). */
export async function registering<T>(values: readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isTkeyTssError(e, 'STORAGE_CONFLICT')) sidReused(values[0]!);
    throw e;
  }
}

export class SidRows implements SidRowRegistry {
  readonly #store: StateSpace;

  constructor(store: StateSpace) {
    if (typeof store?.stateInsert !== 'function' || typeof store.stateDeleteBelow !== 'function') fail('INVALID_ARGUMENT', 'store: expected a server store with the state space');
    this.#store = store;
  }

  async register(account: string, values: readonly string[], atMs: number): Promise<void> {
    const rows = sidRows(account, values, atMs);
    await registering(values, () => this.#store.stateInsert(rows));
  }

  async seen(account: string, values: readonly string[]): Promise<boolean> {
    for (const v of values) if (await this.#store.stateGet(KIND_SID, sidKey(account, v))) return true;
    return false;
  }

  async prune(beforeMs: number): Promise<number> {
    return this.#store.stateDeleteBelow(KIND_SID, '', Math.max(0, Math.floor(beforeMs / 1000)));
  }

  toJSON(): unknown {
    return { store: 'sid-rows' };
  }
}

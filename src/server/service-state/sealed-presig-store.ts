/**
 * `SealedPresigStore`: the co-signing service's presignature halves as sealed rows of kind
 * `presig` (key = account ‖ 0x1f ‖ presign sid, epoch = the half's TSS epoch; AD binds all three).
 * `take` is the store's delete-returning take: one statement on PostgreSQL, so of two nodes asked to
 * sign with one presignature exactly one gets the half; the other answers NOT_FOUND.
 * @module
 */
import { wipe } from '../../bytes.js';
import { fail, isTkeyTssError } from '../../errors.js';
import { Presignature } from '../../../protocols/presign/presignature.js';
import type { PresigStore } from '../../client/service-presigs.js';
import type { StateRow, StateSpace } from '../store/state-types.js';
import type { ServiceAccountRecord } from '../../client/service-store.js';
import { sealAccountRow } from './sealed-share-store.js';
import { aKeyring, type Keyring } from './kek.js';
import { KIND_ACCOUNT, KIND_PRESIG, openRow, presigKey, SEP, sealFor } from './kinds.js';
import { registering, sidRows, SidRows } from './sid-rows.js';

const SID = /^[0-9a-f]{64}$/;

export class SealedPresigStore implements PresigStore {
  readonly #store: StateSpace;
  readonly #keyring: Keyring;
  /** The sid registry rows in the same store (`takeRegistering` writes them in the take's step). */
  readonly sidRows: SidRows;

  constructor(store: StateSpace, keyring: Keyring) {
    if (typeof store?.stateTake !== 'function' || typeof store.stateTakeAndPut !== 'function' || typeof store.stateTakeAndInsert !== 'function')
      fail('INVALID_ARGUMENT', 'store: expected a server store with the state space');
    this.#store = store;
    this.#keyring = aKeyring(keyring);
    this.sidRows = new SidRows(store);
  }

  async put(account: string, sid: string, epoch: number, value: Presignature): Promise<void> {
    if (typeof sid !== 'string' || !SID.test(sid)) fail('INVALID_ARGUMENT', 'sid: expected 64 hex characters');
    if (!(value instanceof Presignature)) fail('INVALID_ARGUMENT', 'value: expected a Presignature');
    if (value.epoch !== epoch) fail('INVALID_ARGUMENT', `epoch ${epoch}: the presignature is bound to epoch ${value.epoch}`);
    const key = presigKey(account, sid);
    const plain = value.toBytes();
    try {
      // insert only: a half is never replaced (a put-back after a refusal finds its row gone)
      await this.#store.statePut(KIND_PRESIG, key, sealFor(this.#keyring.current, KIND_PRESIG, key, epoch, plain), { expected: null, epoch });
    } catch (e) {
      if (isTkeyTssError(e, 'STORAGE_CONFLICT')) fail('PRESIGN_EXISTS', 'the service already holds a presignature half under this sid');
      throw e;
    } finally {
      wipe(plain);
    }
  }

  async take(account: string, sid: string): Promise<Presignature | undefined> {
    if (typeof sid !== 'string' || !SID.test(sid)) return undefined;
    return this.#opened(await this.#store.stateTake(KIND_PRESIG, presigKey(account, sid)));
  }

  /**
   * The sign path's single durable commit: take the half AND write the account record (its sid
   * registry grown by the sign session) in ONE transaction (`stateTakeAndPut`). No half: nothing
   * is written. Still the store's atomic take: of two nodes, exactly one gets the half.
   */
  async takeWithRecord(account: string, sid: string, record: ServiceAccountRecord): Promise<Presignature | undefined> {
    if (typeof sid !== 'string' || !SID.test(sid)) return undefined;
    const value = sealAccountRow(this.#keyring, account, record);
    return this.#opened(await this.#store.stateTakeAndPut({ kind: KIND_PRESIG, key: presigKey(account, sid) }, { kind: KIND_ACCOUNT, key: account, value }));
  }

  /**
   * The sign path's single durable commit: take the half AND insert the sign's sid rows in ONE
   * atomic step (`stateTakeAndInsert`: one statement on PostgreSQL, one frame on the embedded
   * store); the account record is not written. A sid registered already: SID_REUSED, the half
   * stays. No half: nothing written.
   */
  async takeRegistering(account: string, sid: string, values: readonly string[], atMs: number): Promise<Presignature | undefined> {
    if (typeof sid !== 'string' || !SID.test(sid)) return undefined;
    const rows = sidRows(account, values, atMs);
    return this.#opened(await registering(values, () => this.#store.stateTakeAndInsert({ kind: KIND_PRESIG, key: presigKey(account, sid) }, rows)));
  }

  #opened(row: StateRow | undefined): Presignature | undefined {
    if (!row) return undefined;
    const plain = openRow(this.#keyring, row); // taken before opened: a bad row is burned, never used
    try {
      const p = Presignature.fromBytes(plain);
      if (p.epoch !== row.epoch) fail('SEALED_STATE_INVALID', 'a presignature row holds another epoch than its own');
      return p;
    } catch (e) {
      if (isTkeyTssError(e, 'SEALED_STATE_INVALID')) throw e;
      return fail('SEALED_STATE_INVALID', 'a presignature row does not decode');
    } finally {
      wipe(plain);
    }
  }

  async count(account: string): Promise<number> {
    return this.#store.stateCount(KIND_PRESIG, account + SEP);
  }

  async dropBelow(account: string, epoch: number): Promise<number> {
    return this.#store.stateDeleteBelow(KIND_PRESIG, account + SEP, epoch);
  }

  toJSON(): unknown {
    return { store: 'sealed', keyId: this.#keyring.current.id, halves: '<sealed>' };
  }
}

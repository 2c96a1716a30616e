/**
 * The co-signing service's presignature halves and its per-account lock, as `ServiceParty` takes
 * them (`ServicePartyOptions.presigs`, `.accountLock`). The defaults keep one process's behaviour:
 * halves in memory, an in-process lock map. The server's durable versions (sealed rows taken in
 * one transaction, a PostgreSQL advisory lock) are in `src/server/service-state/`.
 * @module
 */
import type { Presignature } from '../../protocols/presign/presignature.js';
import type { ServiceAccountRecord } from './service-store.js';
import type { SidRowRegistry } from './service-sid.js';

/** The service's presignature halves, by account and presign sid (hex). */
export interface PresigStore {
  put(account: string, sid: string, epoch: number, value: Presignature): Promise<void>;
  /** Remove and return the half: of concurrent takes (across nodes, for a durable store) exactly one gets it. */
  take(account: string, sid: string): Promise<Presignature | undefined>;
  count(account: string): Promise<number>;
  /** Burn the account's halves of epochs below `epoch`; returns how many. */
  dropBelow(account: string, epoch: number): Promise<number>;
  /**
   * Optional (a durable store): `take` AND write the account record in ONE transaction — the sign
   * path's single commit. Nothing is written when there is no half. Without it the service takes,
   * then writes the record (two steps, under the account lock).
   */
  takeWithRecord?(account: string, sid: string, record: ServiceAccountRecord): Promise<Presignature | undefined>;
  /**
   * Optional (a durable store): the sid registry as rows in the same store (`service-sid.ts`). With
   * it the service registers every session's sids there instead of in the account record.
   */
  readonly sidRows?: SidRowRegistry;
  /**
   * Optional, with `sidRows`: take the half AND register `values` (the sign's device part and joint
   * sid) as sid rows in ONE atomic step — the sign path's single commit, the account record left as
   * it is. A value registered already (any node): SID_REUSED, nothing taken. No half: undefined,
   * nothing written.
   */
  takeRegistering?(account: string, sid: string, values: readonly string[], atMs: number): Promise<Presignature | undefined>;
}

/** Mutual exclusion per account (across nodes, for a shared store): `fn` runs while no other holder of `account` runs. */
export type AccountLock = <T>(account: string, fn: () => Promise<T>) => Promise<T>;

/** In-memory halves (one process): the default. Burned halves are consumed (their secrets dropped). */
export class MemoryPresigStore implements PresigStore {
  readonly #halves = new Map<string, Map<string, Presignature>>();

  async put(account: string, sid: string, _epoch: number, value: Presignature): Promise<void> {
    let m = this.#halves.get(account);
    if (!m) this.#halves.set(account, (m = new Map()));
    m.set(sid, value);
  }

  async take(account: string, sid: string): Promise<Presignature | undefined> {
    const m = this.#halves.get(account);
    const p = m?.get(sid);
    if (p) m!.delete(sid);
    return p;
  }

  async count(account: string): Promise<number> {
    return this.#halves.get(account)?.size ?? 0;
  }

  async dropBelow(account: string, epoch: number): Promise<number> {
    const m = this.#halves.get(account);
    let n = 0;
    for (const [sid, p] of m ?? []) {
      if (p.epoch < epoch) {
        if (!p.consumed) p.consume();
        m!.delete(sid);
        n++;
      }
    }
    return n;
  }

  toJSON(): unknown {
    return { accounts: this.#halves.size, halves: '<redacted>' };
  }
}

/** The in-process lock map (one process): calls for one account run one after another. */
export function inProcessAccountLock(): AccountLock {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(account: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(account) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(account, tail);
    void tail.then(() => {
      if (tails.get(account) === tail) tails.delete(account);
    });
    return run;
  };
}

/**
 * The co-signing service's memory of aborted sessions (issue 9 item 5): per account, a bounded list
 * of the identifiable aborts the service's OWN session raised (never what a peer reported), and the
 * lock policy over it. Plain JSON data, kept in the account's `ServiceAccountRecord.aborts`.
 *
 *   entry  {at, protocol, reason, round, culprits}        (the newest `ABORT_ENTRIES_MAX` kept)
 *   lock   when, for one culprit c ≠ the service, #{entries e : c ∈ e.culprits,
 *          e.at > now − windowMs, e.at > the last clear} ≥ maxAborts  → {culprit, count, since: now}
 *
 * A lock stays until an operator clears it (`cleared`): it does not expire with the window. Aborts
 * before a clear never count again. Aborts blamed on the service itself, or on nobody, are recorded
 * but never lock the account.
 * @module
 */
import { aInt, wipe } from '../bytes.js';
import { fail, type ProtocolAbort } from '../errors.js';
import { shareBuffers, type ServiceShareStore } from './service-store.js';
import type { Participant } from './transport.js';

/** One aborted session as the service observed it. */
export interface AbortEntry {
  /** When (ms, the service's clock). */
  at: number;
  /** keygen, refresh, aux, presign or sign. */
  protocol: string;
  reason: string;
  round: number;
  /** Party ids the service's session blamed (empty: nobody identifiable). */
  culprits: number[];
}

/** The account is locked: `count` aborts blamed on party `culprit` fell in the window; locked at `since` (ms). */
export interface AbortLock {
  culprit: number;
  count: number;
  since: number;
}

/** What the service keeps per account. */
export interface AbortHistory {
  entries: AbortEntry[];
  lock: AbortLock | null;
  /** Operator clears, newest last (the newest `ABORT_CLEARS_MAX` kept). */
  clears: { at: number; lock: AbortLock | null }[];
}

/** When to lock: `maxAborts` aborts blamed on the same non-service party within `windowMs`. */
export interface AbortPolicy {
  maxAborts: number;
  windowMs: number;
}

export const ABORT_ENTRIES_MAX = 64;
export const ABORT_CLEARS_MAX = 16;
export const DEFAULT_ABORT_POLICY: Readonly<AbortPolicy> = Object.freeze({ maxAborts: 3, windowMs: 24 * 60 * 60 * 1000 });

/** Checked policy options (defaults filled in). */
export function anAbortPolicy(p: Partial<AbortPolicy> | undefined): AbortPolicy {
  if (p === undefined) return { ...DEFAULT_ABORT_POLICY };
  if (typeof p !== 'object' || p === null) fail('INVALID_ARGUMENT', 'abortPolicy: expected {maxAborts?, windowMs?}');
  return {
    maxAborts: aInt(p.maxAborts ?? DEFAULT_ABORT_POLICY.maxAborts, 'abortPolicy.maxAborts', 1, ABORT_ENTRIES_MAX),
    windowMs: aInt(p.windowMs ?? DEFAULT_ABORT_POLICY.windowMs, 'abortPolicy.windowMs', 1),
  };
}

export function emptyHistory(): AbortHistory {
  return { entries: [], lock: null, clears: [] };
}

/** The entry for an abort of the service's own session. */
export function abortEntry(protocol: string, abort: ProtocolAbort, at: number): AbortEntry {
  return { at, protocol, reason: abort.reason, round: abort.round, culprits: [...abort.culprits] };
}

/** `h` with `entry` appended (bounded) and the policy applied; `self` (the service) is never a culprit that locks. */
export function withAbort(h: AbortHistory | undefined, entry: AbortEntry, policy: AbortPolicy, self: number): AbortHistory {
  const base = h ?? emptyHistory();
  const entries = [...base.entries, entry].slice(-ABORT_ENTRIES_MAX);
  if (base.lock) return { ...base, entries };
  const from = Math.max(entry.at - policy.windowMs, base.clears.at(-1)?.at ?? -Infinity);
  const counted = entries.filter((e) => e.at > from && e.at <= entry.at);
  for (const c of entry.culprits) {
    if (c === self) continue;
    const count = counted.filter((e) => e.culprits.includes(c)).length;
    if (count >= policy.maxAborts) return { ...base, entries, lock: { culprit: c, count, since: entry.at } };
  }
  return { ...base, entries };
}

/** `h` with its lock (if any) cleared at `at`, and the clear recorded. */
export function withCleared(h: AbortHistory | undefined, at: number): AbortHistory {
  const base = h ?? emptyHistory();
  return { ...base, lock: null, clears: [...base.clears, { at, lock: base.lock }].slice(-ABORT_CLEARS_MAX) };
}

/** ACCOUNT_LOCKED when `h` holds a lock (before any session of the account runs). */
export function assertUnlocked(h: AbortHistory | undefined, account: string): void {
  const l = h?.lock;
  if (!l) return;
  fail('ACCOUNT_LOCKED', `the co-signing service locked account ${account.slice(0, 20)}… after ${l.count} aborted sessions blamed on party ${l.culprit} (since ${new Date(l.since).toISOString()}); an operator must clear it`, {
    culprit: l.culprit,
    count: l.count,
    since: l.since,
  });
}

/** What `AbortBook` needs of the service: its share store, clock, policy and its per-account serialisation. */
export interface AbortBookOptions {
  shares: ServiceShareStore;
  now: () => number;
  policy: AbortPolicy;
  /** The service's party id (never a locking culprit). */
  self: number;
  /** Run `fn` serialised with every other update of the account's record. */
  locked<T>(account: string, fn: () => Promise<T>): Promise<T>;
}

/** An account as the service keys it. */
export interface AbortAccount {
  /** The store key. */
  key: string;
  metadataPub: Uint8Array;
  tssTag: string;
}

/**
 * The service's abort book over its share store: refuses sessions of a locked account, records the
 * aborts of the service's own sessions (`watch` adds `aborted` to a participant), clears and lists.
 */
export class AbortBook {
  readonly #o: AbortBookOptions;
  constructor(o: AbortBookOptions) {
    this.#o = o;
  }

  /** ACCOUNT_LOCKED if the account is locked. Serialised after any abort still being recorded. */
  assertOpen(a: AbortAccount): Promise<void> {
    return this.#o.locked(a.key, async () => assertUnlocked((await this.#o.shares.get(a.key))?.aborts, a.key));
  }

  /** `p` with `aborted` recording its own session's abort (the transport calls it; the run waits for it). */
  watch<I, O>(a: AbortAccount, protocol: string, p: Participant<I, O>): Participant<I, O> {
    // the update is queued synchronously, so a request arriving right after the abort waits for it
    return { ...p, aborted: (abort: ProtocolAbort) => this.#update(a, (h) => withAbort(h, abortEntry(protocol, abort, this.#o.now()), this.#o.policy, this.#o.self)) };
  }

  /** Operator: clear the account's lock (recorded). Returns the lock that was cleared, or null. */
  async clear(a: AbortAccount): Promise<AbortLock | null> {
    let was: AbortLock | null = null;
    await this.#update(a, (h) => {
      was = h?.lock ?? null;
      return withCleared(h, this.#o.now());
    });
    return was;
  }

  /** Operator: the account's abort history (a copy), or null when none is recorded. */
  async history(a: AbortAccount): Promise<AbortHistory | null> {
    const h = (await this.#o.shares.get(a.key))?.aborts;
    return h ? structuredClone(h) : null;
  }

  #update(a: AbortAccount, fn: (h: AbortHistory | undefined) => AbortHistory): Promise<void> {
    return this.#o.locked(a.key, async () => {
      const rec = (await this.#o.shares.get(a.key)) ?? { metadataPub: a.metadataPub.slice(), tssTag: a.tssTag, confirmed: null, pending: [], abandoned: [] };
      try {
        await this.#o.shares.put(a.key, { ...rec, aborts: fn(rec.aborts) });
      } finally {
        wipe(...shareBuffers(rec));
      }
    });
  }
}

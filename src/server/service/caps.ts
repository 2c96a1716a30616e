/**
 * Per-account caps of the co-signing service (checked on the server, after authorization, before
 * anything runs): sessions running at once (`TKEY_MAX_ACCOUNT_SESSIONS`), presignature halves the
 * service holds (`TKEY_MAX_ACCOUNT_PRESIGS`, counting presign sessions under way), sign requests per
 * minute (`TKEY_SIGN_RATE_ACCOUNT`). Over a cap: `RATE_LIMITED` with `details.limit` (`sessions`,
 * `presignatures`, `signs-per-minute`) and `details.retryAfterSeconds`. Counters are per node
 * (the sign rate and concurrency of one account spread over n nodes can reach n × the cap).
 *
 * A sign request the service refused as stale (`SERVICE_STATE_MISMATCH`, `details.reason:
 * 'stale-nonce'`: nothing taken, nothing registered) is resent once by the device with the same
 * device sid part after its reload (`src/client/README.md`): that one retry is not counted again —
 * a sign costs the account one unit of its rate. Only one: a free retry refused as stale again
 * earns no further free one (a device cannot sign for free by sending stale nonces). Remembered per
 * account and sid part for `RETRY_MS`, at most `MAX_RETRIES` at once (the oldest dropped first).
 * @module
 */
import { fail, isTkeyTssError } from '../../errors.js';
import { KeyLimiter } from '../key-limiter.js';

/** How long a stale-refused sign's free retry is kept (ms). */
const RETRY_MS = 60_000;
/** Free retries remembered at once (all accounts). */
const MAX_RETRIES = 10_000;

const isStaleNonce = (e: unknown): boolean => isTkeyTssError(e, 'SERVICE_STATE_MISMATCH') && (e.details as { reason?: unknown } | undefined)?.reason === 'stale-nonce';

export interface CapsConfig {
  maxAccountSessions: number;
  maxAccountPresigs: number;
  signRateAccount: number;
}

export class AccountCaps {
  readonly #cfg: CapsConfig;
  readonly #running = new Map<string, { all: number; presign: number }>();
  readonly #signs: KeyLimiter;
  readonly #clock: () => number;
  /** account ‖ 0 ‖ sid part hex → until when its stale-refused sign may be resent without counting (ms). */
  readonly #retries = new Map<string, number>();

  constructor(cfg: CapsConfig, clock: () => number) {
    this.#cfg = cfg;
    this.#clock = clock;
    this.#signs = new KeyLimiter({ max: cfg.signRateAccount, windowMs: 60_000, clock });
  }

  /** Sessions running now, over all accounts. */
  get running(): number {
    let n = 0;
    for (const r of this.#running.values()) n += r.all;
    return n;
  }

  /**
   * Admit one session of `method` for `account` (`held`: the presignatures the service holds for
   * it, asked only for presign; `sid`: the request's device sid part, hex — a sign's retry after a
   * stale-nonce refusal is recognised by it). Returns its release (idempotent), given the call's
   * error when it failed.
   */
  async admit(account: string, method: string, held: () => Promise<number>, sid?: string): Promise<(error?: unknown) => void> {
    const r = this.#running.get(account) ?? { all: 0, presign: 0 };
    if (r.all >= this.#cfg.maxAccountSessions)
      fail('RATE_LIMITED', `this account already runs ${r.all} sessions (limit ${this.#cfg.maxAccountSessions}); retry when one ends`, { limit: 'sessions', max: this.#cfg.maxAccountSessions, retryAfterSeconds: 1 });
    const presign = method === 'presignParticipant';
    if (presign) {
      const n = (await held()) + r.presign;
      if (n >= this.#cfg.maxAccountPresigs)
        fail('RATE_LIMITED', `the service holds ${n} presignatures for this account (limit ${this.#cfg.maxAccountPresigs}); sign with them first`, { limit: 'presignatures', max: this.#cfg.maxAccountPresigs, retryAfterSeconds: 60 });
    }
    const retryKey = method === 'signOnline' && sid !== undefined ? `${account}\u0000${sid}` : undefined;
    let free = false;
    if (method === 'signParticipant' || method === 'signOnline') {
      free = retryKey !== undefined && this.#takeRetry(retryKey);
      try {
        if (!free) this.#signs.hit(account);
      } catch (e) {
        if (!isTkeyTssError(e, 'RATE_LIMITED')) throw e;
        const retryAfterSeconds = e.details!.retryAfterSeconds as number;
        fail('RATE_LIMITED', `too many sign requests for this account (limit ${this.#cfg.signRateAccount} per minute); retry after ${retryAfterSeconds} s`, { limit: 'signs-per-minute', max: this.#cfg.signRateAccount, retryAfterSeconds });
      }
    }
    // re-read: `held()` awaited, another admission may have run meanwhile
    const cur = this.#running.get(account) ?? { all: 0, presign: 0 };
    if (cur.all >= this.#cfg.maxAccountSessions)
      fail('RATE_LIMITED', `this account already runs ${cur.all} sessions (limit ${this.#cfg.maxAccountSessions}); retry when one ends`, { limit: 'sessions', max: this.#cfg.maxAccountSessions, retryAfterSeconds: 1 });
    cur.all++;
    if (presign) cur.presign++;
    this.#running.set(account, cur);
    let released = false;
    return (error?: unknown) => {
      if (released) return;
      released = true;
      if (retryKey !== undefined && !free && isStaleNonce(error)) this.#addRetry(retryKey);
      cur.all--;
      if (presign) cur.presign--;
      if (cur.all === 0 && this.#running.get(account) === cur) this.#running.delete(account);
    };
  }

  /** Use up the free retry of `key` if it has one (unexpired). */
  #takeRetry(key: string): boolean {
    const until = this.#retries.get(key);
    if (until === undefined) return false;
    this.#retries.delete(key);
    return until > this.#clock();
  }

  #addRetry(key: string): void {
    const now = this.#clock();
    if (this.#retries.size >= MAX_RETRIES) {
      for (const [k, until] of this.#retries) if (until <= now) this.#retries.delete(k);
      if (this.#retries.size >= MAX_RETRIES) this.#retries.delete(this.#retries.keys().next().value!);
    }
    this.#retries.delete(key);
    this.#retries.set(key, now + RETRY_MS);
  }
}

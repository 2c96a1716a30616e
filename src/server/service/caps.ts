/**
 * Per-account caps of the co-signing service (checked on the server, after authorization, before
 * anything runs): sessions running at once (`TKEY_MAX_ACCOUNT_SESSIONS`), presignature halves the
 * service holds (`TKEY_MAX_ACCOUNT_PRESIGS`, counting presign sessions under way), sign requests per
 * minute (`TKEY_SIGN_RATE_ACCOUNT`). Over a cap: `RATE_LIMITED` with `details.limit` (`sessions`,
 * `presignatures`, `signs-per-minute`) and `details.retryAfterSeconds`. Counters are per node
 * (the sign rate and concurrency of one account spread over n nodes can reach n × the cap).
 * @module
 */
import { fail, isTkeyTssError } from '../../errors.js';
import { KeyLimiter } from '../key-limiter.js';

export interface CapsConfig {
  maxAccountSessions: number;
  maxAccountPresigs: number;
  signRateAccount: number;
}

export class AccountCaps {
  readonly #cfg: CapsConfig;
  readonly #running = new Map<string, { all: number; presign: number }>();
  readonly #signs: KeyLimiter;

  constructor(cfg: CapsConfig, clock: () => number) {
    this.#cfg = cfg;
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
   * it, asked only for presign). Returns its release (idempotent).
   */
  async admit(account: string, method: string, held: () => Promise<number>): Promise<() => void> {
    const r = this.#running.get(account) ?? { all: 0, presign: 0 };
    if (r.all >= this.#cfg.maxAccountSessions)
      fail('RATE_LIMITED', `this account already runs ${r.all} sessions (limit ${this.#cfg.maxAccountSessions}); retry when one ends`, { limit: 'sessions', max: this.#cfg.maxAccountSessions, retryAfterSeconds: 1 });
    const presign = method === 'presignParticipant';
    if (presign) {
      const n = (await held()) + r.presign;
      if (n >= this.#cfg.maxAccountPresigs)
        fail('RATE_LIMITED', `the service holds ${n} presignatures for this account (limit ${this.#cfg.maxAccountPresigs}); sign with them first`, { limit: 'presignatures', max: this.#cfg.maxAccountPresigs, retryAfterSeconds: 60 });
    }
    if (method === 'signParticipant' || method === 'signOnline') {
      try {
        this.#signs.hit(account);
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
    return () => {
      if (released) return;
      released = true;
      cur.all--;
      if (presign) cur.presign--;
      if (cur.all === 0 && this.#running.get(account) === cur) this.#running.delete(account);
    };
  }
}

/**
 * A per-key fixed-window rate limit (per account, per owner key, per lock key): at most `max`
 * hits per key per `windowMs`. Memory is bounded: at most `maxKeys` windows are tracked; when full,
 * expired windows are dropped first and, if none expired, the oldest.
 * @module
 */
import { fail } from '../errors.js';

export class KeyLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #clock: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(opts: { max: number; windowMs: number; clock: () => number; maxKeys?: number }) {
    this.#max = opts.max;
    this.#windowMs = opts.windowMs;
    this.#clock = opts.clock;
    this.#maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Count `n` hits for `key`; `RATE_LIMITED` (details.retryAfterSeconds) when over the limit (nothing counted then). */
  hit(key: string, n = 1, what = 'account'): void {
    const now = this.#clock();
    let w = this.#windows.get(key);
    if (!w || now - w.start >= this.#windowMs) {
      if (!w && this.#windows.size >= this.#maxKeys) this.#evict(now);
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    if (w.count + n > this.#max) {
      const retryAfterSeconds = Math.max(1, Math.ceil((w.start + this.#windowMs - now) / 1000));
      fail('RATE_LIMITED', `too many writes for this ${what} (limit ${this.#max} per ${this.#windowMs / 1000} s); retry after ${retryAfterSeconds} s`, { retryAfterSeconds, limit: this.#max });
    }
    w.count += n;
  }

  #evict(now: number): void {
    for (const [k, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(k);
    if (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next().value;
      if (oldest !== undefined) this.#windows.delete(oldest);
    }
  }
}

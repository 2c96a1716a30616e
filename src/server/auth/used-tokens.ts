/**
 * `MemoryUsedTokens`: the in-process ID-token replay cache (one node). Entries live until the
 * token's expiry (plus the clock skew), expired ones are swept as new ones arrive, so memory is
 * bounded by the logins of one token lifetime. Several nodes need the shared, durable one.
 * @module
 */
import type { UsedTokens } from './types.js';

export class MemoryUsedTokens implements UsedTokens {
  readonly #until = new Map<string, number>();
  readonly #nowS: () => number;
  #nextSweep = 0;
  constructor(opts: { nowS?: () => number } = {}) {
    this.#nowS = opts.nowS ?? (() => Math.floor(Date.now() / 1000));
  }
  async markUsed(key: string, expiresAtS: number): Promise<boolean> {
    const now = this.#nowS();
    if (now >= this.#nextSweep) {
      for (const [k, t] of this.#until) if (t < now) this.#until.delete(k);
      this.#nextSweep = now + 30;
    }
    const t = this.#until.get(key);
    if (t !== undefined && t >= now) return false;
    this.#until.set(key, expiresAtS);
    return true;
  }
  get size(): number {
    return this.#until.size;
  }
}

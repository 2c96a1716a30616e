/**
 * Where a `Link` keeps envelopes of sessions nobody subscribed to yet (layer 1): capped in bytes
 * and count per link, with a TTL, and — for the links of one `LinkServer` — in total bytes through
 * a shared `UnclaimedPool`. Sizes are the frame sizes on the wire.
 *
 * Policy: a link over its own byte cap has the new envelope dropped (`unclaimed-peer-bytes`); over
 * its count cap its oldest goes (`unclaimed-peer-count`); when the pool is full the link holding
 * the most bytes loses its oldest envelopes (`unclaimed-total-bytes`, counted on that link), or,
 * if that is the arriving link itself, the new envelope is dropped — so many throw-away identities
 * cannot push out the few envelopes of an honest peer. Nothing here is attributable misbehaviour
 * (an honest peer may race ahead of our subscription): drops are counted, never fatal, and the
 * session layer's resends recover what was dropped.
 * @module
 */
import type { Envelope } from './codec.js';
import type { RefusalStats } from './refusal-stats.js';

export interface Unclaimed {
  h: string;
  env: Envelope;
  bytes: number;
  at: number;
}

/** The byte budget shared by the buffers of one server's links. */
export class UnclaimedPool {
  readonly maxBytes: number;
  readonly #holders = new Set<UnclaimedBuffer>();
  total = 0;
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }
  /** @internal */
  join(b: UnclaimedBuffer): void {
    this.#holders.add(b);
  }
  /** @internal */
  leave(b: UnclaimedBuffer): void {
    this.#holders.delete(b);
  }
  /** Make room for `bytes` more for `from`: evict from the largest holder; false if that is `from` itself. */
  makeRoom(from: UnclaimedBuffer, bytes: number): boolean {
    while (this.total + bytes > this.maxBytes) {
      let top: UnclaimedBuffer | null = null;
      for (const h of this.#holders) if (!top || h.bytes > top.bytes) top = h;
      if (!top || top === from || top.bytes === 0) return false;
      top.evictOldest('unclaimed-total-bytes');
    }
    return true;
  }
}

export class UnclaimedBuffer {
  #items: Unclaimed[] = [];
  #bytes = 0;
  constructor(
    readonly caps: { bytes: number; count: number; ttlMs: number },
    readonly stats: RefusalStats,
    readonly pool: UnclaimedPool | null = null,
  ) {
    pool?.join(this);
  }

  get bytes(): number {
    return this.#bytes;
  }
  get count(): number {
    return this.#items.length;
  }

  #remove(i: number): Unclaimed {
    const [u] = this.#items.splice(i, 1);
    this.#bytes -= u!.bytes;
    if (this.pool) this.pool.total -= u!.bytes;
    return u!;
  }

  /** @internal drop the oldest envelope, counted under `reason`. */
  evictOldest(reason: 'unclaimed-peer-count' | 'unclaimed-total-bytes'): void {
    if (this.#items.length === 0) return;
    this.#remove(0);
    this.stats.add(reason);
  }

  #expire(now: number): void {
    while (this.#items.length && now - this.#items[0]!.at >= this.caps.ttlMs) this.#remove(0);
  }

  /** Keep `env` (`bytes` on the wire) for session `h`; false (counted) when it was dropped. */
  push(h: string, env: Envelope, bytes: number, now = Date.now()): boolean {
    this.#expire(now);
    if (this.#bytes + bytes > this.caps.bytes) {
      this.stats.add('unclaimed-peer-bytes');
      return false;
    }
    if (this.pool && !this.pool.makeRoom(this, bytes)) {
      this.stats.add('unclaimed-total-bytes');
      return false;
    }
    while (this.#items.length >= this.caps.count) this.evictOldest('unclaimed-peer-count');
    this.#items.push({ h, env, bytes, at: now });
    this.#bytes += bytes;
    if (this.pool) this.pool.total += bytes;
    return true;
  }

  /** Remove and return the envelopes of session `h` (oldest first). */
  take(h: string, now = Date.now()): Unclaimed[] {
    this.#expire(now);
    const mine = this.#items.filter((u) => u.h === h);
    if (mine.length) {
      for (const u of mine) {
        this.#bytes -= u.bytes;
        if (this.pool) this.pool.total -= u.bytes;
      }
      this.#items = this.#items.filter((u) => u.h !== h);
    }
    return mine;
  }

  /** Drop everything and leave the pool. */
  clear(): void {
    if (this.pool) this.pool.total -= this.#bytes;
    this.#items = [];
    this.#bytes = 0;
    this.pool?.leave(this);
  }
}

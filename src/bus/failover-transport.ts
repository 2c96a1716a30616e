/**
 * `FailoverTransport`: a re-dialling frame transport over several servers (the co-signing service's
 * nodes, which share one bus key): like `ReconnectingTransport`, but a dial that never opened moves
 * to the next URL and the delay doubles with every failed dial (`backoffMs`: base · 2^(k−1), capped,
 * ±20 % jitter), reset by a connection that opened. After a connection that was up drops, the same
 * URL is dialled again first. No `ws` import: the caller makes the sockets.
 * @module
 */
import { BaseTransport, type FrameTransport } from './transport.js';

/** One server: its HTTP base URL and its bus WebSocket URL. */
export interface Endpoint {
  http: string;
  ws: string;
}

/** The delay before re-dial number `failures` (≥ 1). */
export function backoffMs(failures: number, base: number, max: number): number {
  const d = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  return Math.round(d * (0.8 + 0.4 * Math.random()));
}

/**
 * Re-dials like `ReconnectingTransport`, over several URLs: a dial that never opened moves to the
 * next URL, and the delay doubles with every failed dial (reset by a connection that opened).
 */
export class FailoverTransport extends BaseTransport {
  readonly #eps: Endpoint[];
  readonly #make: (url: string) => FrameTransport;
  readonly #base: number;
  readonly #max: number;
  #i: number;
  #failures = 0;
  #cur: FrameTransport | null = null;
  #off: (() => void) | null = null;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(eps: Endpoint[], start: number, make: (url: string) => FrameTransport, backoff: { base: number; max: number }) {
    super();
    this.#eps = eps;
    this.#i = start;
    this.#make = make;
    this.#base = backoff.base;
    this.#max = backoff.max;
    this.#dial();
  }
  get url(): string {
    return this.#eps[this.#i]!.http;
  }
  #dial(): void {
    if (this.#closed) return;
    let t: FrameTransport;
    let opened = false;
    try {
      t = this.#make(this.#eps[this.#i]!.ws);
    } catch {
      this.#failed();
      return;
    }
    this.#cur = t;
    this.#off = t.listen({
      frame: (f) => this.emitFrame(f),
      open: () => {
        opened = true;
        this.#failures = 0;
        this.emitOpen();
      },
      close: () => {
        this.#off?.();
        this.#off = null;
        this.#cur = null;
        this.emitClose();
        if (opened) this.#schedule(this.#base);
        else this.#failed();
      },
    });
  }
  #failed(): void {
    this.#failures++;
    this.#i = (this.#i + 1) % this.#eps.length;
    this.#schedule(backoffMs(this.#failures, this.#base, this.#max));
  }
  #schedule(ms: number): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#dial();
    }, ms);
  }
  get isOpen(): boolean {
    return !this.#closed && !!this.#cur?.isOpen;
  }
  send(frame: Uint8Array): boolean {
    return this.isOpen ? this.#cur!.send(frame) : false;
  }
  drop(): void {
    this.#cur?.close();
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const c = this.#cur;
    this.#off?.();
    this.#cur = null;
    c?.close();
    this.emitClose();
  }
}


/**
 * Frame transports: one bidirectional connection that moves opaque byte frames (the secure
 * channel's output) between two nodes. Every transport — in-memory, MessagePort (worker ⇄ host,
 * Node `worker_threads` or the browser), WebSocket (the browser's, or `ws` in Node via
 * `ws-node.ts`) — implements `FrameTransport`:
 *
 * - `send(frame)` queues one frame; it returns false (and drops it) while the connection is down —
 *   the session layer resends after the next `open`.
 * - `listen({frame, open, close})` subscribes; `open` fires on every (re)connection, `close` on
 *   every loss. Frames arrive in order per connection, but the layers above never rely on it.
 * - `close()` ends the transport for good.
 *
 * No static import of `ws` here: this module is safe for browser bundles.
 * @module
 */
import { fail } from '../errors.js';

export interface FrameHandlers {
  frame(frame: Uint8Array): void;
  /** The connection is (again) up. */
  open?(): void;
  /** The connection went down (it may come back: `open`). */
  close?(): void;
}

export interface FrameTransport {
  readonly isOpen: boolean;
  /** Send one frame; false (dropped) while the connection is down. */
  send(frame: Uint8Array): boolean;
  /** Subscribe; returns the unsubscribe function. */
  listen(h: FrameHandlers): () => void;
  /** Close for good (no reconnection). */
  close(): void;
}

/** Listener bookkeeping shared by the implementations. */
export abstract class BaseTransport implements FrameTransport {
  #handlers = new Set<FrameHandlers>();
  abstract readonly isOpen: boolean;
  abstract send(frame: Uint8Array): boolean;
  abstract close(): void;
  listen(h: FrameHandlers): () => void {
    if (typeof h !== 'object' || h === null || typeof h.frame !== 'function') fail('INVALID_ARGUMENT', 'handlers: expected {frame, open?, close?}');
    this.#handlers.add(h);
    return () => void this.#handlers.delete(h);
  }
  protected emitFrame(f: Uint8Array): void {
    for (const h of [...this.#handlers]) h.frame(f);
  }
  protected emitOpen(): void {
    for (const h of [...this.#handlers]) h.open?.();
  }
  protected emitClose(): void {
    for (const h of [...this.#handlers]) h.close?.();
  }
}

function aFrame(frame: unknown): Uint8Array {
  if (!(frame instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'frame: expected a Uint8Array');
  return frame;
}

/** Fault injection of the in-memory transport: map one frame to what is delivered now (drop: [], duplicate: [f, f], hold back and release later). */
export type MemoryFault = (frame: Uint8Array, direction: 'a→b' | 'b→a') => Uint8Array[];

class MemoryEnd extends BaseTransport {
  peer: MemoryEnd | null = null;
  up = true;
  closed = false;
  constructor(
    readonly dir: 'a→b' | 'b→a',
    readonly fault: MemoryFault | undefined,
  ) {
    super();
  }
  get isOpen(): boolean {
    return this.up && !this.closed;
  }
  send(frame: Uint8Array): boolean {
    aFrame(frame);
    if (!this.isOpen) return false;
    const peer = this.peer!;
    const out = this.fault ? this.fault(frame.slice(), this.dir) : [frame.slice()];
    for (const f of out) queueMicrotask(() => peer.isOpen && peer.emitFrame(f));
    return true;
  }
  deliverRaw(frame: Uint8Array): void {
    queueMicrotask(() => this.isOpen && this.emitFrame(frame.slice()));
  }
  setUp(up: boolean): void {
    if (this.closed || this.up === up) return;
    this.up = up;
    if (up) this.emitOpen();
    else this.emitClose();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emitClose();
  }
}

/** Two connected in-memory ends (asynchronous delivery), with fault injection and link control for tests. */
export interface MemoryPair {
  a: FrameTransport;
  b: FrameTransport;
  /** Take the connection down (both ends see `close`). */
  disconnect(): void;
  /** Bring it back (both ends see `open`). */
  reconnect(): void;
  /** Inject a raw frame as if `to`'s peer had sent it. */
  inject(to: 'a' | 'b', frame: Uint8Array): void;
}

export function memoryPair(opts: { fault?: MemoryFault } = {}): MemoryPair {
  const a = new MemoryEnd('a→b', opts.fault);
  const b = new MemoryEnd('b→a', opts.fault);
  a.peer = b;
  b.peer = a;
  return {
    a,
    b,
    disconnect: () => {
      a.setUp(false);
      b.setUp(false);
    },
    reconnect: () => {
      a.setUp(true);
      b.setUp(true);
    },
    inject: (to, frame) => (to === 'a' ? a : b).deliverRaw(aFrame(frame)),
  };
}

/**
 * A MessagePort-shaped endpoint: Node `worker_threads` MessagePort / Worker / parentPort (`on`)
 * or the browser's MessagePort / Worker / DedicatedWorkerGlobalScope (`addEventListener`).
 */
export interface PortLike {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[] | readonly Transferable[]): void;
  on?(event: 'message', fn: (data: unknown) => void): unknown;
  off?(event: 'message', fn: (data: unknown) => void): unknown;
  // the DOM types the listener's event as Event: accept any listener shape here
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener?(type: 'message', fn: (e: any) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeEventListener?(type: 'message', fn: (e: any) => void): unknown;
  start?(): void;
  close?(): void;
}
type Transferable = ArrayBuffer;

const PORT_TAG = 'tkey-tss/bus/frame';

/** Frames over a MessagePort. Each frame is posted as `{t, f}` with its buffer transferred; other messages on the port are ignored. */
export class MessagePortTransport extends BaseTransport {
  readonly #port: PortLike;
  #closed = false;
  #detach: () => void = () => undefined;
  constructor(port: PortLike) {
    super();
    if (typeof port !== 'object' || port === null || typeof port.postMessage !== 'function') fail('INVALID_ARGUMENT', 'port: expected a MessagePort-like object');
    this.#port = port;
    const onData = (d: unknown): void => {
      if (this.#closed || typeof d !== 'object' || d === null || (d as { t?: unknown }).t !== PORT_TAG) return;
      const f = (d as { f?: unknown }).f;
      if (f instanceof Uint8Array) this.emitFrame(f);
    };
    if (typeof port.on === 'function') {
      port.on('message', onData);
      this.#detach = () => port.off?.('message', onData);
    } else if (typeof port.addEventListener === 'function') {
      const fn = (e: { data: unknown }): void => onData(e.data);
      port.addEventListener('message', fn);
      port.start?.();
      this.#detach = () => port.removeEventListener?.('message', fn);
    } else {
      fail('INVALID_ARGUMENT', 'port: expected on() or addEventListener()');
    }
  }
  get isOpen(): boolean {
    return !this.#closed;
  }
  send(frame: Uint8Array): boolean {
    aFrame(frame);
    if (this.#closed) return false;
    const f = frame.slice();
    this.#port.postMessage({ t: PORT_TAG, f }, [f.buffer as ArrayBuffer]);
    return true;
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
    this.emitClose();
  }
}

/** The subset of the WebSocket API used (the browser's WebSocket and `ws` both fit). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', fn: (e: { data?: unknown }) => void): void;
}

/** Frames over one WebSocket connection (binary messages). `open` fires when a connecting socket opens (not for one already open, e.g. a server-side socket). */
export class WebSocketTransport extends BaseTransport {
  readonly #ws: WebSocketLike;
  #closed = false;
  constructor(ws: WebSocketLike) {
    super();
    if (typeof ws !== 'object' || ws === null || typeof ws.send !== 'function' || typeof ws.addEventListener !== 'function') fail('INVALID_ARGUMENT', 'ws: expected a WebSocket');
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (e) => {
      const d = e.data;
      if (this.#closed) return;
      if (d instanceof ArrayBuffer) this.emitFrame(new Uint8Array(d));
      else if (d instanceof Uint8Array) this.emitFrame(new Uint8Array(d));
    });
    ws.addEventListener('open', () => this.emitOpen());
    ws.addEventListener('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.emitClose();
    });
    ws.addEventListener('error', () => undefined);
  }
  get isOpen(): boolean {
    return !this.#closed && this.#ws.readyState === 1;
  }
  send(frame: Uint8Array): boolean {
    aFrame(frame);
    if (!this.isOpen) return false;
    this.#ws.send(frame);
    return true;
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws.close(1000, 'closed');
    this.emitClose();
  }
}

/**
 * A transport that re-dials: `connect()` makes a fresh underlying transport (e.g. a new WebSocket)
 * whenever the previous one closed, after `retryMs` (default 200 ms). `open`/`close` of each
 * underlying connection are forwarded, so the session layer resends after every reconnection.
 */
export class ReconnectingTransport extends BaseTransport {
  readonly #connect: () => FrameTransport;
  readonly #retryMs: number;
  #cur: FrameTransport | null = null;
  #off: (() => void) | null = null;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  constructor(connect: () => FrameTransport, opts: { retryMs?: number } = {}) {
    super();
    if (typeof connect !== 'function') fail('INVALID_ARGUMENT', 'connect: expected a function returning a FrameTransport');
    this.#connect = connect;
    this.#retryMs = opts.retryMs ?? 200;
    this.#dial();
  }
  #dial(): void {
    if (this.#closed) return;
    let t: FrameTransport;
    try {
      t = this.#connect();
    } catch {
      this.#schedule();
      return;
    }
    this.#cur = t;
    this.#off = t.listen({
      frame: (f) => this.emitFrame(f),
      open: () => this.emitOpen(),
      close: () => {
        this.#off?.();
        this.#off = null;
        this.#cur = null;
        this.emitClose();
        this.#schedule();
      },
    });
  }
  #schedule(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#dial();
    }, this.#retryMs);
  }
  get isOpen(): boolean {
    return !this.#closed && !!this.#cur?.isOpen;
  }
  send(frame: Uint8Array): boolean {
    aFrame(frame);
    return this.isOpen ? this.#cur!.send(frame) : false;
  }
  /** Drop the current connection (it re-dials): for tests and for "network changed" hints. */
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

/** Browser (or any global WebSocket): a re-dialling WebSocket transport to `url`. */
export function connectWebSocket(url: string, opts: { retryMs?: number } = {}): ReconnectingTransport {
  if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) fail('INVALID_ARGUMENT', 'url: expected ws:// or wss://');
  const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (typeof WS !== 'function') fail('INVALID_ARGUMENT', 'no global WebSocket here; in Node use connectNodeWebSocket from bus/ws-node');
  return new ReconnectingTransport(() => new WebSocketTransport(new WS!(url)), opts);
}

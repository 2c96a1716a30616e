/**
 * The session layer over a transport.
 *
 * `Link` — this node's connection to one peer node: the handshake on every (re)connection
 * (`handshake.ts`: signed ephemeral Diffie–Hellman that binds the connection to both identity
 * keys), the secure channel of that connection (`secure-channel.ts`) for every envelope — new keys
 * per connection, wiped when it closes —, demultiplexing by sid, a buffer for envelopes of
 * sessions not yet attached (capped in bytes and count per link and, on a server, in total:
 * `unclaimed-buffer.ts`), and tombstones that answer late frames of finished sessions. Every frame
 * is decoded once (`SecureChannel.open`); before that only size checks and a scan without
 * allocation (`frame-limits.ts`). Refusals and drops are counted by reason in `stats`.
 * `LinkServer` accepts connections (any transport) and keeps one `Link` per peer identity, so a
 * reconnecting peer gets its link — sessions, tombstones — back (with a fresh channel).
 *
 * `runSessions` — drives this node's parties of one protocol session over links (generic over a
 * `SessionLike`, i.e. `protocols/session.ts` `Session`, which checks every envelope and ignores
 * identical copies):
 *   - duplicates and reordering: delivered to the session, which ignores identical copies and
 *     buffers one round ahead; frames replayed at the channel level are refused there;
 *   - attribution: a link is authenticated and bound to the parties of its node, so a frame is
 *     delivered only under a sender that lives there (its misbehaviour then aborts naming it);
 *     a frame claiming any other sender is dropped and counted (`onDrop`), never blamed;
 *   - resending: each party's last two rounds of messages (and its `done`) are re-sealed and resent
 *     after every reconnection of a link and whenever nothing moved for `resendMs`;
 *   - completion: a party that finished sends `done` (after its `finish` ran); the run resolves when
 *     every local party finished and every remote party reported `done`; a finished session leaves a
 *     tombstone that re-answers a peer still waiting;
 *   - aborts: a local ProtocolAbort is reported to the peers (`abort`), a peer's abort ends the run
 *     with the same ProtocolAbort (culprits as the reporter computed them);
 *   - timeout: no progress for `stallMs` ends the run with `SESSION_STALLED` naming the peers we
 *     wait for (`details.stalled`);
 *   - early messages: what a remote party sends one round ahead is held by the session; its bytes
 *     per remote party are capped (`maxEarlyBytes`), the excess dropped and counted (`early-bytes`).
 * @module
 */
import { abytes, bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '../bytes.js';
import { fail, InternalBug, InvalidInput, isTkeyTssError, ProtocolAbort, TkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng, type Rng } from '../rng.js';
import type { Envelope, WirePayload } from './codec.js';
import { decodeCtl, type Ctl } from './control.js';
import { CHANNEL_FRAME_LIMITS, EARLY_PEER_BYTES, MAX_CONTROL_FRAME, MAX_HANDSHAKE_FRAME, UNCLAIMED_PEER_BYTES, UNCLAIMED_PEER_COUNT, UNCLAIMED_TOTAL_BYTES } from './frame-limits.js';
import { ClientHandshake, handshakeKind, isHandshake, ServerHandshake } from './handshake.js';
import { peekAscii, scanMsgpack } from './msgpack-scan.js';
import { RefusalStats, type RefusalReason } from './refusal-stats.js';
import { anIdentity, isRefusedFrame, type Identity, type SecureChannel } from './secure-channel.js';
import type { FrameTransport } from './transport.js';
import { UnclaimedBuffer, UnclaimedPool } from './unclaimed-buffer.js';

/** Protocol name of node-level control envelopes (from = to = 0 for RPC; session `done`/`abort` carry party ids in the payload). */
export const CTL_PROTOCOL = 'bus/ctl';
export const RPC_PROTOCOL = 'bus/rpc';
const T_CONN = utf8ToBytes('tkey-tss/bus/v2/connection');

const UNCLAIMED_TTL_MS = 120_000;
const TOMBSTONE_TTL_MS = 120_000;

/** `bytes`: the frame's size on the wire. */
type EnvelopeHandler = (env: Envelope, link: Link, bytes: number) => void;

const REASON_OF_CODE: Record<string, RefusalReason> = {
  BUS_FRAME_TOO_LARGE: 'frame-too-large',
  BUS_FRAME_INVALID: 'frame-invalid',
  BUS_AUTH_FAILED: 'auth-failed',
  BUS_REPLAY: 'replay',
};

export interface LinkOptions {
  /** This node's identity: a 32-byte secp256k1 secret or an `Identity`. */
  identityKey: Identity | Uint8Array;
  rng?: Rng;
  /** A refused frame (auth, replay, malformed, over a cap): the typed error names the sender. Default: ignored. */
  onRefused?: (e: TkeyTssError, link: Link) => void;
  /** Bytes of envelopes of not-yet-attached sessions kept per link (default `UNCLAIMED_PEER_BYTES`). */
  unclaimedPeerBytes?: number;
  /** `LinkServer` only: the same over all its links (default `UNCLAIMED_TOTAL_BYTES`). */
  unclaimedTotalBytes?: number;
}

/** @internal what a `LinkServer` shares with its links. */
interface LinkShared {
  stats?: RefusalStats;
  pool?: UnclaimedPool;
}

/** The counter of a refused handshake frame: a bad signature or identity, over the handshake caps, anything else. */
function handshakeReason(e: unknown): RefusalReason {
  const code = (e as { code?: unknown })?.code;
  return code === 'BUS_AUTH_FAILED' ? 'auth-failed' : code === 'BUS_FRAME_TOO_LARGE' ? 'handshake-too-large' : 'handshake-invalid';
}

function aByteCap(v: unknown, title: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || (v as number) < 0) fail('INVALID_ARGUMENT', `${title}: expected a byte count`);
  return v as number;
}

/** This node's connection to one peer node. */
export class Link {
  readonly self: Identity;
  readonly #onRefused: ((e: TkeyTssError, link: Link) => void) | undefined;
  /** The current connection's channel (null while down: destroyed, its keys wiped). */
  #channel: SecureChannel | null = null;
  #peerPub: Uint8Array | null = null;
  #transport: FrameTransport | null = null;
  #detach: (() => void) | null = null;
  #ready = false;
  #connSid: Uint8Array | null = null;
  #closed = false;
  readonly #subs = new Map<string, Set<EnvelopeHandler>>();
  readonly #readyFns = new Set<() => void>();
  readonly #downFns = new Set<() => void>();
  readonly #unclaimed: UnclaimedBuffer;
  readonly #tombs = new Map<string, { envs: Envelope[]; until: number; last: number }>();
  #waiters: (() => void)[] = [];
  /** Refused frames so far (for diagnostics). */
  refused = 0;
  /** Refused and dropped frames by reason (a server's links count into the server's `stats` too). */
  readonly stats: RefusalStats;

  /** @internal use `connectLink` / `LinkServer`. */
  constructor(opts: LinkOptions, shared: LinkShared = {}) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.self = anIdentity(opts.identityKey);
    this.#onRefused = opts.onRefused;
    this.stats = new RefusalStats(shared.stats);
    const bytes = aByteCap(opts.unclaimedPeerBytes, 'unclaimedPeerBytes', UNCLAIMED_PEER_BYTES);
    this.#unclaimed = new UnclaimedBuffer({ bytes, count: UNCLAIMED_PEER_COUNT, ttlMs: UNCLAIMED_TTL_MS }, this.stats, shared.pool ?? null);
  }

  /** Bytes (on the wire) of envelopes held for sessions not attached yet. */
  get unclaimedBytes(): number {
    return this.#unclaimed.bytes;
  }

  /** The peer's identity key (after the first handshake). */
  get peerPub(): Uint8Array | null {
    return this.#peerPub;
  }
  get isReady(): boolean {
    return this.#ready && !this.#closed && !!this.#transport?.isOpen;
  }
  /** The per-connection sid SHA-256(tag ‖ th) (fresh on each handshake): RPC runs under it, so it never survives a reconnection. */
  get connectionSid(): Uint8Array | null {
    return this.#connSid;
  }

  /** Resolves once the link is ready (BUS_TIMEOUT after `ms`). */
  whenReady(ms = 30_000): Promise<void> {
    if (this.isReady) return Promise.resolve();
    if (this.#closed) return Promise.reject(new InternalBug('the link is closed', {}, 'BUS_CLOSED'));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new InternalBug(`the link was not ready within ${ms} ms`, {}, 'BUS_TIMEOUT')), ms);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Called on every (re)established connection. */
  onReady(fn: () => void): () => void {
    this.#readyFns.add(fn);
    return () => void this.#readyFns.delete(fn);
  }
  /** Called when the connection goes down. */
  onDown(fn: () => void): () => void {
    this.#downFns.add(fn);
    return () => void this.#downFns.delete(fn);
  }

  /** @internal bind a transport whose handshake completed, with that connection's channel. */
  bind(t: FrameTransport, channel: SecureChannel): void {
    if (this.#closed) {
      channel.destroy();
      t.close();
      return;
    }
    if (this.#peerPub && !equalBytes(this.#peerPub, channel.peerPub)) {
      channel.destroy();
      fail('BUS_AUTH_FAILED', 'the connection belongs to another peer', { peer: bytesToHex(channel.peerPub) });
    }
    this.#peerPub ??= channel.peerPub;
    this.#channel?.destroy();
    this.#channel = channel;
    this.#connSid = sha256(concatBytes(T_CONN, channel.transcript));
    if (this.#transport !== t) {
      const old = this.#transport;
      this.#detach?.();
      old?.close();
      this.#transport = t;
      this.#detach = t.listen({
        frame: (f) => this.#frame(f),
        close: () => {
          if (this.#transport !== t) return;
          this.#ready = false;
          this.#dropChannel();
          for (const fn of [...this.#downFns]) fn();
        },
      });
    }
    this.#ready = true;
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
    for (const fn of [...this.#readyFns]) fn();
  }

  /** @internal the connection went down: not ready until the next handshake; its keys are wiped. */
  unbindIfCurrent(t: FrameTransport): void {
    if (this.#transport !== t) return;
    this.#ready = false;
    this.#dropChannel();
  }

  /** The connection is gone: wipe its channel (forward secrecy: nothing left opens its frames). */
  #dropChannel(): void {
    this.#channel?.destroy();
    this.#channel = null;
  }

  /**
   * @internal report a refused frame (auth, replay, malformed, over a cap) of this link: counted
   * (`refused`, and in `stats` under `reason`, by default the reason of its code), passed to
   * `onRefused`, dropped.
   */
  refuse(e: TkeyTssError, reason: RefusalReason = REASON_OF_CODE[e.code] ?? 'frame-invalid'): void {
    this.refused++;
    this.stats.add(reason);
    this.#onRefused?.(e, this);
  }

  #frame(f: Uint8Array): void {
    if (this.#closed || !this.#channel) return;
    if (isHandshake(f)) return; // handled by the connector (a scan of ≤ 1 KiB, no decoding)
    let env: Envelope;
    try {
      this.#checkKindCap(f, this.#channel.peerPub);
      env = this.#channel.open(f); // the one decode (capped: CHANNEL_FRAME_LIMITS, then PROTOCOL_LIMITS for the payload)
    } catch (e) {
      if (isRefusedFrame(e)) return this.refuse(e);
      throw e;
    }
    this.#dispatch(env, f.length);
  }

  /** A control frame (`bus/ctl`, `bus/rpc`) over MAX_CONTROL_FRAME is refused before decoding (its protocol is peeked). */
  #checkKindCap(f: Uint8Array, peer: Uint8Array): void {
    if (f.length <= MAX_CONTROL_FRAME) return;
    try {
      scanMsgpack(f, CHANNEL_FRAME_LIMITS);
    } catch {
      return; // `open` refuses it with the reason
    }
    const protocol = peekAscii(f, 'protocol');
    if (protocol === CTL_PROTOCOL || protocol === RPC_PROTOCOL) {
      fail('BUS_FRAME_TOO_LARGE', `${protocol} frame of ${f.length} bytes exceeds the control frame cap ${MAX_CONTROL_FRAME}`, { limit: 'bytes', max: MAX_CONTROL_FRAME, actual: f.length, kind: 'control', sender: null, peer: bytesToHex(peer) });
    }
  }

  #dispatch(env: Envelope, bytes: number): void {
    const h = bytesToHex(env.sid);
    const subs = this.#subs.get(h);
    if (subs && subs.size) {
      for (const fn of [...subs]) fn(env, this, bytes);
      return;
    }
    const tomb = this.#tombs.get(h);
    const now = Date.now();
    if (tomb) {
      if (tomb.until < now) this.#tombs.delete(h);
      else {
        // a peer still running resends protocol messages: answer with our last rounds and `done`
        // (never answer control frames: two tombstones would echo each other)
        if (env.protocol !== CTL_PROTOCOL && now - tomb.last > 500) {
          tomb.last = now;
          for (const e of tomb.envs) this.send(e);
        }
        return;
      }
    }
    this.#unclaimed.push(h, env, bytes, now);
  }

  /** Receive the envelopes of session `sid` (and any buffered ones, at once). */
  subscribe(sid: Uint8Array, fn: EnvelopeHandler): () => void {
    const h = bytesToHex(abytes(sid, 'sid'));
    let s = this.#subs.get(h);
    if (!s) this.#subs.set(h, (s = new Set()));
    s.add(fn);
    this.#tombs.delete(h);
    const mine = this.#unclaimed.take(h);
    if (mine.length) {
      queueMicrotask(() => {
        for (const u of mine) if (s!.has(fn)) fn(u.env, this, u.bytes);
      });
    }
    return () => {
      s!.delete(fn);
      if (s!.size === 0) this.#subs.delete(h);
    };
  }

  /** After a session ended: answer late frames of `sid` with `envs` (re-sealed) for a while. */
  tombstone(sid: Uint8Array, envs: Envelope[], ttlMs = TOMBSTONE_TTL_MS): void {
    const h = bytesToHex(sid);
    if (this.#subs.get(h)?.size) return;
    this.#tombs.set(h, { envs, until: Date.now() + ttlMs, last: 0 });
    if (this.#tombs.size > 1024) this.#tombs.delete(this.#tombs.keys().next().value!);
  }

  /** Seal and send one envelope; false while the connection is down (resend after `onReady`). */
  send(env: Envelope): boolean {
    if (!this.isReady) return false;
    return this.#transport!.send(this.#channel!.seal(env));
  }

  /** @internal tests: seal without sending. */
  sealForTest(env: Envelope): Uint8Array {
    if (!this.#channel) fail('BUS_CLOSED', 'no channel yet');
    return this.#channel.seal(env);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    this.#detach?.();
    this.#transport?.close();
    this.#dropChannel();
    this.#unclaimed.clear();
    for (const fn of [...this.#downFns]) fn();
  }

  toJSON(): unknown {
    return { self: bytesToHex(this.self.publicKey), peer: this.peerPub ? bytesToHex(this.peerPub) : null, ready: this.isReady, refused: this.stats.snapshot() };
  }
}

/**
 * Client side: a link over `transport` (e.g. a `ReconnectingTransport`) to the server whose
 * identity key is `serverPub` (optional: then the first server met is trusted — tests only).
 * Every (re)connection runs the handshake again.
 */
export function connectLink(transport: FrameTransport, opts: LinkOptions & { serverPub?: Uint8Array }): Link {
  const link = new Link(opts);
  const expect = opts.serverPub ? abytes(opts.serverPub, 'serverPub', 33) : undefined;
  const rng = opts.rng ?? cryptoRng;
  /** The handshake under way on this connection (hs2 sent, waiting for hs3). */
  let pending: ClientHandshake | null = null;
  /** The hs1 of the connection that is up (a late copy of it is ignored, never answered). */
  let current: Uint8Array | null = null;
  transport.listen({
    frame: (f) => {
      const kind = handshakeKind(f);
      if (kind === null) return;
      try {
        if (kind === 3) {
          if (!pending) return; // a late duplicate: nothing under way
          const hs = pending;
          pending = null;
          link.bind(transport, hs.finish(f)); // the server proved its identity: ready
          current = hs.challenge;
          return;
        }
        if (pending && equalBytes(f, pending.challenge)) {
          transport.send(pending.answer); // a duplicated hs1: the same answer again
          return;
        }
        if (current && equalBytes(f, current)) return; // a late copy of this connection's hs1
        pending?.abort();
        pending = null;
        pending = ClientHandshake.answer(link.self, f, { expectServer: expect ?? link.peerPub ?? undefined, rng });
        transport.send(pending.answer);
      } catch (e) {
        pending?.abort();
        pending = null;
        if (isTkeyTssError(e)) link.refuse(e, handshakeReason(e));
        transport.close();
      }
    },
    close: () => {
      pending?.abort();
      pending = null;
      current = null;
      link.unbindIfCurrent(transport);
    },
  });
  return link;
}

/** Server side: accepts connections, one `Link` per peer identity (kept across reconnections). */
export class LinkServer {
  readonly self: Identity;
  readonly #opts: LinkOptions;
  readonly #links = new Map<string, Link>();
  readonly #onLink = new Set<(l: Link) => void>();
  #closed = false;
  readonly #conns = new Set<FrameTransport>();
  readonly #pool: UnclaimedPool;
  /** How long a connection may take to answer the challenge (ms). */
  handshakeMs = 10_000;
  /** Refusals and drops by reason: before the handshake, and every link's (for metrics). */
  readonly stats = new RefusalStats();

  constructor(opts: LinkOptions) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.self = anIdentity(opts.identityKey);
    this.#opts = { ...opts, identityKey: this.self };
    this.#pool = new UnclaimedPool(aByteCap(opts.unclaimedTotalBytes, 'unclaimedTotalBytes', UNCLAIMED_TOTAL_BYTES));
    aByteCap(opts.unclaimedPeerBytes, 'unclaimedPeerBytes', UNCLAIMED_PEER_BYTES);
  }

  /** Bytes held for not-yet-attached sessions over all links. */
  get unclaimedBytes(): number {
    return this.#pool.total;
  }

  #refusedBeforeHandshake(e: unknown, reason: RefusalReason): void {
    this.stats.add(reason);
    if (isTkeyTssError(e)) this.#opts.onRefused?.(e, new Link({ identityKey: this.self }));
  }

  /** Called once per new peer identity (not again when it reconnects). */
  onLink(fn: (l: Link) => void): () => void {
    this.#onLink.add(fn);
    for (const l of this.#links.values()) fn(l);
    return () => void this.#onLink.delete(fn);
  }

  get links(): Link[] {
    return [...this.#links.values()];
  }

  /**
   * Take a new connection (open, or opening): on every (re)opening, challenge; verify the hello;
   * bind the connection to the peer's link (the same link when that identity was seen before).
   */
  accept(t: FrameTransport): void {
    if (this.#closed) {
      t.close();
      return;
    }
    this.#conns.add(t);
    let pending: { hs: ServerHandshake; timer: ReturnType<typeof setTimeout> } | null = null;
    const challenge = (): void => {
      if (pending) clearTimeout(pending.timer);
      pending?.hs.abort();
      const hs = new ServerHandshake(this.self, { rng: this.#opts.rng ?? cryptoRng });
      pending = { hs, timer: setTimeout(() => pending && t.close(), this.handshakeMs) };
      t.send(hs.challenge);
    };
    t.listen({
      frame: (f) => {
        if (!pending) return;
        // before the handshake only a handshake frame (≤ MAX_HANDSHAKE_FRAME) counts: anything
        // bigger is refused on its length alone, never decoded (no identity to charge it to yet)
        if (f.length > MAX_HANDSHAKE_FRAME) {
          const e = new InvalidInput('BUS_FRAME_TOO_LARGE', `a frame of ${f.length} bytes before the handshake (cap ${MAX_HANDSHAKE_FRAME})`, { limit: 'bytes', max: MAX_HANDSHAKE_FRAME, actual: f.length, kind: 'handshake', sender: null, peer: null });
          return this.#refusedBeforeHandshake(e, 'handshake-too-large');
        }
        // not a handshake frame at all (scan + peek, no decoding): counted, ignored
        if (!isHandshake(f)) return this.stats.add('handshake-invalid');
        const { hs, timer } = pending;
        pending = null;
        clearTimeout(timer);
        let ok: ReturnType<ServerHandshake['verify']>;
        try {
          ok = hs.verify(f);
        } catch (e) {
          t.close();
          return this.#refusedBeforeHandshake(e, handshakeReason(e));
        }
        const h = bytesToHex(ok.peerPub);
        let link = this.#links.get(h);
        const fresh = !link;
        if (!link) this.#links.set(h, (link = new Link(this.#opts, { stats: this.stats, pool: this.#pool })));
        t.send(ok.confirm); // hs3 before anything sealed
        link.bind(t, ok.channel);
        if (fresh) for (const fn of [...this.#onLink]) fn(link);
      },
      open: challenge,
      close: () => {
        if (pending) clearTimeout(pending.timer);
        pending?.hs.abort();
        pending = null;
      },
    });
    if (t.isOpen) challenge();
  }

  close(): void {
    this.#closed = true;
    for (const l of this.#links.values()) l.close();
    for (const c of this.#conns) c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Running sessions over links

/**
 * What `runSessions` needs of a session (`protocols/session.ts` `Session` fits). `start` and
 * `receive` may also answer with a promise — a session whose rounds run elsewhere (a worker:
 * `workers/bus-transport.ts`); `runSessions` then gives it one envelope at a time, in order, and
 * reads `status` / `nextRound` once each step settled.
 */
export interface SessionLike {
  start(): Envelope[] | Promise<Envelope[]>;
  receive(m: Envelope): Envelope[] | Promise<Envelope[]>;
  readonly status: 'ready' | 'running' | 'done' | 'aborted';
  /** Next round function to run (1-based). */
  readonly nextRound: number;
}

export interface LocalSession {
  id: number;
  session: SessionLike;
  /** Called once when the session is done (durable staging happens here); `done` is sent after it. */
  finish(): Promise<void>;
}

export interface RemoteParty {
  id: number;
  link: Link;
}

export interface RunSessionsOptions {
  sid: Uint8Array;
  protocol: string;
  local: readonly LocalSession[];
  remote: readonly RemoteParty[];
  /** No progress for this long → SESSION_STALLED naming the peers we wait for (default 60 s). */
  stallMs?: number;
  /** No progress for this long → resend the last rounds (default 2 s). */
  resendMs?: number;
  /** Cancellation. */
  signal?: AbortSignal;
  /**
   * Bytes (on the wire) of early messages — one round ahead of what a local session collects — it
   * holds per remote party (default `EARLY_PEER_BYTES`). Beyond: dropped and counted (`early-bytes`
   * on the link); an honest peer's resend delivers it once the session caught up.
   */
  maxEarlyBytes?: number;
  /**
   * A frame of this session that claims a sender not living behind the link it came on (or an
   * unreadable control frame): dropped — never delivered, never blamed — and reported here.
   */
  onDrop?: (detail: string, link: Link) => void;
}

function ctlEnvelope(sid: Uint8Array, c: Ctl): Envelope {
  return { sid, protocol: CTL_PROTOCOL, round: 0, from: 0, to: 0, payload: c as unknown as WirePayload };
}

/**
 * Tell the peers of session `sid` that local party `party` cannot take part (e.g. its session could
 * not be created): their runs end at once with `BUS_REMOTE_ERROR` instead of stalling.
 */
export function reportSessionFailure(links: readonly Link[], sid: Uint8Array, party: number, message: string): void {
  for (const link of new Set(links)) link.send(ctlEnvelope(sid, { t: 'fail', party, message: message.slice(0, 500) }));
}

/** Run this node's parties of one session over the links to the other parties' nodes. */
export function runSessions(o: RunSessionsOptions): Promise<void> {
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', 'options: expected an object');
  abytes(o.sid, 'sid');
  if (!Array.isArray(o.local) || o.local.length === 0) fail('INVALID_ARGUMENT', 'local: expected at least one local session');
  const stallMs = o.stallMs ?? 60_000;
  const resendMs = o.resendMs ?? 2_000;
  const maxEarly = aByteCap(o.maxEarlyBytes, 'maxEarlyBytes', EARLY_PEER_BYTES);
  const sid = o.sid;
  const links = [...new Set(o.remote.map((r) => r.link))];
  const remoteAt = new Map<number, Link>(o.remote.map((r) => [r.id, r.link]));
  const localIds = new Set(o.local.map((l) => l.id));
  for (const id of remoteAt.keys()) if (localIds.has(id)) fail('INVALID_ARGUMENT', `party ${id} is both local and remote`);

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let lastProgress = Date.now();
    let lastResend = Date.now();
    const remoteDone = new Set<number>();
    const localDone = new Set<number>();
    const finishing = new Set<number>();
    /** Highest round seen from each remote party. */
    const seenRound = new Map<number, number>(o.remote.map((r) => [r.id, 0]));
    /** Per local party: its last two rounds of outgoing envelopes. */
    const lastOut = new Map<number, Envelope[][]>(o.local.map((l) => [l.id, []]));
    const queue: { to: LocalSession; env: Envelope }[] = [];
    const offs: (() => void)[] = [];
    /** Per (local party, remote party): bytes of the early messages delivered, by "round/kind" (a resend replaces, never adds). */
    const early = new Map<string, Map<string, { round: number; bytes: number }>>();
    /** May `env` (`bytes` on the wire) go to `t`? Early messages count against `maxEarly` per sender. */
    const earlyAllowed = (t: LocalSession, env: Envelope, bytes: number): boolean => {
      const next = t.session.nextRound;
      if (env.round < next) return true; // the round being collected (or late): not early
      const key = `${t.id}/${env.from}`;
      let held = early.get(key);
      if (!held) early.set(key, (held = new Map()));
      let sum = 0;
      for (const [k, e] of held) {
        if (e.round < next) held.delete(k); // consumed
        else sum += e.bytes;
      }
      const slot = `${env.round}/${env.to === null ? 'broadcast' : 'p2p'}`;
      const prev = held.get(slot);
      if (prev) sum -= prev.bytes;
      if (sum + bytes > maxEarly) return false;
      held.set(slot, { round: env.round, bytes: Math.max(bytes, prev?.bytes ?? 0) });
      return true;
    };

    const finalEnvelopes = (link: Link): Envelope[] => {
      const out: Envelope[] = [];
      for (const l of o.local) {
        for (const r of lastOut.get(l.id)!) for (const e of r) if (e.to === null || remoteAt.get(e.to) === link) out.push(e);
        if (localDone.has(l.id)) out.push(ctlEnvelope(sid, { t: 'done', party: l.id }));
      }
      return out;
    };
    const resend = (only?: Link): void => {
      lastResend = Date.now();
      for (const link of only ? [only] : links) for (const e of finalEnvelopes(link)) link.send(e);
    };
    const end = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      for (const f of offs) f();
      for (const link of links) link.tombstone(sid, finalEnvelopes(link));
      if (err === undefined) resolve();
      else reject(err);
    };
    const broadcastCtl = (c: Ctl): void => {
      for (const link of links) link.send(ctlEnvelope(sid, c));
    };
    const checkEnd = (): void => {
      if (localDone.size === o.local.length && [...remoteAt.keys()].every((id) => remoteDone.has(id))) end();
    };
    const route = (from: LocalSession, msgs: Envelope[]): void => {
      if (msgs.length === 0) return;
      const rounds = lastOut.get(from.id)!;
      rounds.push(msgs);
      if (rounds.length > 2) rounds.shift();
      for (const m of msgs) {
        if (m.to === null) {
          for (const l of o.local) if (l !== from) queue.push({ to: l, env: m });
          for (const link of links) link.send(m); // once per node, whatever parties live there
        } else if (localIds.has(m.to)) {
          queue.push({ to: o.local.find((l) => l.id === m.to)!, env: m });
        } else {
          const link = remoteAt.get(m.to);
          if (!link) throw new InternalBug(`${o.protocol}: a message to party ${m.to}, who is neither local nor remote`);
          link.send(m);
        }
      }
    };
    const abortLocal = (l: LocalSession, e: ProtocolAbort): void => {
      broadcastCtl({ t: 'abort', party: l.id, reason: e.reason, round: e.round, culprits: [...e.culprits] });
      end(e);
    };
    const afterStep = (l: LocalSession): void => {
      if (l.session.status !== 'done' || finishing.has(l.id)) return;
      finishing.add(l.id);
      l.finish().then(
        () => {
          if (settled) return;
          localDone.add(l.id);
          lastProgress = Date.now();
          broadcastCtl({ t: 'done', party: l.id });
          checkEnd();
        },
        (e: unknown) => {
          broadcastCtl({ t: 'fail', party: l.id, message: e instanceof Error ? e.message.slice(0, 500) : 'finish failed' });
          end(e);
        },
      );
    };
    /** Local sessions with an asynchronous step under way (nothing more is delivered to them until it settled). */
    const stepping = new Set<LocalSession>();
    const failed = (l: LocalSession, e: unknown): void => (e instanceof ProtocolAbort ? abortLocal(l, e) : end(e));
    const step = (l: LocalSession, fn: () => Envelope[] | Promise<Envelope[]>): void => {
      if (settled) return;
      let out: Envelope[] | Promise<Envelope[]>;
      try {
        out = fn();
        if (!(out instanceof Promise)) route(l, out);
      } catch (e) {
        return failed(l, e);
      }
      if (!(out instanceof Promise)) return afterStep(l);
      stepping.add(l);
      out.then(
        (msgs) => {
          stepping.delete(l);
          if (settled) return;
          try {
            route(l, msgs);
          } catch (e) {
            return failed(l, e);
          }
          afterStep(l);
          pump();
        },
        (e: unknown) => {
          stepping.delete(l);
          if (!settled) failed(l, e);
        },
      );
    };
    const pump = (): void => {
      for (let k = 0; k < queue.length && !settled; ) {
        const { to, env } = queue[k]!;
        if (stepping.has(to)) {
          k++; // its step is under way: keep the envelope, in order, for after it
          continue;
        }
        queue.splice(k, 1);
        if (to.session.status === 'aborted' || to.session.status === 'done') continue;
        step(to, () => to.session.receive(env));
      }
    };
    const onEnvelope = (env: Envelope, link: Link, bytes: number): void => {
      if (settled) return;
      if (env.protocol === CTL_PROTOCOL) {
        let c: Ctl;
        try {
          c = decodeCtl(env.payload, link.peerPub && bytesToHex(link.peerPub));
        } catch (e) {
          if (!isRefusedFrame(e)) throw e;
          o.onDrop?.('unreadable control frame', link);
          return link.refuse(e);
        }
        if (remoteAt.get(c.party) !== link) return o.onDrop?.('control frame from no party of this link', link);
        lastProgress = Date.now();
        if (c.t === 'done') {
          remoteDone.add(c.party);
          checkEnd();
        } else if (c.t === 'abort') end(new ProtocolAbort(c.reason, c.round, c.culprits, `reported by party ${c.party}`));
        else end(new InternalBug(`party ${c.party} failed after the protocol: ${c.message}`, { party: c.party }, 'BUS_REMOTE_ERROR'));
        return;
      }
      // the sender must be a party that lives at the node this link goes to; anything else is dropped
      if (remoteAt.get(env.from) !== link) return o.onDrop?.(`sender ${String(env.from)} does not live behind this link`, link);
      const all = env.to === null ? o.local : o.local.filter((l) => l.id === env.to);
      const targets = all.filter((t) => earlyAllowed(t, env, bytes));
      if (targets.length < all.length) link.stats.add('early-bytes', all.length - targets.length);
      if (targets.length === 0) return;
      seenRound.set(env.from, Math.max(seenRound.get(env.from) ?? 0, env.round));
      lastProgress = Date.now();
      for (const t of targets) queue.push({ to: t, env });
      pump();
    };
    for (const link of links) {
      offs.push(link.subscribe(sid, onEnvelope));
      offs.push(link.onReady(() => resend(link)));
    }
    // a typed reason (e.g. SERVER_UNAVAILABLE: the remote node is gone) ends the run with that error; any other: cancelled
    const onAbort = (): void => end(o.signal?.reason instanceof TkeyTssError ? o.signal.reason : new InternalBug(`${o.protocol}: cancelled`, { cancelled: true }, 'SESSION_STALLED'));
    if (o.signal) {
      if (o.signal.aborted) return onAbort();
      o.signal.addEventListener('abort', onAbort, { once: true });
      offs.push(() => o.signal!.removeEventListener('abort', onAbort));
    }
    const timer = setInterval(() => {
      if (settled) return;
      const now = Date.now();
      if (now - lastProgress > stallMs) {
        const waitRound = Math.min(...o.local.map((l) => (l.session.status === 'done' ? Infinity : l.session.nextRound - 1)));
        let stalled = [...remoteAt.keys()].filter((id) => !remoteDone.has(id) && (seenRound.get(id) ?? 0) < waitRound);
        if (stalled.length === 0) stalled = [...remoteAt.keys()].filter((id) => !remoteDone.has(id));
        end(
          new InternalBug(`${o.protocol}: no progress for ${stallMs} ms; waiting for part${stalled.length === 1 ? 'y' : 'ies'} ${stalled.join(', ')}`, { stalled, protocol: o.protocol, sid: bytesToHex(sid) }, 'SESSION_STALLED'),
        );
        return;
      }
      if (now - lastProgress > resendMs && now - lastResend > resendMs) resend();
    }, Math.max(10, Math.min(250, resendMs / 2)));
    for (const l of o.local) step(l, () => l.session.start());
    pump();
    checkEnd();
  });
}

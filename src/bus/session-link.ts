/**
 * The session layer over a transport.
 *
 * `Link` — this node's connection to one peer node: the handshake on every (re)connection
 * (challenge–response that binds the connection to the peer's identity key), the secure channel
 * (`secure-channel.ts`) for every envelope, demultiplexing by sid, a bounded buffer for envelopes
 * of sessions not yet attached, and tombstones that answer late frames of finished sessions.
 * `LinkServer` accepts connections (any transport) and keeps one `Link` per peer identity, so a
 * reconnecting peer gets its link — channel state, replay windows, sessions — back.
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
 *     wait for (`details.stalled`).
 * @module
 */
import { abytes, bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError, ProtocolAbort, TkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng, type Rng } from '../rng.js';
import type { Envelope, WirePayload } from './codec.js';
import { anIdentity, helloAnswer, helloChallenge, helloVerify, isHandshake, isRefusedFrame, SecureChannel, type Identity } from './secure-channel.js';
import type { FrameTransport } from './transport.js';

/** Protocol name of node-level control envelopes (from = to = 0 for RPC; session `done`/`abort` carry party ids in the payload). */
export const CTL_PROTOCOL = 'bus/ctl';
export const RPC_PROTOCOL = 'bus/rpc';
const T_CONN = utf8ToBytes('tkey-tss/bus/v1/connection');

const UNCLAIMED_MAX = 512;
const UNCLAIMED_TTL_MS = 120_000;
const TOMBSTONE_TTL_MS = 120_000;

type EnvelopeHandler = (env: Envelope, link: Link) => void;

export interface LinkOptions {
  /** This node's identity: a 32-byte secp256k1 secret or an `Identity`. */
  identityKey: Identity | Uint8Array;
  rng?: Rng;
  /** A refused frame (auth, replay, malformed): the typed error names the sender. Default: ignored. */
  onRefused?: (e: TkeyTssError, link: Link) => void;
}

/** This node's connection to one peer node. */
export class Link {
  readonly self: Identity;
  readonly #rng: Rng;
  readonly #onRefused: ((e: TkeyTssError, link: Link) => void) | undefined;
  #channel: SecureChannel | null = null;
  #transport: FrameTransport | null = null;
  #detach: (() => void) | null = null;
  #ready = false;
  #connSid: Uint8Array | null = null;
  #closed = false;
  readonly #subs = new Map<string, Set<EnvelopeHandler>>();
  readonly #readyFns = new Set<() => void>();
  readonly #downFns = new Set<() => void>();
  #unclaimed: { h: string; env: Envelope; at: number }[] = [];
  readonly #tombs = new Map<string, { envs: Envelope[]; until: number; last: number }>();
  #waiters: (() => void)[] = [];
  /** Refused frames so far (for diagnostics). */
  refused = 0;

  /** @internal use `connectLink` / `LinkServer`. */
  constructor(opts: LinkOptions) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.self = anIdentity(opts.identityKey);
    this.#rng = opts.rng ?? cryptoRng;
    this.#onRefused = opts.onRefused;
  }

  /** The peer's identity key (after the first handshake). */
  get peerPub(): Uint8Array | null {
    return this.#channel?.peerPub ?? null;
  }
  get isReady(): boolean {
    return this.#ready && !this.#closed && !!this.#transport?.isOpen;
  }
  /** The per-connection sid (fresh on each handshake): RPC runs under it, so it never survives a reconnection. */
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

  /** @internal bind a transport whose handshake completed. */
  bind(t: FrameTransport, peerPub: Uint8Array, nonce: Uint8Array): void {
    if (this.#closed) {
      t.close();
      return;
    }
    if (!this.#channel) this.#channel = new SecureChannel(this.self, peerPub, { rng: this.#rng });
    else if (!equalBytes(this.#channel.peerPub, peerPub)) fail('BUS_AUTH_FAILED', 'the connection belongs to another peer', { peer: bytesToHex(peerPub) });
    this.#connSid = sha256(concatBytes(T_CONN, nonce));
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

  /** @internal the connection went down: not ready until the next handshake. */
  unbindIfCurrent(t: FrameTransport): void {
    if (this.#transport !== t) return;
    this.#ready = false;
  }

  #frame(f: Uint8Array): void {
    if (this.#closed || !this.#channel) return;
    if (isHandshake(f) !== null) return; // handled by the connector
    let env: Envelope;
    try {
      env = this.#channel.open(f);
    } catch (e) {
      if (isRefusedFrame(e)) {
        this.refused++;
        this.#onRefused?.(e, this);
        return;
      }
      throw e;
    }
    this.#dispatch(env);
  }

  #dispatch(env: Envelope): void {
    const h = bytesToHex(env.sid);
    const subs = this.#subs.get(h);
    if (subs && subs.size) {
      for (const fn of [...subs]) fn(env, this);
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
    this.#unclaimed = this.#unclaimed.filter((u) => now - u.at < UNCLAIMED_TTL_MS);
    if (this.#unclaimed.length >= UNCLAIMED_MAX) this.#unclaimed.shift();
    this.#unclaimed.push({ h, env, at: now });
  }

  /** Receive the envelopes of session `sid` (and any buffered ones, at once). */
  subscribe(sid: Uint8Array, fn: EnvelopeHandler): () => void {
    const h = bytesToHex(abytes(sid, 'sid'));
    let s = this.#subs.get(h);
    if (!s) this.#subs.set(h, (s = new Set()));
    s.add(fn);
    this.#tombs.delete(h);
    const mine = this.#unclaimed.filter((u) => u.h === h);
    if (mine.length) {
      this.#unclaimed = this.#unclaimed.filter((u) => u.h !== h);
      queueMicrotask(() => {
        for (const u of mine) if (s!.has(fn)) fn(u.env, this);
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
    this.#channel?.destroy();
    for (const fn of [...this.#downFns]) fn();
  }

  toJSON(): unknown {
    return { self: bytesToHex(this.self.publicKey), peer: this.peerPub ? bytesToHex(this.peerPub) : null, ready: this.isReady };
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
  transport.listen({
    frame: (f) => {
      if (isHandshake(f) !== 1) return;
      try {
        const ans = helloAnswer(link.self, f, expect ?? link.peerPub ?? undefined);
        transport.send(ans.frame);
        link.bind(transport, ans.serverPub, ans.nonce);
      } catch (e) {
        if (isTkeyTssError(e)) opts.onRefused?.(e, link);
        transport.close();
      }
    },
    close: () => link.unbindIfCurrent(transport),
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
  /** How long a connection may take to answer the challenge (ms). */
  handshakeMs = 10_000;

  constructor(opts: LinkOptions) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.self = anIdentity(opts.identityKey);
    this.#opts = { ...opts, identityKey: this.self };
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
    let pending: { nonce: Uint8Array; timer: ReturnType<typeof setTimeout> } | null = null;
    const challenge = (): void => {
      if (pending) clearTimeout(pending.timer);
      const ch = helloChallenge(this.self, this.#opts.rng ?? cryptoRng);
      pending = { nonce: ch.nonce, timer: setTimeout(() => pending && t.close(), this.handshakeMs) };
      t.send(ch.frame);
    };
    t.listen({
      frame: (f) => {
        if (!pending || isHandshake(f) !== 2) return;
        const { nonce, timer } = pending;
        pending = null;
        clearTimeout(timer);
        let pub: Uint8Array;
        try {
          pub = helloVerify(this.self, nonce, f);
        } catch (e) {
          t.close();
          if (isTkeyTssError(e)) this.#opts.onRefused?.(e, new Link({ identityKey: this.self }));
          return;
        }
        const h = bytesToHex(pub);
        let link = this.#links.get(h);
        const fresh = !link;
        if (!link) this.#links.set(h, (link = new Link(this.#opts)));
        link.bind(t, pub, nonce);
        if (fresh) for (const fn of [...this.#onLink]) fn(link);
      },
      open: challenge,
      close: () => {
        if (pending) clearTimeout(pending.timer);
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

/** What `runSessions` needs of a session (`protocols/session.ts` `Session` fits). */
export interface SessionLike {
  start(): Envelope[];
  receive(m: Envelope): Envelope[];
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
   * A frame of this session that claims a sender not living behind the link it came on (or an
   * unreadable control frame): dropped — never delivered, never blamed — and reported here.
   */
  onDrop?: (detail: string, link: Link) => void;
}

type Ctl = { t: 'done'; party: number } | { t: 'abort'; party: number; reason: string; round: number; culprits: number[] } | { t: 'fail'; party: number; message: string };

function ctlEnvelope(sid: Uint8Array, c: Ctl): Envelope {
  return { sid, protocol: CTL_PROTOCOL, round: 0, from: 0, to: 0, payload: c as unknown as WirePayload };
}

function parseCtl(p: WirePayload): Ctl | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p) || p instanceof Uint8Array) return null;
  const o = p as Record<string, WirePayload>;
  if (typeof o.party !== 'number') return null;
  if (o.t === 'done') return { t: 'done', party: o.party };
  if (o.t === 'abort' && typeof o.reason === 'string' && typeof o.round === 'number' && Array.isArray(o.culprits) && o.culprits.every((c) => typeof c === 'number'))
    return { t: 'abort', party: o.party, reason: o.reason, round: o.round, culprits: o.culprits as number[] };
  if (o.t === 'fail' && typeof o.message === 'string') return { t: 'fail', party: o.party, message: o.message };
  return null;
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
    const step = (l: LocalSession, fn: () => Envelope[]): void => {
      if (settled) return;
      try {
        route(l, fn());
      } catch (e) {
        if (e instanceof ProtocolAbort) return abortLocal(l, e);
        return end(e);
      }
      afterStep(l);
    };
    const pump = (): void => {
      while (queue.length && !settled) {
        const { to, env } = queue.shift()!;
        if (to.session.status === 'aborted' || to.session.status === 'done') continue;
        step(to, () => to.session.receive(env));
      }
    };
    const onEnvelope = (env: Envelope, link: Link): void => {
      if (settled) return;
      if (env.protocol === CTL_PROTOCOL) {
        const c = parseCtl(env.payload);
        if (!c || remoteAt.get(c.party) !== link) return o.onDrop?.('control frame from no party of this link', link);
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
      const targets = env.to === null ? o.local : o.local.filter((l) => l.id === env.to);
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
    const onAbort = (): void => end(new InternalBug(`${o.protocol}: cancelled`, { cancelled: true }, 'SESSION_STALLED'));
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

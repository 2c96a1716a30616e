/**
 * The session driver: runs one party of a protocol over any transport.
 *
 * - `start()` runs round 1 and returns its messages; `receive(msg)` checks and stores a message
 *   and, once every other party's messages of the current round are in, runs the next round(s)
 *   and returns the new outgoing messages; `output` is set after the last round.
 * - Unattributable garbage is dropped and counted (`dropped`), never an abort: a message that is
 *   not an envelope object, or whose sender is not another party of the session (0, −1, 2^53, a
 *   string, NaN, self, a stranger's id). Nobody can be blamed for it, so it must not end the session.
 * - Checks on every message from a party (any failure is a terminal `ProtocolAbort` naming that
 *   sender): sid, protocol, recipient is null or self, round is one the session can accept now,
 *   the round sends messages of that kind. An identical copy of a stored message is ignored
 *   (retransmission); a different message for the same (round, sender, kind) is an abort.
 * - Early messages (round k+1 while round k is still being collected) are buffered.
 * - Echo broadcast (n ≥ 3): the driver hashes every round-e broadcast it received (and its own) into
 *   an echo vector h[p] = H(sid, protocol, p, e, payload of p) and sends it with each round-(e+1)
 *   message as `{body, echo}`. A party j whose vector differs from ours at its own position or ours
 *   is blamed alone ([j]: it equivocated, or lies about what it got from us); checked first for all
 *   j. A difference at a third party p gives culprits [p, j]: p sent different broadcasts or j lies,
 *   and without signed broadcasts (bus layer) the two cannot be told apart.
 * - A round may send only from `minParties` parties on (`sends.minParties`); with fewer it sends
 *   nothing and the next round runs at once.
 * - On an abort, `protocol.unconfirmed(state)` (if any) gives the verified but unconfirmed output the
 *   state held (refresh: new shares); it is kept as `unconfirmed` for the owner to stage.
 * - Progress events per round. Randomness per round (`roundRng`): a DRBG seeded from
 *   H(label, 32 bytes of the caller's RNG, 32 bytes of the platform CSPRNG), label =
 *   "<protocol>/<sid hex>/round<k>" — so no caller RNG (a fixed seed, a cloned state) can make two
 *   sessions draw the same nonces. Only an explicit replay mode (`replay: true`, a `SeededRng`; the
 *   conformance vectors and transcript tests) draws `rng.fork(label)`, reproducibly.
 * - `snapshot()` is plain data (structured-clone safe); `Session.resume` continues from it.
 * - Asynchronous rounds (issue 13): with a `parallel` executor (`SessionOptions.parallel`) rounds
 *   that have `runParallel` run it with `ctx.parallel` (presign rounds 1–4 fan their independent
 *   proofs out to it). Such a session is driven by `startAsync()` / `receiveAsync()` / `receiveWireAsync()`:
 *   each call is queued behind the previous one, so a session's inputs are never processed
 *   concurrently; the synchronous `start()` / `receive()` refuse it (SESSION_ASYNC). A round that
 *   fails for a reason other than a `ProtocolAbort` (a worker crashed: WORKER_CRASHED) ends the
 *   session with that error: this and every later call rejects with it. Replay mode never passes
 *   the executor: its rounds stay sequential and byte-identical.
 * @module
 */
import { abytes, bytesToHex, concatBytes, equalBytes, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { fail, InternalBug, ProtocolAbort } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng, SeededRng, type Rng } from '../src/rng.js';
import { Transcript } from '../src/zk/transcript.js';
import type { Inbox, Message, Outgoing, ParallelExecutor, PartyContext, PartySpec, Payload, Protocol, Received, RoundContext, RoundResult, SessionConfig } from './types.js';
import { decodeMessage, encodePayload } from './wire.js';

export type Kind = 'broadcast' | 'p2p';

export interface ProgressEvent {
  protocol: string;
  round: number;
  phase: 'start' | 'end';
  /** Wall time of the round (phase 'end'). */
  ms?: number;
  /** Unattributable messages dropped so far (phase 'end'; see `Session.dropped`). */
  dropped?: number;
}

/** Why a message was dropped without blaming anyone. */
export type DropReason = 'NOT_AN_ENVELOPE' | 'UNKNOWN_SENDER';

/** Counters of dropped unattributable messages. */
export interface DropStats {
  total: number;
  byReason: Record<DropReason, number>;
}

/** Fault injection for tamper tests (test/helpers/tamper.ts). Never set in production. */
export interface RoundHooks {
  beforeRound?(round: number, state: unknown): unknown;
  afterRound?(round: number, result: RoundResult<unknown, unknown>): RoundResult<unknown, unknown>;
}

export interface SessionOptions {
  /** The caller's randomness; per round it is mixed with fresh platform entropy (unless `replay`). */
  rng: Rng;
  /**
   * REPLAY MODE — conformance vectors and transcript tests only. Round k draws exactly
   * `rng.fork("<protocol>/<sid hex>/round<k>")` (the rng must be a `SeededRng`), so a run is a
   * function of (seed, sid): the same seed and sid redraw the same nonces, which leaks the key in
   * presign. `ServiceParty`, `TssAccount` and the worker engine refuse it (REPLAY_MODE_REFUSED).
   */
  replay?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  hooks?: RoundHooks;
  /** Called for every dropped unattributable message (diagnostics; it must not throw). */
  onDrop?: (reason: DropReason, detail: string) => void;
  /**
   * Run each round's independent tasks on this executor (the math pool's `executor()`, or
   * `inThreadExecutor` of protocols/tasks.ts). The session is then asynchronous: drive it with
   * `startAsync` / `receiveAsync` (the synchronous calls refuse it: SESSION_ASYNC). Ignored in
   * replay mode (sequential, byte-identical rounds).
   */
  parallel?: ParallelExecutor;
}

export type SessionStatus = 'ready' | 'running' | 'done' | 'aborted';

interface Slot {
  round: number;
  from: number;
  kind: Kind;
  digest: Uint8Array;
  /** Dropped once the round is consumed (the digest stays for duplicate detection). */
  payload: Payload | null;
}

export interface SessionSnapshot<S = unknown> {
  version: 1;
  protocol: string;
  config: { sid: Uint8Array; self: number; parties: PartySpec[]; threshold: number };
  status: SessionStatus;
  /** Next round function to run (1-based). */
  next: number;
  state: S | null;
  slots: Slot[];
  /** Own round-e broadcast (echo source) and echo vector, once known. */
  echoOwn: Payload | null;
  echo: Uint8Array[] | null;
  abort: { reason: string; round: number; culprits: number[]; message: string } | null;
  /** Drop counters (absent in older snapshots: zero). */
  dropped?: DropStats;
}

const ECHO_TAG = 'tkey-tss/session/echo/v1';
const ROUND_RNG_TAG = utf8ToBytes('tkey-tss/session/round-rng/v1');

/** Validate and normalise a session config (parties sorted by id, owns sorted). InvalidInput on error. */
export function normaliseConfig(cfg: SessionConfig, protocol: string): PartyContext {
  if (typeof cfg !== 'object' || cfg === null) fail('INVALID_ARGUMENT', 'config: expected an object');
  abytes(cfg.sid, 'config.sid');
  if (cfg.sid.length === 0 || cfg.sid.length > 1024) fail('INVALID_LENGTH', 'config.sid: expected 1..1024 bytes');
  if (!Array.isArray(cfg.parties) || cfg.parties.length < 2) fail('INVALID_ARGUMENT', 'config.parties: expected at least two parties');
  const ids = new Set<number>();
  const indices = new Set<number>();
  const parties: PartySpec[] = [];
  for (const [k, p] of cfg.parties.entries()) {
    if (typeof p !== 'object' || p === null) fail('INVALID_ARGUMENT', `config.parties[${k}]: expected {id, owns}`);
    const id = p.id;
    if (!Number.isSafeInteger(id) || id < 0) fail('INVALID_ARGUMENT', `config.parties[${k}].id: expected a positive integer`);
    if (id === 0) fail('ZERO_INDEX', `config.parties[${k}].id: party id 0`);
    if (ids.has(id)) fail('DUPLICATE_INDEX', `config.parties: duplicate party id ${id}`);
    ids.add(id);
    if (!Array.isArray(p.owns)) fail('INVALID_ARGUMENT', `config.parties[${k}].owns: expected an array`);
    for (const x of p.owns) {
      if (!Number.isSafeInteger(x) || x < 0 || x >= 2 ** 32) fail('INVALID_ARGUMENT', `config.parties[${k}].owns: expected integers in [1, 2^32)`);
      if (x === 0) fail('ZERO_INDEX', `config.parties[${k}].owns: share index 0`);
      if (indices.has(x)) fail('DUPLICATE_INDEX', `config.parties: share index ${x} owned twice`);
      indices.add(x);
    }
    parties.push({ id, owns: [...p.owns].sort((a, b) => a - b) });
  }
  parties.sort((a, b) => a.id - b.id);
  if (!ids.has(cfg.self)) fail('INVALID_ARGUMENT', `config.self: ${String(cfg.self)} is not a party`);
  if (!Number.isSafeInteger(cfg.threshold) || cfg.threshold < 1 || cfg.threshold > indices.size) {
    fail('OUT_OF_RANGE', `config.threshold: expected 1..${indices.size} (the number of share indices)`);
  }
  return Object.freeze({ sid: new Uint8Array(cfg.sid), protocol, self: cfg.self, parties, threshold: cfg.threshold });
}

/**
 * Per-round randomness. Fresh mode (the default): a ChaCha20 DRBG seeded from
 *   H("tkey-tss/session/round-rng/v1", |label|, label, rng(32), CSPRNG(32)),  label = "<protocol>/<sid hex>/round<k>",
 * so whatever the caller's RNG is (a seeded DRBG restarted with the same seed, a cloned state), the
 * platform CSPRNG makes every round of every session draw new nonces. Replay mode: exactly
 * `rng.fork(label)` (a `SeededRng` only) — a resumed or replayed session draws what it drew before.
 */
export function roundRng(rng: Rng, protocol: string, round: number, sid: Uint8Array, replay = false): Rng {
  const name = `${protocol}/${bytesToHex(sid)}/round${round}`;
  if (replay) {
    if (!(rng instanceof SeededRng)) fail('INVALID_ARGUMENT', 'replay mode needs a SeededRng');
    return rng.fork(name);
  }
  const label = utf8ToBytes(name);
  // seeded on first use: a round that draws nothing (sign, the output rounds) costs nothing
  let drbg: SeededRng | null = null;
  return {
    bytes(n: number): Uint8Array {
      if (drbg === null) {
        const own = abytes(rng.bytes(32), 'rng.bytes(32)', 32);
        drbg = new SeededRng(sha256(concatBytes(ROUND_RNG_TAG, numberToBytesBE(BigInt(label.length), 4), label, own, cryptoRng.bytes(32))));
      }
      return drbg.bytes(n);
    },
    toJSON: () => 'RoundRng(<redacted>)',
  } as Rng;
}

/** h = H(sid, protocol, sender, round, payload): one entry of the echo vector. */
export function echoHash(sid: Uint8Array, protocol: string, sender: number, round: number, payload: Payload): Uint8Array {
  return Transcript.create({ sid, protocol, prover: sender }).domain(ECHO_TAG).uint('round', round).bytes('payload', encodePayload(payload)).challengeBytes('h', 32);
}

/**
 * For entry points that run real accounts (`ServiceParty`, `TssAccount`, the worker engine): an
 * options object asking for replay mode (`replay` set to anything but false, or `mode: 'replay'`)
 * is refused with REPLAY_MODE_REFUSED — replay mode redraws the same nonces for the same seed and
 * sid, which leaks the key in presign.
 */
export function refuseReplayMode(opts: object, where: string): void {
  const o = opts as { replay?: unknown; mode?: unknown };
  if ((o.replay !== undefined && o.replay !== false) || o.mode === 'replay') {
    fail('REPLAY_MODE_REFUSED', `${where}: replay mode is for conformance vectors and transcript tests only; real accounts always draw fresh randomness`);
  }
}

/** Named assert of the session options (InvalidInput). */
function aSessionOptions(opts: SessionOptions): void {
  if (typeof opts !== 'object' || opts === null || typeof opts.rng?.bytes !== 'function') fail('INVALID_ARGUMENT', 'opts.rng: expected an Rng');
  if (opts.replay !== undefined && typeof opts.replay !== 'boolean') fail('INVALID_ARGUMENT', 'opts.replay: expected a boolean');
  if (opts.replay === true && !(opts.rng instanceof SeededRng)) fail('INVALID_ARGUMENT', 'opts.replay: replay mode needs a SeededRng (seededRng(seed))');
  if (opts.onDrop !== undefined && typeof opts.onDrop !== 'function') fail('INVALID_ARGUMENT', 'opts.onDrop: expected a function');
  if (opts.parallel !== undefined && (typeof opts.parallel !== 'object' || opts.parallel === null || typeof opts.parallel.run !== 'function')) fail('INVALID_ARGUMENT', 'opts.parallel: expected a ParallelExecutor ({run(tasks)})');
}

function aDropStats(d: unknown): DropStats {
  const o = d as DropStats;
  const n = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!isObj(o) || !n(o.total) || !isObj(o.byReason) || !n(o.byReason.NOT_AN_ENVELOPE) || !n(o.byReason.UNKNOWN_SENDER)) fail('INVALID_ARGUMENT', 'snapshot.dropped: expected drop counters');
  return { total: o.total, byReason: { NOT_AN_ENVELOPE: o.byReason.NOT_AN_ENVELOPE, UNKNOWN_SENDER: o.byReason.UNKNOWN_SENDER } };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export class Session<I = unknown, S = unknown, O = unknown> {
  readonly protocol: Protocol<I, S, O>;
  readonly ctx: PartyContext;
  #rng: Rng;
  readonly #replay: boolean;
  #onProgress: ((e: ProgressEvent) => void) | undefined;
  #hooks: RoundHooks | undefined;
  #onDrop: ((reason: DropReason, detail: string) => void) | undefined;
  #dropped: DropStats = { total: 0, byReason: { NOT_AN_ENVELOPE: 0, UNKNOWN_SENDER: 0 } };
  #status: SessionStatus = 'ready';
  #next = 1;
  #state: S | null;
  #slots: Slot[] = [];
  #echoOwn: Payload | null = null;
  #echo: Uint8Array[] | null = null;
  #abort: ProtocolAbort | null = null;
  #output: O | undefined;
  #unconfirmed: O | undefined;
  /** The executor rounds get (never in replay mode); set ⇒ the session is asynchronous. */
  readonly #parallel: ParallelExecutor | undefined;
  /** Async calls run one after the other on this chain. */
  #chain: Promise<unknown> = Promise.resolve();
  /** Async calls queued or running. */
  #pending = 0;
  /** A round failed with something other than a ProtocolAbort (e.g. WORKER_CRASHED): terminal. */
  #failed: unknown = undefined;
  #hasFailed = false;

  private constructor(protocol: Protocol<I, S, O>, ctx: PartyContext, state: S | null, opts: SessionOptions) {
    this.protocol = protocol;
    this.ctx = ctx;
    this.#state = state;
    this.#rng = opts.rng;
    this.#replay = opts.replay === true;
    this.#onProgress = opts.onProgress;
    this.#hooks = opts.hooks;
    this.#onDrop = opts.onDrop;
    this.#parallel = this.#replay ? undefined : opts.parallel;
    const e = protocol.echoRound;
    if (e !== undefined && (e < 1 || e + 1 >= protocol.rounds.length || !protocol.rounds[e - 1]!.sends.broadcast)) {
      throw new InternalBug(`${protocol.name}: echo round ${e} must send broadcasts and be followed by a round that sends`);
    }
  }

  /** A new session: validates config and input (InvalidInput, nothing sent). */
  static create<I, S, O>(protocol: Protocol<I, S, O>, config: SessionConfig, input: I, opts: SessionOptions): Session<I, S, O> {
    aSessionOptions(opts);
    const ctx = normaliseConfig(config, protocol.name);
    return new Session(protocol, ctx, protocol.init(input, ctx), opts);
  }

  /** Continue a paused session. */
  static resume<I, S, O>(protocol: Protocol<I, S, O>, snap: SessionSnapshot<S>, opts: SessionOptions): Session<I, S, O> {
    aSessionOptions(opts);
    if (!isObj(snap) || snap.version !== 1 || snap.protocol !== protocol.name) fail('INVALID_ARGUMENT', 'snapshot: not a snapshot of this protocol');
    const s = structuredClone(snap);
    const ctx = normaliseConfig(s.config, protocol.name);
    const out = new Session(protocol, ctx, s.state, opts);
    out.#status = s.status;
    out.#next = s.next;
    out.#slots = s.slots;
    out.#echoOwn = s.echoOwn;
    out.#echo = s.echo;
    if (s.dropped !== undefined) out.#dropped = aDropStats(s.dropped);
    if (s.abort) out.#abort = new ProtocolAbort(s.abort.reason, s.abort.round, s.abort.culprits, s.abort.message);
    return out;
  }

  get status(): SessionStatus {
    return this.#status;
  }
  /** The output once `status === 'done'`. */
  get output(): O | undefined {
    return this.#output;
  }
  get abort(): ProtocolAbort | null {
    return this.#abort;
  }
  /** Unattributable messages dropped so far (a copy). */
  get dropped(): DropStats {
    return { total: this.#dropped.total, byReason: { ...this.#dropped.byReason } };
  }
  /** True when rounds run asynchronously (a `parallel` executor): use `startAsync` / `receiveAsync`. */
  get async(): boolean {
    return this.#parallel !== undefined;
  }
  /** True when the session runs in replay mode (deterministic per-round randomness). */
  get replay(): boolean {
    return this.#replay;
  }
  /**
   * The verified but unconfirmed output (refresh: the new shares once Feldman-verified) the session
   * held when it aborted — or holds now, while it is still running (a peer withheld its last
   * message: read it before giving up) — else undefined. Never a success: the owner may only stage
   * it next to its current state, and an outside decision (the durable commit) says if it counts.
   */
  get unconfirmed(): O | undefined {
    if (this.#status === 'running' && this.#state !== null) return this.protocol.unconfirmed?.(this.#state, this.ctx) ?? undefined;
    return this.#unconfirmed;
  }
  /** Next round function to run (1-based). */
  get nextRound(): number {
    return this.#next;
  }
  get #lastMessageRound(): number {
    return this.protocol.rounds.length - 1;
  }
  get #others(): number[] {
    return this.ctx.parties.map((p) => p.id).filter((id) => id !== this.ctx.self);
  }
  /** What round k sends in this session (nothing below its `minParties`). */
  #sends(k: number): { broadcast: boolean; p2p: boolean } {
    const s = this.protocol.rounds[k - 1]!.sends;
    return (s.minParties ?? 0) > this.ctx.parties.length ? { broadcast: false, p2p: false } : s;
  }
  get #echoOn(): boolean {
    return this.protocol.echoRound !== undefined && this.ctx.parties.length >= 3;
  }

  snapshot(): SessionSnapshot<S> {
    if (this.#hasFailed) throw this.#failed;
    if (this.#pending > 0) fail('SESSION_ASYNC', 'snapshot: an asynchronous step is in flight; take it after the step settles');
    if (this.#status === 'done') fail('INVALID_ARGUMENT', 'snapshot: the session is finished; keep its output instead');
    const a = this.#abort;
    return structuredClone({
      version: 1,
      protocol: this.protocol.name,
      config: { sid: this.ctx.sid, self: this.ctx.self, parties: this.ctx.parties.map((p) => ({ id: p.id, owns: [...p.owns] })), threshold: this.ctx.threshold },
      status: this.#status,
      next: this.#next,
      state: this.#state,
      slots: this.#slots,
      echoOwn: this.#echoOwn,
      echo: this.#echo,
      dropped: this.dropped,
      abort: a ? { reason: a.reason, round: a.round, culprits: [...a.culprits], message: a.message } : null,
    });
  }

  /** Run round 1 (and any round the buffered messages complete). Synchronous sessions only. */
  start(): Message[] {
    this.#assertSync('start');
    this.#assertLive();
    if (this.#status !== 'ready') fail('INVALID_ARGUMENT', 'start: the session has already started');
    this.#status = 'running';
    return this.#guard(() => [...this.#runRound(new Map()), ...this.#advance()]);
  }

  /**
   * Wire bytes from a transport: decoded (canonical codec) and received. Bytes that are not an
   * envelope carry no sender anyone can be blamed for: dropped and counted, like other garbage.
   */
  receiveWire(bytes: Uint8Array): Message[] {
    this.#assertSync('receiveWire');
    this.#assertLive();
    const msg = this.#decodeWire(bytes);
    return msg === null ? [] : this.receive(msg);
  }

  /** Check and store one message; returns whatever the session sends as a result. Synchronous sessions only. */
  receive(msg: Message): Message[] {
    this.#assertSync('receive');
    this.#assertLive();
    if (this.#status === 'done') {
      // a late identical retransmission is ignored; anything else throws but leaves the verified output alone
      this.#accept(msg);
      return [];
    }
    return this.#guard(() => {
      if (!this.#accept(msg)) return [];
      return this.#status === 'running' ? this.#advance() : [];
    });
  }

  /**
   * `start()` for any session (asynchronous rounds awaited). Queued behind earlier async calls of
   * this session; a synchronous session works too (its rounds just return at once).
   */
  startAsync(): Promise<Message[]> {
    return this.#enqueue(async () => {
      this.#assertLive();
      if (this.#status !== 'ready') fail('INVALID_ARGUMENT', 'start: the session has already started');
      this.#status = 'running';
      return this.#guardAsync(async () => [...(await this.#runRoundAsync(new Map())), ...(await this.#advanceAsync())]);
    });
  }

  /** `receive(msg)` with asynchronous rounds awaited; queued behind earlier async calls (never concurrent). */
  receiveAsync(msg: Message): Promise<Message[]> {
    return this.#enqueue(async () => {
      this.#assertLive();
      return this.#acceptAsync(msg);
    });
  }

  /** `receiveWire(bytes)` with asynchronous rounds awaited; queued like `receiveAsync`. */
  receiveWireAsync(bytes: Uint8Array): Promise<Message[]> {
    return this.#enqueue(async () => {
      this.#assertLive();
      const msg = this.#decodeWire(bytes);
      return msg === null ? [] : this.#acceptAsync(msg);
    });
  }

  /** One message into an async session: stored (or checked as a retransmission once done), then the rounds it completes. */
  async #acceptAsync(msg: Message): Promise<Message[]> {
    if (this.#status === 'done') {
      this.#accept(msg);
      return [];
    }
    return this.#guardAsync(async () => {
      if (!this.#accept(msg)) return [];
      return this.#status === 'running' ? this.#advanceAsync() : [];
    });
  }

  #decodeWire(bytes: Uint8Array): Message | null {
    try {
      return decodeMessage(abytes(bytes, 'bytes'));
    } catch {
      this.#drop('NOT_AN_ENVELOPE', 'wire bytes do not decode to an envelope');
      return null;
    }
  }

  /** Run `fn` after every earlier async call of this session has settled. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#chain.then(fn).finally(() => void this.#pending--);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The synchronous API refuses an asynchronous session, and any session while an async call is queued or running. */
  #assertSync(what: string): void {
    if (this.#parallel !== undefined) fail('SESSION_ASYNC', `${what}: this session runs its rounds asynchronously (a parallel executor): use ${what === 'start' ? 'startAsync' : 'receiveAsync / receiveWireAsync'}`);
    if (this.#pending > 0) fail('SESSION_ASYNC', `${what}: an asynchronous call of this session is queued or running; keep to the async API until it settles`);
  }

  #assertLive(): void {
    if (this.#abort) throw this.#abort;
    if (this.#hasFailed) throw this.#failed;
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.#onError(e);
      throw e;
    }
  }

  async #guardAsync<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.#onError(e);
      // an async round that failed otherwise (a task's worker crashed) consumed its inputs: terminal
      if (!(e instanceof ProtocolAbort) && !this.#hasFailed) {
        this.#hasFailed = true;
        this.#failed = e;
        this.#state = null;
        this.#slots = this.#slots.map((s) => ({ ...s, payload: null }));
      }
      throw e;
    }
  }

  #onError(e: unknown): void {
    if (e instanceof ProtocolAbort) {
      this.#status = 'aborted';
      this.#abort = e;
      if (this.#state !== null) this.#unconfirmed = this.protocol.unconfirmed?.(this.#state, this.ctx) ?? undefined;
      this.#state = null;
      this.#slots = this.#slots.map((s) => ({ ...s, payload: null }));
    }
  }

  #abortMsg(reason: string, round: number, culprits: number[], message: string): never {
    throw new ProtocolAbort(reason, round, culprits, message);
  }

  #drop(reason: DropReason, detail: string): false {
    this.#dropped.total++;
    this.#dropped.byReason[reason]++;
    this.#onDrop?.(reason, detail);
    return false;
  }

  /**
   * Envelope checks and storage. Returns false for an ignored identical copy or dropped garbage.
   * Attribution first: only a message from another party of the session can blame anyone; the
   * rest is dropped (a stranger's garbage must not end an honest session).
   */
  #accept(msg: Message): boolean {
    const curRound = Math.max(1, this.#next - 1);
    if (!isObj(msg)) return this.#drop('NOT_AN_ENVELOPE', 'not an envelope object');
    const from = msg.from;
    if (typeof from !== 'number' || from === this.ctx.self || !this.ctx.parties.some((p) => p.id === from)) return this.#drop('UNKNOWN_SENDER', `sender ${typeof from === 'number' ? String(from) : typeof from}`);
    const blame = [from];
    if (!(msg.sid instanceof Uint8Array) || !equalBytes(msg.sid, this.ctx.sid)) return this.#abortMsg('WRONG_SID', curRound, blame, 'message from another session');
    if (msg.protocol !== this.protocol.name) return this.#abortMsg('WRONG_PROTOCOL', curRound, blame, `protocol ${String(msg.protocol)}`);
    if (!(msg.to === null || msg.to === this.ctx.self)) return this.#abortMsg('WRONG_RECIPIENT', curRound, blame, `addressed to ${String(msg.to)}`);
    const r = msg.round;
    if (!Number.isSafeInteger(r) || r < 1 || r > this.#lastMessageRound) return this.#abortMsg('WRONG_ROUND', curRound, blame, `round ${String(r)}`);
    const kind: Kind = msg.to === null ? 'broadcast' : 'p2p';
    if (!this.#sends(r)[kind]) return this.#abortMsg('UNEXPECTED_MESSAGE', r, blame, `no ${kind} in round ${r}`);
    let digest: Uint8Array;
    try {
      digest = sha256(encodePayload(msg.payload));
    } catch {
      return this.#abortMsg('MALFORMED_MESSAGE', r, blame, 'payload is not plain data');
    }
    const prev = this.#slots.find((s) => s.round === r && s.from === from && s.kind === kind);
    if (prev) {
      if (equalBytes(prev.digest, digest)) return false;
      return this.#abortMsg('DUPLICATE_MESSAGE', r, blame, `a different second ${kind} for round ${r}`);
    }
    if (this.#status === 'done' || !(r === this.#next - 1 || r === this.#next)) {
      return this.#abortMsg('WRONG_ROUND', r, blame, `round ${r} while the session is at round ${this.#next}`);
    }
    this.#slots.push({ round: r, from, kind, digest, payload: msg.payload });
    return true;
  }

  /** The inbox of the next round when every other party's messages of the previous round are in (consumed), else null. */
  #nextInbox(): Inbox | null {
    const k = this.#next - 1; // messages of round k feed round k+1
    const spec = this.#sends(k);
    const inbox = new Map<number, Received>();
    for (const j of this.#others) {
      const rec: Received = {};
      for (const kind of ['broadcast', 'p2p'] as const) {
        if (!spec[kind]) continue;
        const s = this.#slots.find((x) => x.round === k && x.from === j && x.kind === kind);
        if (!s) return null;
        rec[kind] = s.payload!;
      }
      inbox.set(j, rec);
    }
    for (const s of this.#slots) if (s.round === k) s.payload = null;
    return this.#unwrapEcho(k, inbox);
  }

  /** Run rounds while the previous round's messages are all in. */
  #advance(): Message[] {
    const out: Message[] = [];
    while (this.#status === 'running') {
      const inbox = this.#nextInbox();
      if (inbox === null) return out;
      out.push(...this.#runRound(inbox));
    }
    return out;
  }

  async #advanceAsync(): Promise<Message[]> {
    const out: Message[] = [];
    while (this.#status === 'running') {
      const inbox = this.#nextInbox();
      if (inbox === null) return out;
      out.push(...(await this.#runRoundAsync(inbox)));
    }
    return out;
  }

  /** Strip and check `{body, echo}` from round e+1 messages; record the echo vector after round e. */
  #unwrapEcho(k: number, inbox: Map<number, Received>): Inbox {
    if (!this.#echoOn) return inbox;
    const e = this.protocol.echoRound!;
    if (k === e) {
      this.#echo = this.ctx.parties.map((p) =>
        echoHash(this.ctx.sid, this.protocol.name, p.id, e, p.id === this.ctx.self ? this.#echoOwn! : inbox.get(p.id)!.broadcast!),
      );
      return inbox;
    }
    if (k !== e + 1) return inbox;
    const mine = this.#echo!;
    const ids = this.ctx.parties.map((p) => p.id);
    const n = ids.length;
    const out = new Map<number, Received>();
    const vectors = new Map<number, Uint8Array[]>();
    for (const [j, rec] of inbox) {
      const un: Received = {};
      let seen: Uint8Array[] | null = null;
      for (const kind of ['broadcast', 'p2p'] as const) {
        const p = rec[kind];
        if (p === undefined) continue;
        if (!isObj(p) || Object.keys(p).sort().join(',') !== 'body,echo' || !Array.isArray(p.echo) || p.echo.length !== n || !p.echo.every((h) => h instanceof Uint8Array && h.length === 32)) {
          return this.#abortMsg('MALFORMED_MESSAGE', k, [j], 'expected {body, echo} with one 32-byte hash per party');
        }
        const echo = p.echo as Uint8Array[];
        if (seen && !seen.every((h, i) => equalBytes(h, echo[i]!))) return this.#abortMsg('ECHO_MISMATCH', k, [j], 'different echo vectors in one round');
        seen = echo;
        un[kind] = p.body as Payload;
      }
      vectors.set(j, seen!);
      out.set(j, un);
    }
    // 1) j's hash of its own broadcast or of ours differs from ours: j alone is to blame
    for (const [j, v] of vectors) {
      for (const p of [j, this.ctx.self]) {
        const i = ids.indexOf(p);
        if (!equalBytes(v[i]!, mine[i]!)) return this.#abortMsg('ECHO_MISMATCH', e, [j], `party ${j} reports a different round-${e} broadcast from party ${p}`);
      }
    }
    // 2) j saw a different broadcast from a third party p: p equivocated or j lies
    for (const [j, v] of vectors) {
      for (let i = 0; i < n; i++) {
        if (equalBytes(v[i]!, mine[i]!)) continue;
        const p = ids[i]!;
        return this.#abortMsg('ECHO_MISMATCH', e, [Math.min(p, j), Math.max(p, j)], `party ${j} saw a different round-${e} broadcast from party ${p}`);
      }
    }
    return out;
  }

  /** Round k's context and state (progress 'start', the beforeRound hook). */
  #beginRound(): { k: number; ctx: RoundContext; state: S; t0: number } {
    const k = this.#next;
    const rng = roundRng(this.#rng, this.protocol.name, k, this.ctx.sid, this.#replay);
    const ctx: RoundContext = this.#parallel ? { ...this.ctx, round: k, rng, parallel: this.#parallel } : { ...this.ctx, round: k, rng };
    this.#onProgress?.({ protocol: this.protocol.name, round: k, phase: 'start' });
    const t0 = globalThis.performance.now();
    let state = this.#state as S;
    if (this.#hooks?.beforeRound) state = this.#hooks.beforeRound(k, state) as S;
    return { k, ctx, state, t0 };
  }

  #runRound(inbox: Inbox): Message[] {
    const { k, ctx, state, t0 } = this.#beginRound();
    return this.#endRound(k, this.protocol.rounds[k - 1]!.run(state, inbox, ctx), t0);
  }

  async #runRoundAsync(inbox: Inbox): Promise<Message[]> {
    const { k, ctx, state, t0 } = this.#beginRound();
    const round = this.protocol.rounds[k - 1]!;
    const res = round.runParallel && ctx.parallel ? await round.runParallel(state, inbox, { ...ctx, parallel: ctx.parallel }) : round.run(state, inbox, ctx);
    return this.#endRound(k, res, t0);
  }

  #endRound(k: number, result: RoundResult<S, O>, t0: number): Message[] {
    let res = result;
    if (this.#hooks?.afterRound) res = this.#hooks.afterRound(k, res as RoundResult<unknown, unknown>) as RoundResult<S, O>;
    this.#next = k + 1;
    let msgs: Message[] = [];
    if ('output' in res) {
      if (k !== this.protocol.rounds.length) throw new InternalBug(`${this.protocol.name}: round ${k} returned output before the last round`);
      this.#status = 'done';
      this.#state = null;
      this.#output = res.output;
    } else {
      if (k === this.protocol.rounds.length) throw new InternalBug(`${this.protocol.name}: the last round must return output`);
      this.#state = res.state;
      this.#checkOutbox(k, res.outbox);
      const e = this.protocol.echoRound;
      if (this.#echoOn && k === e) this.#echoOwn = res.outbox.find((m) => m.to === null)!.payload;
      const wrap = this.#echoOn && k === e! + 1;
      msgs = res.outbox.map((m) => ({
        sid: this.ctx.sid,
        protocol: this.protocol.name,
        round: k,
        from: this.ctx.self,
        to: m.to,
        payload: wrap ? { body: m.payload, echo: this.#echo! } : m.payload,
      }));
    }
    this.#onProgress?.({ protocol: this.protocol.name, round: k, phase: 'end', ms: globalThis.performance.now() - t0, dropped: this.#dropped.total });
    return msgs;
  }

  #checkOutbox(k: number, outbox: Outgoing[]): void {
    const spec = this.#sends(k);
    const bc = outbox.filter((m) => m.to === null).length;
    const p2p = outbox.filter((m) => m.to !== null).map((m) => m.to!);
    const others = this.#others;
    const okP2p = spec.p2p ? p2p.length === others.length && others.every((j) => p2p.includes(j)) : p2p.length === 0;
    if (bc !== (spec.broadcast ? 1 : 0) || !okP2p) throw new InternalBug(`${this.protocol.name}: round ${k} outbox does not match its declaration`);
  }

  toJSON(): unknown {
    return { protocol: this.protocol.name, self: this.ctx.self, status: this.#status, next: this.#next, dropped: this.#dropped.total, state: '<redacted>' };
  }
}

/**
 * The party engine: what a worker exposes (platform-free; `party-worker.ts` wires it to
 * `worker_threads` or a Web Worker through comlink). It hosts any number of protocol sessions
 * (`protocols/session.ts`) by handle and speaks plain data only: messages in and out are the
 * canonical wire bytes, inputs and outputs the plain forms of `protocols.ts`, errors `PlainError`s
 * (nothing throws across the boundary). The math tasks of the pool live here too, so one worker
 * entry serves both.
 * @module
 */
import { fail } from '../src/errors.js';
import { generatePrime, type PrimeKind } from '../src/bigint/primes.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import { RingPedersenParams } from '../src/paillier/ring-pedersen.js';
import { PROFILES, type ProfileName } from '../src/paillier/profiles.js';
import { verifyPeerAux, type PeerAux } from '../src/zk/aux.js';
import type { Verdict } from '../src/zk/verdict.js';
import { type ProgressEvent, refuseReplayMode, Session, type SessionSnapshot } from '../protocols/session.js';
import type { SessionConfig } from '../protocols/types.js';
import { encodeMessage } from '../protocols/wire.js';
import { runRoundTask, type RoundTask } from '../protocols/tasks.js';
import type { Message, ParallelExecutor } from '../protocols/types.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import { preparePresign } from '../protocols/presign/precompute.js';
import { paillierPublicOf, paillierSecretFromAux, ringPedersenOf } from '../protocols/aux/materialize.js';
import { NoncePool, type NoncePair } from '../src/paillier/nonce-pool.js';
import { MASK_KINDS, MaskPool, type Mask, type MaskKind } from '../src/zk/mask-pool.js';
import { PrmPool, type PrmCommitment } from '../src/zk/prm-pool.js';
import { aEngineProtocol, type EngineProtocol, errorToPlain, inputFromPlain, internAux, outputToPlain, type PlainError, protocolFor } from './protocols.js';

export type Result<T> = { ok: true; value: T } | { ok: false; error: PlainError };

export interface CreateRequest {
  protocol: EngineProtocol;
  config: SessionConfig;
  /** The input in plain form (`inputToPlain`). */
  input: unknown;
  /** `refresh/aux-rotation`: this party's aux input, plain. */
  extensionInput?: unknown;
  /**
   * A seed for the session's DRBG (tests); absent: the platform CSPRNG. Either way every round
   * mixes fresh platform entropy: the engine never runs replay mode (a `replay`/`mode: 'replay'`
   * field is refused with REPLAY_MODE_REFUSED).
   */
  seed?: Uint8Array;
  /** Post this session's progress events on the progress port (`setProgressPort`) as they happen. */
  progress?: boolean;
}

/** What the progress port carries. */
export interface ProgressNote {
  handle: number;
  /** Per-session sequence number (0, 1, …): the host delivers each event once, in order. */
  seq: number;
  event: ProgressEvent;
}

/** The part of a MessagePort the engine uses (browser and Node ports both fit). */
export interface PortLike {
  postMessage(m: unknown): void;
}

/** One outgoing message: its recipient (null = every other party) and its wire bytes. */
export interface WireOut {
  to: number | null;
  bytes: Uint8Array;
}

export interface Step {
  out: WireOut[];
  status: 'ready' | 'running' | 'done' | 'aborted';
  /** Once, with the step that finishes the session: the output in plain form. */
  output?: unknown;
  /** Progress events of this step (also posted live on the progress port), numbered from `firstSeq`. */
  progress: ProgressEvent[];
  firstSeq: number;
}

interface Entry {
  protocol: EngineProtocol;
  session: Session;
  events: ProgressEvent[];
  seq: number;
  exported: boolean;
}

/** Math-pool tasks: profile by name so everything stays plain data. */
export interface VerifyAuxTask {
  peer: PeerAux;
  ctx: { sid: Uint8Array; rho: Uint8Array; profile: ProfileName };
  /** prover i, verifier j */
  i: number;
  j: number;
  /** The verifier's own ring-Pedersen parameters (Πfac is made under them). */
  ownRp: { N: bigint; s: bigint; t: bigint };
}

/** Options of `preparePresign` that cross the boundary (plain data). */
export interface PreparePresignTask {
  /** Presign sessions to prepare for (default 1, at most 1024). */
  presigns?: number;
  /** The signers of those sessions (default: every party of the aux info). */
  signers?: number[];
}

/**
 * One batch of presign material for `MathPool.preparePresign`: `count` nonce pairs (ρ, ρ^N) under
 * party `id`'s Paillier key (the own key by CRT), or `count` masks of `mask` kind under peer `id`'s
 * ring-Pedersen parameters.
 */
export type PresignMaterialTask = { kind: 'nonce'; id: number; count: number } | { kind: 'mask'; id: number; mask: MaskKind; count: number };

/**
 * One batch of Πprm commitments for `MathPool.preparePrm` (issue 13): `count` pairs (a_i, t^a_i mod
 * N) for the party's own N = p·q and t, made here by CRT with the platform CSPRNG.
 */
export interface PrmMaterialTask {
  p: bigint;
  q: bigint;
  t: bigint;
  count: number;
}

/** The most items one material task makes (a task is a unit of the pool's load balancing). */
export const MAX_MATERIAL_BATCH = 256;

const wrap = <T>(fn: () => T): Result<T> => {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, error: errorToPlain(e) };
  }
};

/** What a worker entry gives the engine to start a nested math pool (`PartyEngine.setMathPoolFactory`). */
export type MathPoolFactory = (size: number) => { executor(): ParallelExecutor };

export class PartyEngine {
  readonly #sessions = new Map<number, Entry>();
  #poolFactory: MathPoolFactory | undefined;
  #parallel: ParallelExecutor | undefined;
  readonly #cancelled = new Set<number>();
  #next = 1;
  #port: PortLike | null = null;
  readonly #searches = new Map<number, AbortController>();

  /** The port progress events are posted on (one per worker; the host dispatches by handle). */
  setProgressPort(port: PortLike): void {
    this.#port = port;
  }

  /** The platform's way to start a math pool from this worker (the Node entry sets it; none in browsers yet). */
  setMathPoolFactory(f: MathPoolFactory): void {
    this.#poolFactory = f;
  }

  /**
   * Give this worker's later sessions a math pool of `size` workers of its own (nested worker
   * threads): they run asynchronously and fan their rounds' independent proofs out to it (presign,
   * protocols/README.md "Asynchronous rounds"). Idempotent (the first size stays). INVALID_ARGUMENT
   * where the platform cannot start one.
   */
  enableMathPool(size: number): Result<boolean> {
    return wrap(() => {
      if (!Number.isSafeInteger(size) || size < 1 || size > 64) fail('OUT_OF_RANGE', 'enableMathPool: size must be 1..64');
      if (this.#parallel) return false;
      if (!this.#poolFactory) fail('INVALID_ARGUMENT', 'enableMathPool: this worker cannot start a math pool (no platform spawner)');
      this.#parallel = this.#poolFactory(size).executor();
      return true;
    });
  }

  /** A round trip with no work (warm-worker latency). */
  ping(x: number): number {
    return x;
  }

  create(req: CreateRequest): Result<number> {
    return wrap(() => {
      if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'create: expected {protocol, config, input}');
      refuseReplayMode(req, 'worker engine'); // workers run real accounts: fresh randomness only
      const p = aEngineProtocol(req.protocol);
      const protocol = protocolFor(p, req.extensionInput);
      const rng = req.seed === undefined ? cryptoRng : seededRng(req.seed);
      const h = this.#next;
      const live = req.progress === true ? this.#port : null;
      const entry: Entry = { protocol: p, session: null as unknown as Session, events: [], seq: 0, exported: false };
      entry.session = Session.create(protocol, req.config, inputFromPlain(p, req.input), {
        rng,
        ...(this.#parallel ? { parallel: this.#parallel } : {}),
        onProgress: (e) => {
          entry.events.push(e);
          const seq = entry.seq++;
          live?.postMessage({ handle: h, seq, event: e } satisfies ProgressNote);
        },
      });
      this.#next++;
      this.#sessions.set(h, entry);
      return h;
    });
  }

  #entry(h: number): Entry {
    const e = this.#sessions.get(h);
    if (e) return e;
    if (this.#cancelled.has(h)) fail('SESSION_CANCELLED', `session ${h} was cancelled`);
    return fail('NOT_FOUND', `no session ${String(h)} in this worker (finished and collected, or never created)`);
  }

  #step(h: number, run: (s: Session) => ReturnType<Session['start']>): Result<Step> {
    return wrap(() => {
      const e = this.#entry(h);
      e.events = [];
      const firstSeq = e.seq;
      return this.#stepOf(h, e, run(e.session), firstSeq);
    });
  }

  /** The same for an asynchronous session (its rounds awaited; calls of one session never overlap: the session queues them). */
  async #stepAsync(h: number, run: (s: Session) => Promise<Message[]>): Promise<Result<Step>> {
    try {
      const e = this.#entry(h);
      e.events = [];
      const firstSeq = e.seq;
      return { ok: true, value: this.#stepOf(h, e, await run(e.session), firstSeq) };
    } catch (err) {
      return { ok: false, error: errorToPlain(err) };
    }
  }

  #stepOf(h: number, e: Entry, msgs: Message[], firstSeq: number): Step {
    const step: Step = { out: msgs.map((m) => ({ to: m.to, bytes: encodeMessage(m) })), status: e.session.status, progress: e.events, firstSeq };
    if (e.session.status === 'done' && !e.exported) {
      e.exported = true;
      step.output = outputToPlain(e.protocol, e.session.output);
      this.#sessions.delete(h);
    }
    return step;
  }

  start(h: number): Result<Step> {
    return this.#step(h, (s) => s.start());
  }

  /** `start` for any session, asynchronous ones included (those made after `enableMathPool`). */
  startAsync(h: number): Promise<Result<Step>> {
    return this.#stepAsync(h, (s) => s.startAsync());
  }

  /** `receive` for any session, asynchronous ones included; the messages are handed over in order. */
  receiveAsync(h: number, msgs: Uint8Array[]): Promise<Result<Step>> {
    return this.#stepAsync(h, async (s) => {
      if (!Array.isArray(msgs)) fail('INVALID_ARGUMENT', 'receive: expected an array of wire messages');
      const out = [];
      for (const b of msgs) out.push(...(await s.receiveWireAsync(b)));
      return out;
    });
  }

  /** Deliver messages (wire bytes, in order); runs every round they complete. Garbage is dropped (`ProgressEvent.dropped`). Synchronous sessions only (SESSION_ASYNC otherwise). */
  receive(h: number, msgs: Uint8Array[]): Result<Step> {
    return this.#step(h, (s) => {
      if (!Array.isArray(msgs)) fail('INVALID_ARGUMENT', 'receive: expected an array of wire messages');
      const out = [];
      for (const b of msgs) out.push(...s.receiveWire(b)); // undecodable bytes: dropped and counted, never an abort
      return out;
    });
  }

  snapshot(h: number): Result<SessionSnapshot> {
    return wrap(() => this.#entry(h).session.snapshot());
  }

  /** Drop a session (its state is gone); later calls on it fail with SESSION_CANCELLED. */
  cancel(h: number): Result<boolean> {
    return wrap(() => {
      const had = this.#sessions.delete(h);
      if (had) this.#cancelled.add(h);
      return had;
    });
  }

  /** How many sessions this worker holds. */
  size(): number {
    return this.#sessions.size;
  }

  // ---- math tasks ------------------------------------------------------------------------

  /** A random prime (default: safe) of `bits` bits: OpenSSL in Node, the JS sieve in browsers. */
  async prime(bits: number, kind: PrimeKind = 'safe'): Promise<Result<bigint>> {
    try {
      return { ok: true, value: await generatePrime(bits, { kind }) };
    } catch (e) {
      return { ok: false, error: errorToPlain(e) };
    }
  }

  /**
   * One search of a parallel prime race (`MathPool.primes`): like `prime`, but `abortSearch(job)`
   * stops it at the next sieve window (the JS sieve of browsers; OpenSSL in Node cannot be
   * interrupted, the pool stops that worker instead). An aborted search fails with ABORTED.
   */
  async primeSearch(job: number, bits: number, kind: PrimeKind = 'safe'): Promise<Result<bigint>> {
    const ac = new AbortController();
    this.#searches.set(job, ac);
    try {
      return { ok: true, value: await generatePrime(bits, { kind, signal: ac.signal }) };
    } catch (e) {
      return { ok: false, error: errorToPlain(e) };
    } finally {
      if (this.#searches.get(job) === ac) this.#searches.delete(job);
    }
  }

  /** Stop the running search of `job` (true if there was one). */
  abortSearch(job: number): boolean {
    const ac = this.#searches.get(job);
    ac?.abort();
    return ac !== undefined;
  }

  /**
   * `preparePresign` (protocols/presign/precompute.ts) on this worker's copy of `aux`: the nonce
   * pairs (ρ, ρ^N) and ring-Pedersen masks are made here, one item per event-loop turn (a session
   * in this worker runs between them), and the presign sessions this worker later runs with the
   * same aux info (interned by content) take them. Returns the number of items added.
   */
  async preparePresign(aux: AuxInfo, opts: PreparePresignTask = {}): Promise<Result<number>> {
    try {
      if (typeof aux !== 'object' || aux === null || !Array.isArray(aux.parties) || typeof aux.secret !== 'object' || aux.secret === null) fail('INVALID_ARGUMENT', 'preparePresign: expected an AuxInfo');
      if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'preparePresign: expected options {presigns?, signers?}');
      const o = { ...(opts.presigns !== undefined ? { presigns: opts.presigns } : {}), ...(opts.signers !== undefined ? { signers: opts.signers } : {}) };
      return { ok: true, value: await preparePresign(internAux(aux), o) };
    } catch (e) {
      return { ok: false, error: errorToPlain(e) };
    }
  }

  /**
   * A batch of presign material (`PresignMaterialTask`) made here with the platform CSPRNG, on
   * scratch pools (never this worker's own session pools) and returned: the caller adds it to its
   * pools (`NoncePool.add`, `MaskPool.add`). The secrets leave the worker by design.
   */
  presignMaterial(aux: AuxInfo, task: PresignMaterialTask): Result<NoncePair[] | Mask[]> {
    return wrap(() => {
      if (typeof aux !== 'object' || aux === null || !Array.isArray(aux.parties) || typeof aux.secret !== 'object' || aux.secret === null) fail('INVALID_ARGUMENT', 'presignMaterial: expected an AuxInfo');
      if (typeof task !== 'object' || task === null || !Number.isSafeInteger(task.id)) fail('INVALID_ARGUMENT', 'presignMaterial: expected {kind, id, count}');
      if (!Number.isSafeInteger(task.count) || task.count < 1 || task.count > MAX_MATERIAL_BATCH) fail('OUT_OF_RANGE', `presignMaterial: count must be 1..${MAX_MATERIAL_BATCH}`);
      const a = internAux(aux);
      if (task.kind === 'nonce') {
        const pool = new NoncePool(task.id === a.self ? paillierSecretFromAux(a) : paillierPublicOf(a, task.id), task.count);
        pool.fillSync(task.count);
        return Array.from({ length: task.count }, () => pool.take()!);
      }
      if (task.kind !== 'mask' || !MASK_KINDS.includes(task.mask)) fail('INVALID_ARGUMENT', "presignMaterial: kind must be 'nonce' or 'mask' (with mask 'mu' | 'gamma' | 'delta')");
      if (task.id === a.self) fail('INVALID_ARGUMENT', 'presignMaterial: masks are made under a peer’s parameters');
      const pool = new MaskPool(ringPedersenOf(a, task.id), task.count);
      pool.fillSync(task.mask, task.count);
      return Array.from({ length: task.count }, () => pool.take(task.mask)!);
    });
  }

  /**
   * One round task (protocols/tasks.ts: a presign proof made or verified) for `MathPool.executor()`.
   * Its aux info is interned by content, so the memoised keys and fixed-base tables of a signer
   * group survive from task to task in this worker. A verdict is a value; only a task that cannot
   * run (bad shape, unknown kind) is an error.
   */
  roundTask(task: RoundTask): Result<unknown> {
    return wrap(() => {
      if (typeof task !== 'object' || task === null || typeof task.aux !== 'object' || task.aux === null) fail('INVALID_ARGUMENT', 'roundTask: expected a round task');
      return runRoundTask({ ...task, aux: internAux(task.aux) });
    });
  }

  /** A batch of Πprm commitments (`PrmMaterialTask`); the secrets a_i leave the worker by design. */
  prmMaterial(task: PrmMaterialTask): Result<PrmCommitment[]> {
    return wrap(() => {
      if (typeof task !== 'object' || task === null || typeof task.p !== 'bigint' || typeof task.q !== 'bigint') fail('INVALID_ARGUMENT', 'prmMaterial: expected {p, q, t, count}');
      if (!Number.isSafeInteger(task.count) || task.count < 1 || task.count > MAX_MATERIAL_BATCH) fail('OUT_OF_RANGE', `prmMaterial: count must be 1..${MAX_MATERIAL_BATCH}`);
      const pool = new PrmPool(task.p * task.q, task.t, task.count);
      pool.fillSync(task.p, task.q, task.count);
      return pool.drain();
    });
  }

  /** `verifyPeerAux` of src/zk/aux.ts (Πprm, Πmod, Πfac of one peer). */
  verifyAux(task: VerifyAuxTask): Result<Verdict> {
    return wrap(() => {
      const profile = PROFILES[task.ctx.profile];
      if (!profile) fail('INVALID_ARGUMENT', 'ctx.profile: expected "default" or "high"');
      const rp = new RingPedersenParams(task.ownRp.N, task.ownRp.s, task.ownRp.t, task.ctx.profile);
      return verifyPeerAux(task.peer, { sid: task.ctx.sid, rho: task.ctx.rho, profile }, task.i, task.j, rp);
    });
  }
}

/** The object a worker exposes. */
export type EngineApi = PartyEngine;

/**
 * Host glue: the main-thread side of a party worker. `PartyHost` wraps one worker (any platform:
 * give it a `SpawnedWorker` from `workers/node.ts` or `workers/browser/`) and hands out
 * `PartySession`s — an async mirror of `Session` whose rounds run in the worker:
 *
 *   const host = await createNodePartyHost();                 // or createBrowserPartyHost(url)
 *   const s = await host.create('presign', config, input, { onProgress: (e) => … });
 *   let step = await s.start();                               // {out: [{to, bytes}], status, output?}
 *   step = await s.receive([bytes, …]);                       // wire bytes from the other parties
 *   await s.cancel();                                         // state dropped; later calls: SESSION_CANCELLED
 *
 * Errors come back typed (the same `ProtocolAbort` / `InvalidInput` … as in-process). If the worker
 * dies, every pending and later call fails with WORKER_CRASHED.
 * @module
 */
import { releaseProxy, transfer, wrap, type Endpoint, type Remote } from 'comlink';
import { fail, InternalBug, type TkeyTssError } from '../src/errors.js';
import { SeededRng, type Rng } from '../src/rng.js';
import { refuseReplayMode, type ProgressEvent, type SessionSnapshot } from '../protocols/session.js';
import type { SessionConfig } from '../protocols/types.js';
import type { RoundTask } from '../protocols/tasks.js';
import type { PrimeKind } from '../src/bigint/primes.js';
import type { Verdict } from '../src/zk/verdict.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import type { NoncePair } from '../src/paillier/nonce-pool.js';
import type { Mask } from '../src/zk/mask-pool.js';
import type { PrmCommitment } from '../src/zk/prm-pool.js';
import type { CreateRequest, EngineApi, PreparePresignTask, PresignMaterialTask, PrmMaterialTask, ProgressNote, Result, Step, VerifyAuxTask, WireOut } from './engine.js';
import { aEngineProtocol, type EngineProtocol, errorFromPlain, extensionToPlain, inputToPlain, outputFromPlain } from './protocols.js';

export type { EngineProtocol, ProgressEvent, Step, WireOut, VerifyAuxTask };

/** A started worker, whatever the platform. */
export interface SpawnedWorker {
  endpoint: Endpoint;
  /** Stop the worker (its sessions are lost). */
  terminate(): void | Promise<unknown>;
  /** Register the callback for an unexpected death (uncaught error, exit, out of memory). */
  onCrash(cb: (cause: string) => void): void;
  /** Node: keep the process alive only while calls are pending (`ref`/`unref` the thread). */
  setBusy?(busy: boolean): void;
}

interface HostPort {
  postMessage(m: unknown): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
  start?(): void;
  close(): void;
  unref?(): void;
}

export interface CreateOptions {
  /** Live progress events (round start/end, ms), delivered from the worker. */
  onProgress?: (e: ProgressEvent) => void;
  /** `refresh/aux-rotation`: this party's aux input. */
  extensionInput?: unknown;
  /**
   * Randomness: a `SeededRng` gives the worker a DRBG seeded from its fork for this session;
   * anything else (default) means the worker's platform CSPRNG. Every round mixes fresh platform
   * entropy either way: workers never run replay mode (`replay` is refused: REPLAY_MODE_REFUSED).
   */
  rng?: Rng;
}

/** Host-side result of a step: the output revived (SecretShares, Presignature, sealed AuxInfo). */
export interface HostStep<O = unknown> {
  out: WireOut[];
  status: Step['status'];
  output?: O;
  progress: ProgressEvent[];
}

export class PartyHost {
  readonly #worker: SpawnedWorker;
  readonly #api: Remote<EngineApi>;
  readonly #pending = new Set<(e: TkeyTssError) => void>();
  /** Sessions created from now on are asynchronous in the worker (`enableMathPool`). */
  #pooled = false;
  #dead: TkeyTssError | null = null;
  #closed = false;
  #active = 0;
  #progress: { port: HostPort; listeners: Map<number, (seq: number, e: ProgressEvent) => void> } | null = null;

  constructor(worker: SpawnedWorker) {
    this.#worker = worker;
    this.#api = wrap<EngineApi>(worker.endpoint);
    worker.onCrash((cause) => {
      if (this.#closed) return;
      this.#die(new InternalBug(`the party worker died: ${cause}`, { cause }, 'WORKER_CRASHED'));
    });
  }

  #die(e: TkeyTssError): void {
    if (this.#dead) return;
    this.#dead = e;
    for (const reject of this.#pending) reject(e);
    this.#pending.clear();
  }

  /** True once the worker crashed or was terminated. */
  get alive(): boolean {
    return this.#dead === null;
  }

  /** Call into the worker; rejects at once with WORKER_CRASHED if it dies meanwhile. */
  async call<T>(fn: (api: Remote<EngineApi>) => Promise<T>): Promise<T> {
    if (this.#dead) throw this.#dead;
    let reject!: (e: TkeyTssError) => void;
    const died = new Promise<never>((_, rej) => (reject = rej));
    this.#pending.add(reject);
    if (this.#active++ === 0) this.#worker.setBusy?.(true);
    try {
      return await Promise.race([fn(this.#api), died]);
    } finally {
      this.#pending.delete(reject);
      if (--this.#active === 0) this.#worker.setBusy?.(false);
    }
  }

  /** One MessageChannel per worker carries live progress events of every session (by handle). */
  async #progressListeners(): Promise<Map<number, (seq: number, e: ProgressEvent) => void>> {
    if (this.#progress) return this.#progress.listeners;
    const { port1, port2 } = new MessageChannel();
    const port = port1 as unknown as HostPort;
    const listeners = new Map<number, (seq: number, e: ProgressEvent) => void>();
    this.#progress = { port, listeners };
    port.addEventListener('message', (m) => {
      const note = m.data as ProgressNote;
      listeners.get(note.handle)?.(note.seq, note.event);
    });
    port.start?.();
    port.unref?.(); // Node: this port never keeps the process alive
    await this.call((api) => api.setProgressPort(transfer(port2, [port2])));
    return listeners;
  }

  /** @internal Stop delivering a session's progress events. */
  dropListener(handle: number): void {
    this.#progress?.listeners.delete(handle);
  }

  /** Unwrap a `Result`, rethrowing the worker's typed error. */
  async #result<T>(fn: (api: Remote<EngineApi>) => Promise<Result<T>>): Promise<T> {
    const r = await this.call(fn);
    if (!r.ok) throw errorFromPlain(r.error);
    return r.value;
  }

  /** A comlink round trip with no work. */
  ping(x = 0): Promise<number> {
    return this.call((api) => api.ping(x));
  }

  /** Start a session in the worker (input checked there: InvalidInput, nothing sent). */
  async create<O = unknown>(protocol: EngineProtocol, config: SessionConfig, input: unknown, opts: CreateOptions = {}): Promise<PartySession<O>> {
    const p = aEngineProtocol(protocol);
    refuseReplayMode(opts, 'PartyHost');
    if (typeof config !== 'object' || config === null || !(config.sid instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'config: expected {sid, self, parties, threshold}');
    const { plain, accepted } = inputToPlain(p, input);
    const req: CreateRequest = { protocol: p, config: { sid: config.sid, self: config.self, parties: config.parties.map((x) => ({ id: x.id, owns: [...x.owns] })), threshold: config.threshold }, input: plain };
    if (opts.extensionInput !== undefined) req.extensionInput = extensionToPlain(p, opts.extensionInput);
    if (opts.rng instanceof SeededRng) req.seed = opts.rng.fork(`tkey-tss/worker/${p}/${config.self}`).bytes(32);
    const listeners = opts.onProgress ? await this.#progressListeners() : undefined;
    if (listeners) req.progress = true;
    const handle = await this.#result((api) => api.create(req));
    accepted?.();
    const session = new PartySession<O>(this, p, handle, (fn) => this.#result(fn), opts.onProgress, this.#pooled);
    if (listeners) listeners.set(handle, (seq, e) => session.deliver(seq, e));
    return session;
  }

  /**
   * Give this worker a math pool of its own (`size` nested worker threads; Node): its sessions
   * created from now on run asynchronously and put their rounds' independent proofs on that pool
   * (`PartyEngine.enableMathPool`). Resolves true when started, false when it already had one;
   * INVALID_ARGUMENT where the worker cannot start one (browser workers, for now).
   */
  async enableMathPool(size: number): Promise<boolean> {
    const started = await this.#result((api) => api.enableMathPool(size));
    this.#pooled = true;
    return started;
  }

  /** Generate a prime in this worker (see `MathPool`). */
  prime(bits: number, kind: PrimeKind = 'safe'): Promise<bigint> {
    return this.#result((api) => api.prime(bits, kind));
  }

  /** One search of a parallel prime race (`MathPool.primes`); `abortSearch(job)` stops it. */
  primeSearch(job: number, bits: number, kind: PrimeKind = 'safe'): Promise<bigint> {
    return this.#result((api) => api.primeSearch(job, bits, kind));
  }

  /** Ask the worker to stop search `job` (cooperative: the JS sieve stops at its next window). */
  abortSearch(job: number): Promise<boolean> {
    return this.call((api) => api.abortSearch(job));
  }

  /**
   * Fill this worker's presign pools for `aux` ahead of need (`PartyEngine.preparePresign`): the
   * presign sessions later run in this worker with the same aux info take the prepared nonce pairs
   * and masks, so their rounds skip those exponentiations. Resolves to the number of items added.
   */
  preparePresign(aux: AuxInfo, opts: PreparePresignTask = {}): Promise<number> {
    return this.#result((api) => api.preparePresign(aux, opts));
  }

  /** One batch of presign material made in this worker (`MathPool.preparePresign`). */
  presignMaterial(aux: AuxInfo, task: PresignMaterialTask): Promise<NoncePair[] | Mask[]> {
    return this.#result((api) => api.presignMaterial(aux, task));
  }

  /** One round task (protocols/tasks.ts) run in this worker (`MathPool.executor()`). */
  roundTask(task: RoundTask): Promise<unknown> {
    return this.#result((api) => api.roundTask(task));
  }

  /** One batch of Πprm commitments made in this worker (`MathPool.preparePrm`). */
  prmMaterial(task: PrmMaterialTask): Promise<PrmCommitment[]> {
    return this.#result((api) => api.prmMaterial(task));
  }

  verifyAux(task: VerifyAuxTask): Promise<Verdict> {
    return this.#result((api) => api.verifyAux(task));
  }

  /** Number of sessions the worker holds. */
  size(): Promise<number> {
    return this.call((api) => api.size());
  }

  /** Stop the worker: pending calls and later ones fail with WORKER_CRASHED ("terminated"). */
  async terminate(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#die(new InternalBug('the party worker was terminated', { cause: 'terminated' }, 'WORKER_CRASHED'));
    this.#api[releaseProxy]();
    this.#progress?.port.close();
    await this.#worker.terminate();
  }
}

/** One session living in a worker. */
export class PartySession<O = unknown> {
  readonly host: PartyHost;
  readonly protocol: EngineProtocol;
  readonly handle: number;
  readonly #call: <T>(fn: (api: Remote<EngineApi>) => Promise<Result<T>>) => Promise<T>;
  readonly #onProgress: ((e: ProgressEvent) => void) | undefined;
  #delivered = 0;
  #cancelled = false;
  /** The worker session is asynchronous (its rounds on the worker's math pool): driven by startAsync / receiveAsync there. */
  readonly #async: boolean;

  constructor(host: PartyHost, protocol: EngineProtocol, handle: number, call: <T>(fn: (api: Remote<EngineApi>) => Promise<Result<T>>) => Promise<T>, onProgress?: (e: ProgressEvent) => void, async = false) {
    this.#async = async;
    this.host = host;
    this.protocol = protocol;
    this.handle = handle;
    this.#call = call;
    this.#onProgress = onProgress;
  }

  /**
   * @internal Progress event number `seq`: live from the progress port, or from a step's result
   * (whichever comes first); each is delivered once and in order, all of a step's before the step
   * resolves.
   */
  deliver(seq: number, e: ProgressEvent): void {
    if (seq < this.#delivered || this.#cancelled) return;
    this.#delivered = seq + 1;
    this.#onProgress?.(e);
  }

  #live(): void {
    if (this.#cancelled) fail('SESSION_CANCELLED', `${this.protocol} session ${this.handle} was cancelled`);
  }

  #revive(s: Step): HostStep<O> {
    s.progress.forEach((e, k) => this.deliver(s.firstSeq + k, e));
    if (s.status === 'done' || s.status === 'aborted') this.host.dropListener(this.handle);
    const out: HostStep<O> = { out: s.out, status: s.status, progress: s.progress };
    if (s.output !== undefined) out.output = outputFromPlain(this.protocol, s.output) as O;
    return out;
  }

  async start(): Promise<HostStep<O>> {
    this.#live();
    return this.#revive(await this.#call((api) => (this.#async ? api.startAsync(this.handle) : api.start(this.handle))));
  }

  /** Deliver wire messages (in order). */
  async receive(msgs: readonly Uint8Array[]): Promise<HostStep<O>> {
    this.#live();
    const list = [...msgs];
    return this.#revive(await this.#call((api) => (this.#async ? api.receiveAsync(this.handle, list) : api.receive(this.handle, list))));
  }

  async snapshot(): Promise<SessionSnapshot> {
    this.#live();
    return this.#call((api) => api.snapshot(this.handle));
  }

  /**
   * Cancel: marks the session cancelled at once (every later call here fails with
   * SESSION_CANCELLED) and drops its state in the worker as soon as the worker is free (a round
   * already running there finishes first; `PartyHost.terminate` stops it at once).
   */
  async cancel(): Promise<void> {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.host.dropListener(this.handle);
    if (!this.host.alive) return;
    await this.#call((api) => api.cancel(this.handle));
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }
}

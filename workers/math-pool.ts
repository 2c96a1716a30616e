/**
 * A pool of N workers for heavy, independent math (DESIGN §3.9), platform-free (give it a
 * `spawn` from `workers/node.ts` or `workers/browser/`). Two tasks:
 *
 * - `prime(bits, kind)`: a prime (default safe) generated in a worker — OpenSSL there in Node, the JS
 *   sieve in a browser — so `PrimePool.fill()` never runs the sieve on the main thread:
 *   `pool.installPrimeHook()` routes `generatePrime` (platform RNG) through the pool; results are
 *   re-verified on the main thread like any other hook result.
 * - `verifyAux(task)` / `verifyAuxAll(tasks)`: `verifyPeerAux` (Πprm, Πmod, Πfac) of several peers
 *   at once, one per worker; the verdicts are exactly those of the in-process call.
 *
 * - `preparePresign(aux, {presigns, signers, signal})`: the presign pools of an aux info (nonce
 *   pairs ρ, ρ^N and ring-Pedersen masks, protocols/presign/precompute.ts) filled by every worker
 *   at once, in small batches added to the caller's pools as they arrive.
 * - `preparePrm(pool, p, q, {signal})`: a party's own Πprm commitments (a_i, t^a_i) made by every
 *   worker (`AuxPreparation` with `prm: true`), so the aux session's round 1 skips them.
 * - `primes(bits, count, {signal, onFound})`: a race of every worker for `count` primes (new-device
 *   setup: `prepareAuxInput(profile, {pool})`, `AuxPreparation`), with progress and cancellation.
 * - `executor()`: a `ParallelExecutor` (protocols/types.ts) — a round's independent tasks (presign's
 *   proofs, protocols/tasks.ts) spread over the workers; give it to a session as `parallel`.
 *
 * Workers start lazily (the first task) and are kept warm; a worker that dies fails its task with
 * WORKER_CRASHED and is replaced on the next one.
 * @module
 */
import { fail, InvalidInput } from '../src/errors.js';
import { aInt } from '../src/bytes.js';
import { looksLikeSafePrime, setPrimeGeneratorHook, type PrimeKind } from '../src/bigint/primes.js';
import type { Verdict } from '../src/zk/verdict.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import { presignNeeds } from '../protocols/presign/precompute.js';
import type { NoncePair } from '../src/paillier/nonce-pool.js';
import type { Mask } from '../src/zk/mask-pool.js';
import { PrmPool } from '../src/zk/prm-pool.js';
import type { PresignMaterialTask, VerifyAuxTask } from './engine.js';
import type { PartyHost } from './party-host.js';
import { taskForWorker, type RoundTask } from '../protocols/tasks.js';
import type { ParallelExecutor } from '../protocols/types.js';

export interface MathPoolOptions {
  /** Starts one worker. */
  spawn: () => PartyHost;
  /** Number of workers (default min(2, cores)). */
  size?: number;
}

/** Logical cores of this machine (1 if unknown). */
export function coreCount(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const hc = g.navigator?.hardwareConcurrency;
  if (typeof hc === 'number' && hc > 0) return hc;
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

/** Items per presign-material task (`preparePresign`): small enough to balance the workers' load. */
export const PRESIGN_BATCH = 4;

/** Πprm commitments per task (`preparePrm`): one CRT exponentiation each, 128 per proof. */
export const PRM_BATCH = 16;

/** Ids of prime races (`primes`), unique per page/process so a worker never confuses two. */
let nextJob = 1;

interface Job {
  run: (h: PartyHost) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** True once the job is moot (its race ended): it is then dropped without starting a worker. */
  moot?: () => boolean;
}

export class MathPool {
  readonly size: number;
  readonly #spawn: () => PartyHost;
  readonly #slots: (PartyHost | null)[];
  readonly #busy: boolean[];
  readonly #queue: Job[] = [];
  #closed = false;
  #completed = 0;
  #spawned = 0;

  constructor(opts: MathPoolOptions) {
    if (typeof opts !== 'object' || opts === null || typeof opts.spawn !== 'function') fail('INVALID_ARGUMENT', 'options.spawn: expected a function that starts a worker');
    const size = opts.size ?? Math.min(2, coreCount());
    if (!Number.isSafeInteger(size) || size < 1 || size > 64) fail('OUT_OF_RANGE', 'options.size: expected 1..64 workers');
    this.size = size;
    this.#spawn = opts.spawn;
    this.#slots = Array.from({ length: size }, () => null);
    this.#busy = Array.from({ length: size }, () => false);
  }

  #submit<T>(run: (h: PartyHost) => Promise<T>, moot?: () => boolean): Promise<T> {
    if (this.#closed) fail('INVALID_ARGUMENT', 'the math pool is closed');
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (v: unknown) => void, reject, ...(moot ? { moot } : {}) });
      this.#pump();
    });
  }

  #pump(): void {
    for (let i = 0; i < this.size && this.#queue.length > 0; i++) {
      if (this.#busy[i]) continue;
      while (this.#queue[0]?.moot?.()) this.#queue.shift()!.resolve(undefined);
      if (this.#queue.length === 0) break;
      let h = this.#slots[i];
      if (!h || !h.alive) {
        h = this.#slots[i] = this.#spawn();
        this.#spawned++;
      }
      const job = this.#queue.shift()!;
      this.#busy[i] = true;
      const settle = (): void => {
        this.#busy[i] = false;
        this.#completed++;
        if (!this.#closed) queueMicrotask(() => this.#pump());
      };
      job.run(h).then(
        (v) => {
          settle();
          job.resolve(v);
        },
        (e: unknown) => {
          settle();
          job.reject(e);
        },
      );
    }
  }

  /** Tasks finished (either way), workers started so far, tasks waiting, workers running a task, workers alive. */
  get stats(): { completed: number; spawned: number; queued: number; busy: number; alive: number } {
    return {
      completed: this.#completed,
      spawned: this.#spawned,
      queued: this.#queue.length,
      busy: this.#busy.filter(Boolean).length,
      alive: this.#slots.filter((h) => h?.alive === true).length,
    };
  }

  /**
   * `count` distinct primes of `bits` bits (default safe), searched by EVERY worker of the pool at
   * once (a race: each worker draws its own random candidates; the first `count` found win, the
   * other searches are told to stop). Expected time ≈ count / size of one search.
   *
   * - `onFound(found, needed)`: a progress event per prime found.
   * - `signal`: aborting rejects at once with ABORTED and stops the workers still searching
   *   (terminated; the pool starts fresh ones on its next task) — OpenSSL's search cannot be
   *   interrupted any other way.
   *
   * Each worker verified its prime (OpenSSL + 2 Miller–Rabin rounds in Node, 40 rounds after the
   * JS sieve in browsers); here only the cheap shape checks run (`looksLikeSafePrime`), so the main
   * thread never exponentiates. Whoever uses the primes re-checks them (the aux session does).
   */
  primes(bits: number, count: number, opts: { kind?: PrimeKind; signal?: AbortSignal; onFound?: (found: number, needed: number) => void } = {}): Promise<bigint[]> {
    if (this.#closed) fail('INVALID_ARGUMENT', 'the math pool is closed');
    const kind = opts.kind ?? 'safe';
    aInt(count, 'count', 1, 64);
    aInt(bits, 'bits', kind === 'safe' ? 16 : 8, 8192);
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) fail('INVALID_ARGUMENT', 'signal: expected an AbortSignal');
    if (signal?.aborted) return Promise.reject(new InvalidInput('ABORTED', 'the prime search was aborted before it started'));
    const job = nextJob++;
    const found: bigint[] = [];
    const searching = new Set<PartyHost>();
    let state: 'running' | 'done' | 'aborted' | 'failed' = 'running';
    return new Promise<bigint[]>((resolve, reject) => {
      const onAbort = (): void => {
        if (state !== 'running') return;
        state = 'aborted';
        for (const h of searching) void h.terminate();
        reject(new InvalidInput('ABORTED', 'the prime search was aborted; its workers were stopped'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (): void => signal?.removeEventListener('abort', onAbort);
      for (let w = 0; w < this.size; w++) {
        this.#submit(async (h) => {
          if (state !== 'running') return;
          searching.add(h);
          try {
            while (state === 'running') {
              const p = await h.primeSearch(job, bits, kind);
              if (state !== 'running') return;
              const shaped = kind === 'safe' ? looksLikeSafePrime(p, bits) : p.toString(2).length === bits && (p & 1n) === 1n;
              if (!shaped || found.includes(p)) fail('PRIME_GENERATION_FAILED', `a worker returned a ${kind} prime of ${bits} bits that fails the shape checks or repeats`);
              found.push(p);
              opts.onFound?.(found.length, count);
              if (found.length >= count) {
                state = 'done';
                finish();
                for (const o of searching) if (o !== h) void o.abortSearch(job).catch(() => undefined);
                resolve(found.slice(0, count));
              }
            }
          } finally {
            searching.delete(h);
          }
        }, () => state !== 'running').catch((e: unknown) => {
          if (state !== 'running') return; // a loser stopped after the race ended, or a worker terminated by the abort
          state = 'failed';
          finish();
          for (const o of searching) void o.abortSearch(job).catch(() => undefined);
          reject(e);
        });
      }
    });
  }

  /** A prime of `bits` bits (default safe), generated in a worker. */
  prime(bits: number, kind: PrimeKind = 'safe'): Promise<bigint> {
    return this.#submit((h) => h.prime(bits, kind));
  }

  /**
   * `preparePresign` (protocols/presign/precompute.ts) with the work spread over the pool: the
   * missing nonce pairs and masks of `aux`'s pools (for `presigns` sessions among `signers`) are
   * made in batches of `PRESIGN_BATCH` by whichever worker is free, and each batch is added to the
   * pools of this thread (`NoncePool.add`, `MaskPool.add`: shape-checked) when it arrives, so a
   * session started meanwhile already takes what is there. `signal`: batches not yet started are
   * dropped (the promise resolves with what was added). Returns the number of items added.
   */
  async preparePresign(aux: AuxInfo, opts: { presigns?: number; signers?: readonly number[]; signal?: AbortSignal } = {}): Promise<number> {
    if (this.#closed) fail('INVALID_ARGUMENT', 'the math pool is closed');
    if (typeof aux !== 'object' || aux === null || !Array.isArray(aux.parties) || typeof aux.secret !== 'object' || aux.secret === null) fail('INVALID_ARGUMENT', 'preparePresign: expected an AuxInfo');
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) fail('INVALID_ARGUMENT', 'signal: expected an AbortSignal');
    const needs = presignNeeds(aux, opts);
    const jobs: { task: PresignMaterialTask; add: (items: NoncePair[] | Mask[]) => number }[] = [];
    const batches = (count: number): number[] => Array.from({ length: Math.ceil(count / PRESIGN_BATCH) }, (_, k) => Math.min(PRESIGN_BATCH, count - k * PRESIGN_BATCH));
    for (const { id, pool, count } of needs.nonces) for (const c of batches(count)) jobs.push({ task: { kind: 'nonce', id, count: c }, add: (items) => pool.add(items as NoncePair[]) });
    for (const { id, pool, kind, count } of needs.masks) for (const c of batches(count)) jobs.push({ task: { kind: 'mask', id, mask: kind, count: c }, add: (items) => pool.add(items as Mask[]) });
    const moot = (): boolean => signal?.aborted === true;
    const added = await Promise.all(jobs.map(({ task, add }) => this.#submit(async (h) => (moot() ? 0 : add(await h.presignMaterial(aux, task))), moot).then((n) => n ?? 0)));
    return added.reduce((a, b) => a + b, 0);
  }

  /**
   * Fill `pool` (a party's own Πprm commitments, src/zk/prm-pool.ts) up to its capacity with
   * pairs (a_i, t^a_i) made by the workers from N's factors p, q, in batches of `PRM_BATCH`
   * spread over the pool; each batch is added (`PrmPool.add`: shape-checked) as it arrives.
   * `signal`: batches not yet started are dropped. Returns the number of pairs added.
   */
  async preparePrm(pool: PrmPool, p: bigint, q: bigint, opts: { signal?: AbortSignal } = {}): Promise<number> {
    if (this.#closed) fail('INVALID_ARGUMENT', 'the math pool is closed');
    if (!(pool instanceof PrmPool)) fail('INVALID_ARGUMENT', 'preparePrm: expected a PrmPool');
    if (typeof p !== 'bigint' || typeof q !== 'bigint' || p * q !== pool.N) fail('INVALID_ARGUMENT', 'preparePrm: p, q do not factor the pool’s N');
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) fail('INVALID_ARGUMENT', 'signal: expected an AbortSignal');
    const count = pool.capacity - pool.size;
    const moot = (): boolean => signal?.aborted === true;
    const jobs = Array.from({ length: Math.ceil(count / PRM_BATCH) }, (_, k) => Math.min(PRM_BATCH, count - k * PRM_BATCH));
    const added = await Promise.all(jobs.map((c) => this.#submit(async (h) => (moot() ? 0 : pool.add(await h.prmMaterial({ p, q, t: pool.t, count: c }))), moot).then((n) => n ?? 0)));
    return added.reduce((a, b) => a + b, 0);
  }

  /**
   * This pool as a session's `parallel` executor (`Session.create(…, {parallel: pool.executor()})`,
   * `simulateAsync`): each task of a round goes to whichever worker is free (one task per worker at
   * a time, queued behind other pool work), carrying only the aux info it needs (`taskForWorker`).
   * Results in task order; a worker that dies fails the round with WORKER_CRASHED (the pool starts
   * a fresh worker for its next task), a closed pool with INVALID_ARGUMENT — never a hang.
   */
  executor(): ParallelExecutor {
    return { run: async (tasks: readonly RoundTask[]) => Promise.all(tasks.map((t) => this.#submit((h) => h.roundTask(taskForWorker(t))))) };
  }

  /** One peer's aux proofs, verified in a worker. */
  verifyAux(task: VerifyAuxTask): Promise<Verdict> {
    return this.#submit((h) => h.verifyAux(task));
  }

  /** Several peers' aux proofs in parallel (one task per worker at a time); verdicts in order. */
  verifyAuxAll(tasks: readonly VerifyAuxTask[]): Promise<Verdict[]> {
    return Promise.all(tasks.map((t) => this.verifyAux(t)));
  }

  /**
   * Route `generatePrime` with the platform RNG (and so `PrimePool`, `prepareAuxInput`) through this
   * pool. Returns the function that removes the hook.
   */
  installPrimeHook(): () => void {
    setPrimeGeneratorHook((bits, kind) => this.prime(bits, kind));
    return () => setPrimeGeneratorHook(undefined);
  }

  /** Stop every worker; queued tasks fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const j of this.#queue.splice(0)) j.reject(new InvalidInput('INVALID_ARGUMENT', 'the math pool was closed before this task ran'));
    await Promise.all(this.#slots.map((h) => h?.terminate()));
  }
}

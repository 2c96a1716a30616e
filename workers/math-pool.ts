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
 * Workers start lazily (the first task) and are kept warm; a worker that dies fails its task with
 * WORKER_CRASHED and is replaced on the next one.
 * @module
 */
import { fail, InvalidInput } from '../src/errors.js';
import { setPrimeGeneratorHook, type PrimeKind } from '../src/bigint/primes.js';
import type { Verdict } from '../src/zk/verdict.js';
import type { VerifyAuxTask } from './engine.js';
import type { PartyHost } from './party-host.js';

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

interface Job {
  run: (h: PartyHost) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
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

  #submit<T>(run: (h: PartyHost) => Promise<T>): Promise<T> {
    if (this.#closed) fail('INVALID_ARGUMENT', 'the math pool is closed');
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      this.#pump();
    });
  }

  #pump(): void {
    for (let i = 0; i < this.size && this.#queue.length > 0; i++) {
      if (this.#busy[i]) continue;
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

  /** Tasks finished (either way) and workers started so far. */
  get stats(): { completed: number; spawned: number; queued: number } {
    return { completed: this.#completed, spawned: this.#spawned, queued: this.#queue.length };
  }

  /** A prime of `bits` bits (default safe), generated in a worker. */
  prime(bits: number, kind: PrimeKind = 'safe'): Promise<bigint> {
    return this.#submit((h) => h.prime(bits, kind));
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

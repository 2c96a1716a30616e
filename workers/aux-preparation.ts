/**
 * `AuxPreparation`: a new device's aux input (its Paillier key from two fresh safe primes), started
 * ahead of need — e.g. at app start — on a `MathPool` (every worker searches, `prepareAuxInput`
 * with `{pool}`), kept until used, handed out once.
 *
 *   const pool = createBrowserMathPool(workerUrl, { size: coreCount() });
 *   const prep = AuxPreparation.start({ pool, onProgress: (e) => show(e) });   // at app start
 *   // … later, when the device sets up signing:
 *   await account.setupAux(await prep.take());
 *   prep.cancel();                                                             // or: the user left
 *
 * States: `running` → `ready` (the key is held) → `taken`; or `failed` / `cancelled` (ABORTED).
 * The key never appears in JSON or inspection output.
 * @module
 */
import { fail, InvalidInput } from '../src/errors.js';
import type { ProfileName } from '../src/paillier/profiles.js';
import type { AuxInput } from '../protocols/aux/messages.js';
import { type AuxPrepareProgress, type ParallelPrimeSource, prepareAuxInput } from '../protocols/aux/prepare.js';

export type AuxPreparationStatus = 'running' | 'ready' | 'taken' | 'failed' | 'cancelled';

export interface AuxPreparationOptions {
  /** The workers that search the primes (`createBrowserMathPool` / `createNodeMathPool`, size `coreCount()`). */
  pool: ParallelPrimeSource;
  profile?: ProfileName;
  onProgress?: (e: AuxPrepareProgress) => void;
  /** Cancels like `cancel()`. */
  signal?: AbortSignal;
}

export class AuxPreparation {
  readonly profile: ProfileName;
  readonly #ac = new AbortController();
  readonly #result: Promise<AuxInput>;
  #input: AuxInput | undefined;
  #status: AuxPreparationStatus = 'running';

  private constructor(opts: AuxPreparationOptions) {
    if (typeof opts !== 'object' || opts === null || typeof opts.pool?.primes !== 'function') fail('INVALID_ARGUMENT', 'options.pool: expected a MathPool');
    if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) fail('INVALID_ARGUMENT', 'options.signal: expected an AbortSignal');
    this.profile = opts.profile ?? 'default';
    if (opts.signal?.aborted) this.#ac.abort();
    else opts.signal?.addEventListener('abort', () => this.cancel(), { once: true });
    this.#result = prepareAuxInput(this.profile, { pool: opts.pool, signal: this.#ac.signal, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) }).then(
      (input) => {
        if (this.#status !== 'running') throw new InvalidInput('ABORTED', 'the aux preparation was cancelled');
        this.#status = 'ready';
        this.#input = input;
        return input;
      },
      (e: unknown) => {
        if (this.#status === 'running') this.#status = (e as { code?: unknown })?.code === 'ABORTED' ? 'cancelled' : 'failed';
        throw e;
      },
    );
    this.#result.catch(() => undefined); // observed through ready() / take()
  }

  /** Start preparing now (returns at once; the search runs in the pool's workers). */
  static start(opts: AuxPreparationOptions): AuxPreparation {
    return new AuxPreparation(opts);
  }

  get status(): AuxPreparationStatus {
    return this.#status;
  }

  /** Resolves when the input is ready (rejects with the failure, or ABORTED once cancelled). */
  async ready(): Promise<void> {
    await this.#result;
  }

  /**
   * The prepared aux input, once (waits while running). A second take: INVALID_ARGUMENT — a
   * Paillier key is used for one aux session only.
   */
  async take(): Promise<AuxInput> {
    if (this.#status === 'taken') fail('INVALID_ARGUMENT', 'this aux preparation was already taken (prepare another one)');
    if (this.#status === 'cancelled') throw new InvalidInput('ABORTED', 'the aux preparation was cancelled');
    const input = await this.#result;
    if (this.#status !== 'ready') fail('INVALID_ARGUMENT', 'this aux preparation was already taken (prepare another one)');
    this.#status = 'taken';
    this.#input = undefined;
    return input;
  }

  /** Stop: the searching workers are stopped, `ready()` / `take()` reject with ABORTED, a held key is dropped. */
  cancel(): void {
    if (this.#status === 'taken' || this.#status === 'failed' || this.#status === 'cancelled') return;
    this.#status = 'cancelled';
    const k = this.#input?.key as { destroy?: () => void } | undefined;
    k?.destroy?.();
    this.#input = undefined;
    this.#ac.abort();
  }

  toJSON(): { profile: ProfileName; status: AuxPreparationStatus } {
    return { profile: this.profile, status: this.#status };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AuxPreparation { profile: '${this.profile}', status: '${this.#status}', key: [redacted] }`;
  }
}

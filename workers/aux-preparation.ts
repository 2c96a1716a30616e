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
 * With a `MathPool` (anything with `preparePrm`) and `prm` not false, once the primes are found the
 * preparation also draws the ring-Pedersen parameters (t = r², λ ← Z_φ(N), s = t^λ: one CRT power
 * here) and has the workers make the m Πprm commitments (a_i, t^a_i) into a `PrmPool`: the input
 * then carries `ringPedersen` and `prmPool`, and the aux session's round 1 only hashes and adds
 * (issue 13). The pool's entries are used once: a party worker that receives the input takes them
 * out of this thread's pool (workers/protocols.ts).
 *
 * States: `running` → `ready` (the key is held) → `taken`; or `failed` / `cancelled` (ABORTED).
 * The key never appears in JSON or inspection output.
 * @module
 */
import { fail, InvalidInput } from '../src/errors.js';
import { gcd } from '../src/bigint/arith.js';
import { CrtContext } from '../src/bigint/modexp.js';
import { getProfile, type ProfileName } from '../src/paillier/profiles.js';
import { cryptoRng, randomBelow } from '../src/rng.js';
import { PrmPool } from '../src/zk/prm-pool.js';
import type { AuxInput } from '../protocols/aux/messages.js';
import { type AuxPrepareProgress, type ParallelPrimeSource, prepareAuxInput } from '../protocols/aux/prepare.js';

export type AuxPreparationStatus = 'running' | 'ready' | 'taken' | 'failed' | 'cancelled';

export interface AuxPreparationOptions {
  /** The workers that search the primes (`createBrowserMathPool` / `createNodeMathPool`, size `coreCount()`). */
  pool: ParallelPrimeSource & { preparePrm?: (pool: PrmPool, p: bigint, q: bigint, opts?: { signal?: AbortSignal }) => Promise<number> };
  /** Prepare the Πprm commitments too (default: when the pool can — a `MathPool`). */
  prm?: boolean;
  profile?: ProfileName;
  onProgress?: (e: AuxPrepareProgress) => void;
  /** Cancels like `cancel()`. */
  signal?: AbortSignal;
}

type PreparePrm = (pool: PrmPool, p: bigint, q: bigint, opts?: { signal?: AbortSignal }) => Promise<number>;

/** Fresh ring-Pedersen (s, t, λ) on the input's key and its Πprm commitments made by the workers. */
async function withPrmPool(input: AuxInput, preparePrm: PreparePrm, signal: AbortSignal): Promise<AuxInput> {
  const { p, q } = input.key;
  const N = p * q;
  const phi = (p - 1n) * (q - 1n);
  const crt = new CrtContext([
    [p, 1],
    [q, 1],
  ]);
  let t: bigint, s: bigint, lambda: bigint;
  do {
    const r = randomBelow(cryptoRng, N);
    t = (r * r) % N; // t = r², a unit: r ∈ Z*_N (gcd checked below)
    lambda = randomBelow(cryptoRng, phi);
    s = crt.pow(t, lambda, { secret: true }); // s = t^λ
  } while (gcd(t, N) !== 1n || t <= 1n || s <= 1n || t === N - 1n || s === N - 1n || s === t);
  const pool = new PrmPool(N, t, getProfile(input.profile).m);
  await preparePrm(pool, p, q, { signal });
  if (signal.aborted) throw new InvalidInput('ABORTED', 'the aux preparation was aborted');
  return { ...input, ringPedersen: { s, t, lambda }, prmPool: pool };
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
    if (opts.prm !== undefined && typeof opts.prm !== 'boolean') fail('INVALID_ARGUMENT', 'options.prm: expected a boolean');
    const preparePrm = opts.prm !== false && typeof opts.pool.preparePrm === 'function' ? opts.pool.preparePrm.bind(opts.pool) : undefined;
    if (opts.prm === true && !preparePrm) fail('INVALID_ARGUMENT', 'options.prm: the pool cannot prepare Πprm commitments (expected a MathPool)');
    const signal = this.#ac.signal;
    this.#result = prepareAuxInput(this.profile, { pool: opts.pool, signal, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
      .then((input) => (preparePrm ? withPrmPool(input, preparePrm, signal) : input))
      .then(
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
    this.#input?.prmPool?.clear();
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

/**
 * Preparing an aux input ahead of the session (not a round: async, platform randomness).
 *
 * - Default: the two safe primes come from OpenSSL on libuv's thread pool (Node), concurrently,
 *   or from a `PrimePool` filled in idle time (`{primes: () => pool.take()}`).
 * - `{pool}` (a `MathPool` of `workers/`, or anything with its `primes` race): every worker of the
 *   pool searches at once and the first two safe primes win — the new-device path of a browser,
 *   where the JS sieve takes seconds per prime. With `onProgress` (a prime found, the key ready)
 *   and `signal` (abort → ABORTED, the searching workers are stopped). The main thread only runs
 *   the cheap shape checks (`looksLikeSafePrime`): the workers ran Miller–Rabin, and the aux
 *   session's `validateInput` re-checks p and q (20 + 2 rounds) wherever the session runs.
 *
 * `workers/aux-preparation.ts` (`AuxPreparation`) starts this at app start and keeps the result
 * until it is used.
 * @module
 */
import { looksLikeSafePrime } from '../../src/bigint/primes.js';
import { fail, InvalidInput } from '../../src/errors.js';
import { generatePaillierKey, PaillierSecretKey } from '../../src/paillier/keys.js';
import { getProfile, type ProfileName } from '../../src/paillier/profiles.js';
import type { AuxInput } from './messages.js';

/** What `prepareAuxInput` needs of a worker pool (`MathPool` fits): a race for `count` safe primes. */
export interface ParallelPrimeSource {
  primes(bits: number, count: number, opts?: { signal?: AbortSignal; onFound?: (found: number, needed: number) => void }): Promise<bigint[]>;
}

/** Progress of a preparation: each prime found, then the key assembled (`ms` since the start). */
export type AuxPrepareProgress = { phase: 'primes'; found: number; needed: number; ms: number } | { phase: 'ready'; ms: number };

export interface PrepareAuxOptions {
  /** Take each prime from here (e.g. a `PrimePool`: `() => pool.take()`). */
  primes?: () => Promise<bigint>;
  /** Search both primes in parallel in these workers (browsers: never on the main thread). */
  pool?: ParallelPrimeSource;
  onProgress?: (e: AuxPrepareProgress) => void;
  /** Abort: rejects with ABORTED (with `pool`: at once, its searching workers stopped). */
  signal?: AbortSignal;
}

const now = (): number => (typeof globalThis.performance === 'object' ? performance.now() : Date.now());

function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InvalidInput('ABORTED', 'the aux preparation was aborted');
}

export async function prepareAuxInput(profile: ProfileName = 'default', opts: PrepareAuxOptions = {}): Promise<AuxInput> {
  const pr = getProfile(profile);
  if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
  if (opts.primes !== undefined && opts.pool !== undefined) fail('INVALID_ARGUMENT', 'options: give primes or pool, not both');
  if (opts.pool !== undefined && typeof opts.pool?.primes !== 'function') fail('INVALID_ARGUMENT', 'options.pool: expected a MathPool (a primes(bits, count) race)');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) fail('INVALID_ARGUMENT', 'options.signal: expected an AbortSignal');
  aborted(opts.signal);
  const t0 = now();
  const report = (e: AuxPrepareProgress): void => {
    try {
      opts.onProgress?.(e);
    } catch {
      /* a listener's failure never breaks the preparation */
    }
  };
  let key: PaillierSecretKey;
  if (opts.pool) {
    const [p, q] = await opts.pool.primes(pr.primeBits, 2, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onFound: (found, needed) => report({ phase: 'primes', found, needed, ms: now() - t0 }),
    });
    aborted(opts.signal);
    if (p === undefined || q === undefined || p === q || !looksLikeSafePrime(p, pr.primeBits) || !looksLikeSafePrime(q, pr.primeBits)) {
      fail('PRIME_GENERATION_FAILED', `the pool did not return two distinct ${pr.primeBits}-bit safe primes`);
    }
    // Miller–Rabin ran in the workers; validateInput re-runs it where the aux session runs
    key = PaillierSecretKey.fromValidatedPrimes(p, q, pr);
  } else {
    key = await generatePaillierKey(profile, opts.primes ? { primes: opts.primes } : {});
    report({ phase: 'primes', found: 2, needed: 2, ms: now() - t0 });
    aborted(opts.signal);
  }
  report({ phase: 'ready', ms: now() - t0 });
  return { profile, key };
}

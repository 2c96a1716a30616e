/**
 * Preparing an aux input ahead of the session (not a round: async, platform randomness). The two
 * safe primes come from OpenSSL on libuv's thread pool (Node), concurrently, or from a
 * `PrimePool` filled in idle time (`{primes: () => pool.take()}`); the main thread stays free.
 * @module
 */
import { generatePaillierKey } from '../../src/paillier/keys.js';
import type { ProfileName } from '../../src/paillier/profiles.js';
import type { AuxInput } from './messages.js';

export async function prepareAuxInput(profile: ProfileName = 'default', opts: { primes?: () => Promise<bigint> } = {}): Promise<AuxInput> {
  const key = await generatePaillierKey(profile, opts.primes ? { primes: opts.primes } : {});
  return { profile, key };
}

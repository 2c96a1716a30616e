/**
 * `composeService`: the co-signing service `startServer` runs (when an issuer or the development
 * issuer is configured) — the ONE place its state is put together, so moving to the durable state
 * is one line here: `openServiceState(store, kek)` gives shares, presignatures, account lock, the
 * shared identity/bus keys, the aux key and the used-token cache.
 *
 * For now (until that lands): shares in memory (`MemoryServiceShareStore`: a restart loses them),
 * identity and bus keys random per start (so `/v1/service` must be fetched after every restart and
 * several nodes do not share them), the Paillier key from the demo's primes (`demo/primes.ts`: real
 * safe primes made at start), the used-token cache in memory, and checkpoints read from `storage`.
 * @module
 */
import { cryptoRng } from '../../rng.js';
import { scalarFromBytes } from '../../curve.js';
import { MemoryServiceShareStore, ServiceParty } from '../../client/service-party.js';
import { demoAuxInput } from '../../client/demo/primes.js';
import type { MetadataStorage } from '../../storage/types.js';
import { MemoryUsedTokens } from '../auth/used-tokens.js';
import type { ServiceOptions } from './register.js';

/** A random secp256k1 secret key (32 bytes, in [1, n−1]). */
function randomKey(): Uint8Array {
  for (;;) {
    const k = cryptoRng.bytes(32);
    try {
      scalarFromBytes(k, 'key');
      return k;
    } catch {
      // out of range (probability ~2^-128): draw again
    }
  }
}

export async function composeService(storage: MetadataStorage): Promise<ServiceOptions> {
  const identityKey = randomKey();
  const party = new ServiceParty({ identityKey, storage, shares: new MemoryServiceShareStore(), rng: cryptoRng, aux: await demoAuxInput(0) });
  return { party, identityKey, busKey: randomKey(), usedTokens: new MemoryUsedTokens() };
}

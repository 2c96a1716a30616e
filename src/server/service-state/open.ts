/**
 * `openServiceState(store, keyring, opts)`: the co-signing service's durable state on the server
 * store (embedded journal or PostgreSQL): sealed share records, sealed presignature halves, the
 * account lock, the long-lived keys (created at first start, the same on every node) and the
 * ID-token replay cache. A wrong KEK fails here, at start (KEK_INVALID), not at the first session.
 *
 *   const keyring = loadKeyring(config);                  // TKEY_SERVER_KEK[_FILE], …_PREVIOUS
 *   const state = await openServiceState(store, keyring, { primesFile: config.servicePrimesFile });
 *   const party = new ServiceParty({ identityKey: state.identityKey, shares: state.shares, presigs: state.presigs,
 *                                    accountLock: state.accountLock, aux: state.aux, storage, rng: cryptoRng });
 * @module
 */
import { fail } from '../../errors.js';
import type { ProfileName } from '../../paillier/profiles.js';
import type { Rng } from '../../rng.js';
import type { StateSpace } from '../store/state-types.js';
import { aKeyring, Kek, type Keyring } from './kek.js';
import { SealedPresigStore } from './sealed-presig-store.js';
import { SealedServiceShareStore } from './sealed-share-store.js';
import { serviceAux, serviceScalarKey } from './service-keys.js';
import type { AccountLock, ServiceState } from './types.js';
import { usedTokens } from './used-tokens.js';

export type { ServiceState } from './types.js';

export interface OpenServiceStateOptions {
  /** `TKEY_SERVICE_PRIMES_FILE`: the aux key's safe primes (first pair) instead of generating them at first start. */
  primesFile?: string;
  /** Profile of a generated aux key (default `default`). */
  profile?: ProfileName;
  /** Randomness for new keys (default the platform CSPRNG). */
  rng?: Rng;
  /** Clock (ms) of the token cache's sweep. */
  now?: () => number;
}

/** `kek`: the KEK, or a keyring {current, previous} during a rotation. */
export async function openServiceState(store: StateSpace, kek: Kek | Keyring, opts: OpenServiceStateOptions = {}): Promise<ServiceState> {
  if (typeof store?.stateGet !== 'function' || typeof store.withStateLock !== 'function') fail('INVALID_ARGUMENT', 'store: expected a server store with the state space');
  const keyring = aKeyring(kek instanceof Kek ? { current: kek } : kek);
  const rng = opts.rng ? { rng: opts.rng } : {};
  const identityKey = await serviceScalarKey(store, keyring, 'identity', opts.rng);
  const busKey = await serviceScalarKey(store, keyring, 'bus', opts.rng);
  const aux = await serviceAux(store, keyring, { ...rng, ...(opts.primesFile ? { primesFile: opts.primesFile } : {}), ...(opts.profile ? { profile: opts.profile } : {}) });
  const accountLock: AccountLock = (account, fn) => store.withStateLock(`account:${account}`, fn);
  const state: ServiceState = {
    shares: new SealedServiceShareStore(store, keyring),
    presigs: new SealedPresigStore(store, keyring),
    accountLock,
    identityKey,
    busKey,
    aux,
    usedTokens: usedTokens(store, opts.now),
  };
  Object.defineProperty(state, 'toJSON', { enumerable: false, value: () => ({ keyId: keyring.current.id, identityKey: '<redacted>', busKey: '<redacted>', aux: '<redacted>' }) });
  return state;
}

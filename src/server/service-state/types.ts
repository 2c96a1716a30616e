/**
 * The interfaces of the co-signing service's state (issue 11): the presignature store and account
 * lock `ServiceParty` takes (defined beside it in `src/client/service-presigs.ts`, since the client
 * layer must not import the server), and what `openServiceState` returns.
 * @module
 */
import type { AuxInput } from '../../../protocols/aux/index.js';
import type { ServiceShareStore } from '../../client/service-store.js';
import type { AccountLock, PresigStore } from '../../client/service-presigs.js';
import type { UsedTokens } from './used-tokens.js';

export type { AccountLock, PresigStore } from '../../client/service-presigs.js';
export type { UsedTokens } from './used-tokens.js';

export interface ServiceState {
  /** Sealed account records (XChaCha20-Poly1305, AD = (account, kind[, epoch])). */
  shares: ServiceShareStore;
  /** Sealed presignature halves, taken in one transaction. */
  presigs: PresigStore;
  /** Cross-node mutual exclusion per account (PostgreSQL advisory lock; in-process on the embedded store). */
  accountLock: AccountLock;
  /** The service's long-lived identity key (checkpoint ECIES, fence signatures), shared by every node. Secret. */
  identityKey: Uint8Array;
  /** The bus identity key (secure channel), shared by every node. Secret. */
  busKey: Uint8Array;
  /** The long-lived Paillier key with fixed ring-Pedersen parameters, generated once (or from a primes file), sealed. */
  aux: AuxInput;
  /** ID-token replay cache, shared by nodes. */
  usedTokens: UsedTokens;
}

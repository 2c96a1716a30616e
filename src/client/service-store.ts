/**
 * The co-signing service's durable share store: per account, the `confirmed` share of the durable
 * epoch, `pending` shares staged by refreshes (phase 1), the abandoned epochs it fenced off, and
 * the verified aux groups, the index set of each epoch (policy checks), the recent session ids
 * (`service-sid.ts`), and the aborts the service observed with its lock (`abort-record.ts`).
 * `MemoryServiceShareStore` for tests and as a cache.
 * @module
 */
import { wipe } from '../bytes.js';
import type { ProfileName } from '../paillier/profiles.js';
import type { AuxPublic } from '../../protocols/aux/types.js';
import type { AbortHistory } from './abort-record.js';
import type { SidRegistry } from './service-sid.js';

/** A service share of one epoch. */
export interface EpochShare {
  tssNonce: number;
  /** Compressed SEC1 commitments of that epoch. */
  commitments: Uint8Array[];
  /** f(1), 32 bytes. Secret. */
  share: Uint8Array;
  /** When the service staged it (ms). */
  stagedAt: number;
  /**
   * Every share index of that sharing (the parties' `owns` of the keygen/refresh session the
   * service took part in): what the service itself knows of the account's index set. Absent in
   * records staged before it was kept (then index checks are skipped, see `service-policy.ts`).
   */
  indices?: number[];
}

/** What the service stores per account. */
export interface ServiceAccountRecord {
  metadataPub: Uint8Array;
  tssTag: string;
  confirmed: EpochShare | null;
  pending: EpochShare[];
  /** Digests of epochs the service fenced off (`sweep`), as listed in the account's fence record. */
  abandoned: string[];
  /** Verified aux groups {service, device at `index`}: every party's public part (the service's secret is its long-lived key). */
  aux?: { index: number; profile: ProfileName; parties: AuxPublic[] }[];
  /** Aborts of the service's own sessions for this account (bounded) and the lock they caused (plain JSON). */
  aborts?: AbortHistory;
  /** The session ids the service took part in for this account (`service-sid.ts`). */
  sids?: SidRegistry;
  /**
   * The login subject the account is bound to (`ServiceParty.authorize`): the ID token's issuer and
   * subject at keygen. Every later session of the account needs a login of the same subject.
   */
  owner?: AccountOwner;
}

/** An OIDC login subject, (iss, sub) — the server's `Subject` (`src/server/auth/types.ts`). */
export interface AccountOwner {
  iss: string;
  sub: string;
}

/**
 * The service's durable share store. `put` replaces an account's record atomically and is durable
 * when it resolves (a database transaction, a fsync'd file…).
 */
export interface ServiceShareStore {
  get(account: string): Promise<ServiceAccountRecord | undefined>;
  put(account: string, record: ServiceAccountRecord): Promise<void>;
  delete(account: string): Promise<void>;
  accounts(): Promise<string[]>;
}

const clone = (r: ServiceAccountRecord): ServiceAccountRecord => structuredClone(r);
export const shareBuffers = (r: ServiceAccountRecord): Uint8Array[] => [...(r.confirmed ? [r.confirmed.share] : []), ...r.pending.map((p) => p.share)];

/** In-memory store (tests, and a cache in front of a real one). Wipes replaced share buffers. */
export class MemoryServiceShareStore implements ServiceShareStore {
  readonly #records = new Map<string, ServiceAccountRecord>();
  async get(account: string): Promise<ServiceAccountRecord | undefined> {
    const r = this.#records.get(account);
    return r ? clone(r) : undefined;
  }
  async put(account: string, record: ServiceAccountRecord): Promise<void> {
    const next = clone(record);
    const prev = this.#records.get(account);
    this.#records.set(account, next);
    if (prev) wipe(...shareBuffers(prev));
  }
  async delete(account: string): Promise<void> {
    const prev = this.#records.get(account);
    this.#records.delete(account);
    if (prev) wipe(...shareBuffers(prev));
  }
  async accounts(): Promise<string[]> {
    return [...this.#records.keys()];
  }
  toJSON(): unknown {
    return { accounts: this.#records.size, shares: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MemoryServiceShareStore(${this.#records.size} accounts, shares redacted)`;
  }
}


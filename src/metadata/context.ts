/**
 * What the parts of a ThresholdKey share: storage, postbox key, randomness, clock, modules,
 * account state and the pending-write queue. Internal to `src/metadata` and `src/modules`.
 * @module
 */
import { mulG, pointToHex, type Point } from '../curve.js';
import type { Rng } from '../rng.js';
import type { MetadataStorage } from '../storage/types.js';
import type { AccountState } from './account-state.js';
import type { ShareStore } from './share-store.js';
import type { WriteQueue } from './write-queue.js';

/**
 * Refresh middleware (the peer's `_addRefreshMiddleware`): given a generalStore domain and the old
 * and new share stores of a refresh (by index), return the domain's new value, or `undefined` to
 * delete it. Randomness only from `env.rng`.
 */
export type RefreshMiddleware = (
  domain: unknown,
  oldShares: ReadonlyMap<bigint, ShareStore>,
  newShares: ReadonlyMap<bigint, ShareStore>,
  env: { rng: Rng; generalStore: Readonly<Record<string, unknown>> },
) => unknown;

/** A module plugged into a ThresholdKey: refresh middleware keyed by generalStore domain. */
export interface TKeyModule {
  readonly name: string;
  readonly refreshMiddleware?: Readonly<Record<string, RefreshMiddleware>>;
}

export interface AccountContext {
  readonly storage: MetadataStorage;
  readonly postboxKey: bigint;
  readonly rng: Rng;
  readonly now: () => number;
  readonly modules: readonly TKeyModule[];
  readonly state: AccountState;
  readonly queue: WriteQueue;
}

export function postboxPub(ctx: AccountContext): Point {
  return mulG(ctx.postboxKey);
}

/** The storage account id: compressed hex of G·k_m. */
export function accountId(pubKey: Point): string {
  return pointToHex(pubKey, true);
}

/**
 * What every route needs: the configuration, the store, the clock (injectable, so tests can run
 * at a recorded time and expire locks without sleeping) and the per-key rate limiter.
 * @module
 */
import type { ServerConfig } from './config.js';
import type { KeyLimiter } from './key-limiter.js';
import type { ServerStore } from './store/types.js';
import type { Verifier } from './verify-pool.js';

export interface ServerContext {
  cfg: ServerConfig;
  store: ServerStore;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Whole seconds since the epoch (what signed timestamps are compared with). */
  nowS: () => number;
  limiter: KeyLimiter;
  /** Owner-signature verification (a worker pool, or inline). */
  verifier: Verifier;
  /**
   * Keys (compressed hex) trusted to sign a batch of ANY account: `TKEY_SERVICE_KEYS` and the
   * server's own co-signing service identity. Every other batch must be signed by its account key.
   */
  trustedSigners: ReadonlySet<string>;
}

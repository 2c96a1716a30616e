/**
 * The ID-token replay cache, shared by every node: rows of kind `used-token` (key = the token's
 * replay key, e.g. `iss` ‖ `jti` or a hash of the token; epoch = its expiry in unix seconds; no
 * secret, so not sealed). `markUsed` is a compare-and-set insert: true the first time a key is seen
 * (on any node), false after. Expired rows are swept (deleteBelow now) at most once a minute.
 * @module
 */
import { fail, isTkeyTssError } from '../../errors.js';
import type { StateSpace } from '../store/state-types.js';
import { KIND_USED_TOKEN } from './kinds.js';

export interface UsedTokens {
  /** True when `key` was not seen before (now recorded until `expiresAtS`), false when it was (a replay). */
  markUsed(key: string, expiresAtS: number): Promise<boolean>;
}

const SWEEP_EVERY_S = 60;

export function usedTokens(store: StateSpace, now: () => number = Date.now): UsedTokens {
  let lastSweep = 0;
  return {
    async markUsed(key: string, expiresAtS: number): Promise<boolean> {
      if (typeof key !== 'string' || key.length === 0 || key.length > 512) fail('INVALID_ARGUMENT', 'token key: expected 1–512 characters');
      if (!Number.isSafeInteger(expiresAtS) || expiresAtS < 0) fail('INVALID_ARGUMENT', 'expiresAtS: expected unix seconds');
      const nowS = Math.floor(now() / 1000);
      if (nowS - lastSweep >= SWEEP_EVERY_S) {
        lastSweep = nowS;
        await store.stateDeleteBelow(KIND_USED_TOKEN, '', nowS);
      }
      try {
        await store.statePut(KIND_USED_TOKEN, key, new Uint8Array(0), { expected: null, epoch: expiresAtS });
        return true;
      } catch (e) {
        if (isTkeyTssError(e, 'STORAGE_CONFLICT')) return false;
        throw e;
      }
    },
  };
}

/**
 * `composeService`: the co-signing service `startServer` runs (when an issuer or the development
 * issuer is configured) — the ONE place its state is put together. Everything durable comes from
 * the server store, sealed under the KEK (`service-state/`): the account records (shares of every
 * epoch, owner bindings, aux groups, sid registry, abort history), the presignature halves (taken
 * once, across nodes), the per-account lock, the identity and bus keys and the long-lived Paillier
 * key (made once, shared by every node), the ID-token replay cache. Checkpoints are read, and the
 * fence written, through the in-process metadata view (`store/metadata-view.ts`) — checked like
 * `/v1/batch` checks a request.
 * @module
 */
import { cryptoRng } from '../../rng.js';
import { ServiceParty } from '../../client/service-party.js';
import type { AdminTarget } from '../ops/admin-routes.js';
import type { ServerConfig } from '../config.js';
import { loadKeyring } from '../service-state/kek.js';
import { openServiceState } from '../service-state/open.js';
import { MetadataView } from '../store/metadata-view.js';
import type { ServerStore } from '../store/types.js';
import { hexToBytes } from '../../bytes.js';
import { getPublicKey } from '../../curve.js';
import { KIND_PRESIG } from '../service-state/kinds.js';
import type { ServiceOptions } from './register.js';

export interface ComposedService {
  service: ServiceOptions;
  admin: AdminTarget;
  /** Presignature halves held, all accounts (the metrics gauge). */
  presigStock: () => Promise<number>;
}

export async function composeService(store: ServerStore, cfg: ServerConfig, opts: { clock?: () => number } = {}): Promise<ComposedService> {
  const keyring = loadKeyring(cfg);
  const state = await openServiceState(store, keyring, cfg.servicePrimesFile ? { primesFile: cfg.servicePrimesFile } : {});
  const party = new ServiceParty({
    identityKey: state.identityKey,
    aux: state.aux,
    shares: state.shares,
    presigs: state.presigs,
    accountLock: state.accountLock,
    // its own fence batches are signed by its identity key, trusted by the view; so are TKEY_SERVICE_KEYS
    storage: new MetadataView(store, { trustedSigners: [getPublicKey(state.identityKey), ...cfg.serviceKeys.map((k) => hexToBytes(k))], ...(opts.clock ? { clock: opts.clock } : {}) }),
    rng: cryptoRng,
  });
  return {
    service: { party, identityKey: state.identityKey, busKey: state.busKey, usedTokens: state.usedTokens },
    admin: { party, shares: state.shares },
    presigStock: () => store.stateCount(KIND_PRESIG),
  };
}

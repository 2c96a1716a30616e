/**
 * Aux round 2: every other party runs the same configuration (cfg); keep V_j; broadcast the
 * decommitment (N_i, s_i, t_i, ψ̂_i, ρ_i, u_i). (With n ≥ 3 the driver's echo check of the
 * round-1 broadcasts rides along.)
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { getProfile } from '../../src/paillier/profiles.js';
import type { Round } from '../types.js';
import { PayloadReader } from '../util.js';
import type { AuxState } from './messages.js';
import { modulusPayload } from './proofs.js';
import type { AuxInfo } from './types.js';

export const round2: Round<AuxState, AuxInfo> = {
  sends: { broadcast: true, p2p: false },
  run(state, inbox, ctx) {
    const peerV: [number, Uint8Array][] = [];
    for (const [j, rec] of inbox) {
      const r = new PayloadReader(rec.broadcast, 1, j, 'aux round 1');
      if (!equalBytes(r.bytes('cfg', 32), state.cfg)) r.fail('configuration hash differs (profile or parties)', 'CONFIG_MISMATCH');
      r.keys('V', 'cfg');
      peerV.push([j, r.bytes('V', 32)]);
    }
    const own = state.own!;
    const payload = { ...modulusPayload(own, getProfile(state.profile)), rho: own.rho, u: own.u };
    return { state: { ...state, peerV }, outbox: [{ to: null, payload }] };
  },
};

/**
 * Aux output. For every other party j (blame j, round 3): ψ_j and φ_j^i present; Πmod_j under
 * (sid, j, ρ) — w ∈ Z*_N with Jacobi −1, distinct challenges, every equation; Πfac_j under
 * (sid, j, ρ, i) and our own ring-Pedersen parameters. Output the AuxInfo (secret redacted in
 * JSON and inspection, see `sealAux`).
 * @module
 */
import { getProfile } from '../../src/paillier/profiles.js';
import type { Round } from '../types.js';
import { PayloadReader } from '../util.js';
import { sealAux } from './info.js';
import type { AuxState } from './messages.js';
import { proofBytes, verifyPeerModFac } from './proofs.js';
import type { AuxInfo } from './types.js';

export const round4: Round<AuxState, AuxInfo> = {
  sends: { broadcast: false, p2p: false },
  run(state, inbox, ctx) {
    const profile = getProfile(state.profile);
    const peers = new Map(state.peers!);
    const own = state.own!;
    for (const [j, rec] of inbox) {
      const rb = new PayloadReader(rec.broadcast, 3, j, 'aux round 3');
      const rp = new PayloadReader(rec.p2p, 3, j, 'aux round 3 p2p');
      const modBytes = proofBytes(rb, 'mod');
      const facBytes = proofBytes(rp, 'fac');
      rb.keys('mod');
      rp.keys('fac');
      verifyPeerModFac(rb, rp, modBytes, facBytes, peers.get(j)!, own, ctx.sid, ctx.self, state.rho!, profile);
    }
    const parties = [{ id: ctx.self, N: own.N, s: own.s, t: own.t }, ...[...peers].map(([id, m]) => ({ id, N: m.N, s: m.s, t: m.t }))].sort((a, b) => a.id - b.id);
    return { output: sealAux({ profile: state.profile, self: ctx.self, secret: { p: state.p, q: state.q, lambda: state.lambda! }, parties }) };
  },
};
